"""A local demo: the real bot against the Bot API stand-in, with readers acting out a scene.

No token and no network are needed: the stand-in listens on 127.0.0.1, the sample issues
are imported into a throwaway database, and the transcript shows what each chat sent and
what the bot answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

from bot.app import build_application, running
from bot.config import Settings
from bot.context import BotApplication
from bot.feeds.settings import FeedSettings
from bot.newsletter.importer import read_issue_files
from bot.storage import Store
from standin import BotApiStandIn, SentMessage
from standin.feed_posts import commentary_posts
from standin.feed_site import FeedSite

SAMPLE_CONTENT_DIR: Final = Path(__file__).resolve().parent / "sample_content"
DEMO_TOKEN: Final = "123456789:DEMO-token-for-the-local-stand-in"
BOT_USERNAME: Final = "weekly_commentary_demo_bot"
PREVIEW_CHARS: Final = 360

ALES, IRYNA, EMMA, EDITOR = 1001, 1002, 1003, 1009
CLUB = -100777


@dataclass
class Scene:
    """The stand-in, the running bot and the transcript printer."""

    standin: BotApiStandIn
    application: BotApplication
    names: dict[int, str]
    out: Callable[[str], None]

    async def settle(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until the bot has fetched and fully handled every pending update."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        processor = self.application.update_processor
        while loop.time() < deadline:
            if (
                not self.standin.pending_updates()
                and self.application.update_queue.empty()
                and processor.current_concurrent_updates == 0
            ):
                await asyncio.sleep(0.05)  # let a reply in flight reach the stand-in
                if (
                    not self.standin.pending_updates()
                    and processor.current_concurrent_updates == 0
                ):
                    return
            await self.standin.wait_change(0.05)
        raise TimeoutError("the bot did not finish handling the updates in time")

    async def say(self, chat_id: int, user_id: int, text: str) -> None:
        """Have a user write in a chat, then print what the bot answered there."""
        self.out(f"\n{self.names.get(user_id, user_id)} in {self._where(chat_id)}: {text}")
        before = len(self.standin.messages(chat_id))
        self.standin.send_text(chat_id, user_id, text)
        await self.settle()
        self._print_new(chat_id, before)

    async def press(self, chat_id: int, user_id: int, label: str, *, nth: int = 0) -> None:
        """Have a user press the button whose label starts with `label` on a recent message."""
        for message in reversed(self.standin.messages(chat_id)):
            matches = [b for b in message.buttons if b.get("text", "").startswith(label)]
            if len(matches) > nth:
                button = matches[nth]
                await self._press(
                    chat_id, user_id, message, button["callback_data"], button["text"]
                )
                return
        raise LookupError(f"no button {label!r} in chat {chat_id}")

    async def press_data(
        self, chat_id: int, user_id: int, data: str, *, force: bool = False
    ) -> str | None:
        """Press the button carrying `data` on the latest message that has it; return the
        answer's text. With `force`, send `data` from the latest message even if no button
        carries it: a stale or tampered button."""
        for message in reversed(self.standin.messages(chat_id)):
            if force or any(b.get("callback_data") == data for b in message.buttons):
                return await self._press(chat_id, user_id, message, data, data, force=force)
        raise LookupError(f"no button {data!r} in chat {chat_id}")

    async def _press(
        self,
        chat_id: int,
        user_id: int,
        message: SentMessage,
        data: str,
        label: str,
        *,
        force: bool = False,
    ) -> str | None:
        self.out(f"\n{self.names.get(user_id, user_id)} in {self._where(chat_id)} taps [{label}]")
        before = len(self.standin.messages(chat_id))
        versions = message.edit_count
        query_id = self.standin.press_button(
            chat_id, user_id, message.message_id, data, force=force
        )
        await self.settle()
        answer = self.standin.callback_answer(query_id)
        if answer is not None and answer.text:
            kind = "alert" if answer.show_alert else "notice"
            self.out(f"  bot ({kind}): {answer.text}")
        if message.edit_count > versions:
            if message.history[-1].text == message.text:
                labels = " · ".join(f"[{b.get('text', '')}]" for b in message.buttons)
                self.out(f"  bot changes the buttons: {labels or '(none left)'}")
            else:
                self._print_message("bot edits its message", message)
        self._print_new(chat_id, before)
        return None if answer is None else answer.text

    def _where(self, chat_id: int) -> str:
        if chat_id > 0:
            return "a private chat"
        return f"the group {self.names.get(chat_id, chat_id)}"

    def _print_new(self, chat_id: int, before: int) -> None:
        for message in self.standin.messages(chat_id)[before:]:
            self._print_message("bot", message)

    def print_message(self, who: str, message: SentMessage) -> None:
        """Print one message of the bot with its buttons."""
        self._print_message(who, message)

    def _print_message(self, who: str, message: SentMessage) -> None:
        text = message.text
        if len(text) > PREVIEW_CHARS:
            text = text[:PREVIEW_CHARS].rstrip() + f" […] ({len(text)} characters in all)"
        body = textwrap.indent(text, "  │ ", lambda _: True)
        self.out(f"  {who}:\n{body}")
        labels = [button.get("text", "") for button in message.buttons]
        if labels:
            self.out("  │ buttons: " + " · ".join(f"[{label}]" for label in labels))


async def import_sample_content(database: Path | str, *, hold_newest: bool = False) -> int:
    """Import and publish the sample issues; return how many files were read.

    With `hold_newest` the newest week is stored unpublished, for an editor to broadcast.
    """
    drafts = read_issue_files(sorted(SAMPLE_CONTENT_DIR.glob("*.md")))
    newest = max(draft.week_start for draft in drafts)
    held = [d for d in drafts if hold_newest and d.week_start == newest]
    async with await Store.open(database) as store:
        await store.archive.save_issues([d for d in drafts if d not in held], publish=True)
        if held:
            await store.archive.save_issues(held)
    return len(drafts)


async def play(out: Callable[[str], None] = print) -> int:
    """Play the scripted scene and print its transcript; return the exit status."""
    with tempfile.TemporaryDirectory(prefix="weekly-demo-") as tmp:
        database = Path(tmp) / "demo.sqlite3"
        files = await import_sample_content(database, hold_newest=True)
        async with contextlib.AsyncExitStack() as stack:
            standin = await stack.enter_async_context(
                BotApiStandIn(token=DEMO_TOKEN, bot_username=BOT_USERNAME)
            )
            site = await stack.enter_async_context(FeedSite())
            for post in commentary_posts(1, 4000, datetime.now(UTC) - timedelta(days=3)):
                site.add(post)  # already on the website before intake starts: archive
            out(f"Bot API stand-in listening on {standin.url}")
            out(f"The publisher's website (three language feeds) serves on {site.url}")
            out(
                f"Imported {files} sample files into {database}; the newest week waits "
                "unpublished for the editor"
            )
            settings = Settings(
                token=DEMO_TOKEN,
                api_url=standin.url,
                database_path=database,
                editor_ids=frozenset({EDITOR}),
                feeds=FeedSettings(
                    urls={language: site.feed_url(language) for language in ("be", "ru", "en")},
                    interval=timedelta(hours=1),
                ),
            )
            standin.add_user(EDITOR, "Hanna", language_code="en")
            standin.add_user(ALES, "Aleś", language_code="be")
            standin.add_user(IRYNA, "Iryna", language_code="ru")
            standin.add_user(EMMA, "Emma", language_code="en")
            standin.add_group(
                CLUB, "Minsk readers' club", type="supergroup", admins=[EMMA], members=[IRYNA]
            )
            names = {
                ALES: "Aleś",
                IRYNA: "Iryna",
                EMMA: "Emma",
                EDITOR: "Hanna (editor)",
                CLUB: "Minsk readers' club",
            }
            async with running(build_application(settings)) as application:
                scene = Scene(standin, application, names, out)
                await act(scene)
                await act_intake(scene, site)
            out(
                f"\nDemo finished: the bot sent {len(standin.all_messages())} messages; "
                f"{sum(standin.stats.errors.values())} Bot API calls were refused."
            )
    return 0


async def act(scene: Scene) -> None:
    """The script: readers in each language, one group, and a few wrong turns."""
    await scene.say(ALES, ALES, "/start")
    await scene.press(ALES, ALES, "Беларуская")
    await scene.press(ALES, ALES, "▫️")
    await scene.press(ALES, ALES, "Гатова")
    await scene.say(ALES, ALES, "/latest")
    await scene.press(ALES, ALES, "3.")

    await scene.say(IRYNA, IRYNA, "/start sub_ru")
    await scene.say(IRYNA, IRYNA, "/topics")
    await scene.press(IRYNA, IRYNA, "", nth=1)
    await scene.say(IRYNA, IRYNA, "/archive Экономика")

    await scene.say(EMMA, EMMA, "/start")
    await scene.press(EMMA, EMMA, "English")
    await scene.say(EMMA, EMMA, "/search transit")
    await scene.say(EMMA, EMMA, "potash fertiliser")
    await scene.say(EMMA, EMMA, "/frobnicate")
    await scene.press_data(EMMA, EMMA, "ar:no-such-topic:0", force=True)
    await scene.say(EMMA, EMMA, "/unsubscribe")

    await scene.say(CLUB, IRYNA, f"/subscribe@{BOT_USERNAME}")
    await scene.say(CLUB, EMMA, f"/subscribe@{BOT_USERNAME}")
    await scene.press(CLUB, EMMA, "English")
    await scene.say(CLUB, EMMA, f"/latest@{BOT_USERNAME}")

    await scene.say(EDITOR, EDITOR, "/broadcast")
    await scene.press(EDITOR, EDITOR, "September 21")
    await scene.press(EDITOR, EDITOR, "Preview: Беларуская")
    await scene.press(EDITOR, EDITOR, "Send now")
    before = {chat: len(scene.standin.messages(chat)) for chat in (ALES, IRYNA, EMMA, CLUB)}
    await scene.press(EDITOR, EDITOR, "Yes, send now")
    delivery = scene.application.bot_data.delivery
    for broadcast_id in delivery.running:
        await delivery.wait(broadcast_id)
    await scene.settle()
    report = scene.standin.messages(EDITOR)[-1]
    scene.print_message("bot replaces its progress message with the report", report)
    for chat, count in before.items():
        got = scene.standin.messages(chat)[count:]
        first = got[0].text.splitlines()[0] if got else "nothing (unsubscribed)"
        scene.out(f"  {scene.names[chat]}: {len(got)} new message(s); the first: {first}")


async def act_intake(scene: Scene, site: FeedSite) -> None:
    """The website publishes a commentary in three languages; the editor sends the new week."""
    intake = scene.application.bot_data.feeds
    assert intake is not None
    await intake.poll(force=True)  # intake starts: what the site already had is archive
    posts = commentary_posts(0, 4100, datetime.now(UTC))
    for post in posts:
        site.add(post)
    scene.out("\nThe website publishes a new commentary in three languages:")
    for post in posts:
        scene.out(f"  {post.language}: {post.title} ({site.post_url(post)})")
    before = len(scene.standin.messages(EDITOR))
    await intake.poll(force=True)
    await scene.settle()
    scene.out("\nThe bot reads the feeds (every FEED_INTERVAL) and tells the editor:")
    for message in scene.standin.messages(EDITOR)[before:]:
        scene.print_message("bot", message)
    await scene.press(EDITOR, EDITOR, "Send now")
    counts = {chat: len(scene.standin.messages(chat)) for chat in (ALES, IRYNA, CLUB)}
    await scene.press(EDITOR, EDITOR, "Yes, send now")
    delivery = scene.application.bot_data.delivery
    for broadcast_id in delivery.running:
        await delivery.wait(broadcast_id)
    await scene.settle()
    report = scene.standin.messages(EDITOR)[-1]
    scene.print_message("bot replaces its progress message with the report", report)
    for chat, count in counts.items():
        got = scene.standin.messages(chat)[count:]
        first = got[0].text.splitlines()[0] if got else "nothing"
        scene.out(f"  {scene.names[chat]}: {len(got)} new message(s); the first: {first}")
