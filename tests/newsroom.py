"""A newsroom for end-to-end broadcast tests: readers, an editor and the bot on the stand-in.

The bot runs for real, polling the Bot API stand-in over HTTP in this event loop. Readers
are subscribed in the database before the bot starts (the subscription dialogs have their
own tests); the editor drives the bot like a person, with commands, files and buttons.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Final

from telegram.request import BaseRequest

from bot.app import build_application, running
from bot.config import SendLimits, Settings
from bot.context import BotApplication
from bot.demo import BOT_USERNAME, DEMO_TOKEN, SAMPLE_CONTENT_DIR, Scene
from bot.feeds.settings import FeedSettings
from bot.newsletter.content import LANGUAGES, IssueDraft
from bot.newsletter.importer import read_issue_files
from bot.storage import Broadcast, IssueInfo, RenderedMessage, Store
from bot.storage.database import Row
from standin import BotApiStandIn, SentMessage

EDITOR: Final = 7001
NEWEST_WEEK: Final = date(2026, 9, 21)
NEWEST_LABEL: Final = "September 21\u2009–\u200927, 2026"
"""How the newest sample week is written for an English-speaking editor."""
FAST: Final = SendLimits(per_second=300, per_chat_per_second=50, per_group_per_minute=3000)
"""Limits far above Telegram's, for tests that are about answers rather than pacing."""
REFUSAL: Final = "This is only for the newsletter's editors."
WEEK_WORD: Final = {"be": "верасня", "ru": "сентября", "en": "September"}
"""A word each language's rendering of the newest week's date contains."""


@cache
def sample_drafts() -> tuple[IssueDraft, ...]:
    """Return every sample file, parsed once."""
    return tuple(read_issue_files(sorted(SAMPLE_CONTENT_DIR.glob("*.md"))))


def sample_file(language: str, week: date = NEWEST_WEEK) -> tuple[str, bytes]:
    """Return the name and bytes of one sample file."""
    path = SAMPLE_CONTENT_DIR / f"issue-{week.isoformat()}.{language}.md"
    return path.name, path.read_bytes()


def readers(count: int, *, first: int = 10_000) -> dict[int, str]:
    """Return `count` private chats, languages in turn be, ru, en by ascending id."""
    return {first + i: LANGUAGES[i % len(LANGUAGES)] for i in range(count)}


async def prepare_database(
    path: Path | str,
    subscribers: Mapping[int, str],
    *,
    newest_stored: bool = True,
    kinds: Mapping[int, str] | None = None,
) -> None:
    """Publish the older sample weeks, store (unpublished) the newest one, subscribe chats."""
    drafts = sample_drafts()
    async with await Store.open(path) as store:
        await store.archive.save_issues(
            [d for d in drafts if d.week_start != NEWEST_WEEK], publish=True
        )
        if newest_stored:
            await store.archive.save_issues([d for d in drafts if d.week_start == NEWEST_WEEK])
        for chat_id, language in subscribers.items():
            kind = (kinds or {}).get(chat_id, "private")
            await store.subscriptions.subscribe(
                chat_id,
                kind=kind,
                title=None if kind == "private" else f"Chat {chat_id}",
                language=language,
            )


def open_private_chats(standin: BotApiStandIn, subscribers: Iterable[int]) -> None:
    """Introduce the readers to the stand-in with their chats with the bot open."""
    for chat_id in subscribers:
        if chat_id > 0:
            standin.add_user(chat_id, f"Reader {chat_id}", started=True)


def settings_for(
    standin: BotApiStandIn,
    database: Path | str,
    *,
    limits: SendLimits = FAST,
    concurrency: int = 16,
    editors: Iterable[int] = (EDITOR,),
) -> Settings:
    """Return settings of a bot with its editors (one by default), talking to the stand-in."""
    return Settings(
        token=DEMO_TOKEN,
        api_url=standin.url,
        database_path=database if isinstance(database, Path) else Path("unused.sqlite3"),
        postgres_url=None if isinstance(database, Path) else database,
        editor_ids=frozenset(editors),
        send_limits=limits,
        send_concurrency=concurrency,
    )


@dataclass
class Desk:
    """The running bot seen from the editor's chair, with what readers received."""

    standin: BotApiStandIn
    application: BotApplication
    scene: Scene = field(init=False)

    def __post_init__(self) -> None:
        self.scene = Scene(self.standin, self.application, {}, lambda _: None)

    @property
    def store(self) -> Store:
        """Return the bot's open store."""
        return self.application.bot_data.store

    # -- the editor ------------------------------------------------------------------------

    async def say(self, text: str, *, user: int = EDITOR) -> list[SentMessage]:
        """Have a user write in their private chat; return the bot's new messages there."""
        before = len(self.standin.messages(user))
        await self.scene.say(user, user, text)
        return self.standin.messages(user)[before:]

    async def upload(
        self, file_name: str, content: bytes, *, user: int = EDITOR
    ) -> list[SentMessage]:
        """Have a user send a file in their private chat; return the bot's new messages."""
        before = len(self.standin.messages(user))
        self.standin.send_document(user, user, file_name, content)
        await self.scene.settle()
        return self.standin.messages(user)[before:]

    async def press(self, label: str, *, user: int = EDITOR) -> list[SentMessage]:
        """Press the latest button whose label starts with `label`; return new messages."""
        before = len(self.standin.messages(user))
        await self.scene.press(user, user, label)
        return self.standin.messages(user)[before:]

    async def press_data(
        self, data: str, *, user: int = EDITOR, force: bool = False
    ) -> tuple[str | None, list[SentMessage]]:
        """Press a button by its payload; return the bot's answer and its new messages."""
        before = len(self.standin.messages(user))
        answer = await self.scene.press_data(user, user, data, force=force)
        return answer, self.standin.messages(user)[before:]

    async def pick_newest(self) -> list[SentMessage]:
        """Open the card of the stored newest issue from /broadcast."""
        offer = await self.say("/broadcast")
        assert any(b["text"] == NEWEST_LABEL for b in offer[-1].buttons), offer[-1].buttons
        return await self.press(NEWEST_LABEL)

    async def send_newest(self) -> Broadcast:
        """Send the stored newest issue now, as an editor does; return its broadcast."""
        await self.pick_newest()
        confirm = await self.press("Send now")
        assert confirm and "now?" in confirm[-1].text, confirm
        await self.press("Yes, send now")
        started = await self.store.broadcasts.recent(1)
        assert started, "the broadcast did not start"
        return started[0]

    async def finish(self, broadcast_id: int, timeout: float = 30.0) -> Broadcast:  # noqa: ASYNC109
        """Wait until a broadcast ends and its report is written; return it.

        A run that does not end fails the test; it is asked to stop first, so the
        application can still shut down instead of hanging the test session.
        """
        delivery = self.application.bot_data.delivery
        try:
            async with asyncio.timeout(timeout):
                await delivery.wait(broadcast_id)
        except TimeoutError:
            delivery.stop(broadcast_id)
            status = await self.store.broadcasts.status(broadcast_id)
            raise AssertionError(
                f"broadcast {broadcast_id} did not end within {timeout}s (status {status})"
            ) from None
        await self.scene.settle()
        broadcast = await self.store.broadcasts.get(broadcast_id)
        assert broadcast is not None
        return broadcast

    def progress_message(self, broadcast: Broadcast) -> SentMessage:
        """Return the editor's progress (finally: report) message of a broadcast."""
        assert broadcast.progress_message_id is not None
        return self.standin.chat(broadcast.editor_chat_id).sent_by_id[
            broadcast.progress_message_id
        ]

    async def newest_issue(self) -> IssueInfo:
        """Return the newest sample issue as stored."""
        issue = await self.store.archive.issue_by_week(NEWEST_WEEK)
        assert issue is not None
        return issue

    # -- what was sent and received --------------------------------------------------------

    async def rendered(self, broadcast_id: int) -> dict[str, list[RenderedMessage]]:
        """Return a broadcast's messages by language, in sending order."""
        by_language: dict[str, list[RenderedMessage]] = defaultdict(list)
        for message in await self.store.broadcasts.messages(broadcast_id):
            by_language[message.language].append(message)
        for messages in by_language.values():
            messages.sort(key=lambda m: m.seq)
        return dict(by_language)

    async def expected_html(self, broadcast_id: int) -> dict[str, list[str]]:
        """Return the HTML readers of each language must receive, in order."""
        return {
            language: [m.text for m in messages]
            for language, messages in (await self.rendered(broadcast_id)).items()
        }

    def received(self, chat_id: int) -> list[str]:
        """Return the HTML of every message the bot sent to a chat, in order."""
        return [m.html for m in self.standin.messages(chat_id)]

    async def outbox(self, broadcast_id: int) -> list[Row]:
        """Return a broadcast's outbox rows in id order."""
        return await self.store.db.fetchall(
            "SELECT chat_id, language, seq, status, attempts, error, message_id, target_id "
            "FROM outbox WHERE broadcast_id = ? ORDER BY id",
            (broadcast_id,),
        )


@asynccontextmanager
async def newsroom(
    standin: BotApiStandIn,
    database: Path | str,
    *,
    limits: SendLimits = FAST,
    concurrency: int = 16,
    request: BaseRequest | None = None,
    editors: Iterable[int] = (EDITOR,),
    feeds: FeedSettings | None = None,
) -> AsyncIterator[Desk]:
    """Run the bot on the stand-in with the editors' private chats open (and its feeds)."""
    for editor in editors:
        name = "Editor" if editor == EDITOR else f"Editor {editor}"
        standin.add_user(editor, name, language_code="en", started=True)
    settings = settings_for(
        standin, database, limits=limits, concurrency=concurrency, editors=editors
    )
    if feeds is not None:
        settings = dataclasses.replace(settings, feeds=feeds)
    async with running(build_application(settings, request=request)) as application:
        yield Desk(standin, application)


def report_counts(text: str, language_name: str) -> dict[str, int]:
    """Read 'sent X of Y, blocked B, failed F, skipped S' of one language from a report."""
    for line in text.splitlines():
        if line.startswith(f"{language_name}: sent "):
            words = line.removeprefix(f"{language_name}: ").replace(",", "").split()
            counts: dict[str, Any] = {"sent": int(words[1]), "total": int(words[3])}
            for name, value in zip(words[4::2], words[5::2], strict=True):
                counts[name] = int(value)
            return counts
    raise AssertionError(f"no line for {language_name} in the report:\n{text}")


__all__ = [
    "BOT_USERNAME",
    "EDITOR",
    "FAST",
    "NEWEST_LABEL",
    "NEWEST_WEEK",
    "REFUSAL",
    "WEEK_WORD",
    "Desk",
    "newsroom",
    "open_private_chats",
    "prepare_database",
    "readers",
    "report_counts",
    "sample_drafts",
    "sample_file",
    "settings_for",
]
