"""Readers who change language mid-broadcast, with `python -m bot run` killed by SIGKILL.

A broadcast to a few hundred private chats is left 'sending' in the database, so the bot
process resumes it at start. Readers late in the first round change their language from
Telegram (/language, then a button) while it runs; the process is killed just as the first
of them gets the issue in the new language (sent as soon as they chose it), and started
again. Every switcher must end up
with the issue in the new language only, and nothing of any other language; everyone else
with theirs. Repeats are allowed only within the crash bound of bot/delivery/sender.py.
"""

from __future__ import annotations

import signal
from pathlib import Path

from bot.newsletter.content import LANGUAGES
from bot.newsletter.i18n import Catalogs
from bot.storage import BroadcastStatus, DeliveryStatus, Store
from tests.bot_processes import audience_standin, bot_env, bot_process, read_log, stop
from tests.test_crash_resume import EDITOR, prepare

CHATS = 300
CONCURRENCY = 16
RATE = 60
SWITCHERS = {chat_id: LANGUAGES[(chat_id + 1) % 3] for chat_id in range(201, 301, 5)}
"""Late in the first round, so their rows are still to come; each to the next language."""


def first_occurrences(texts: list[str]) -> list[str]:
    """Return the texts with every repeat left out."""
    seen: set[str] = set()
    return [t for t in texts if not (t in seen or seen.add(t))]  # type: ignore[func-returns-value]


async def test_language_changed_mid_broadcast_and_sigkill_deliver_the_new_one_once(
    tmp_path: Path, catalogs: Catalogs, engine_database: Path | str
) -> None:
    database = engine_database
    broadcast_id, expected = await prepare(database, catalogs, chats=CHATS)
    issue_texts = {text: language for language, texts in expected.items() for text in texts}
    log_path = tmp_path / "bot.log"
    async with audience_standin(CHATS, EDITOR) as standin:
        env = bot_env(
            standin,
            database,
            EDITOR_IDS=str(EDITOR),
            SEND_RATE_PER_SECOND=str(RATE),
            SEND_CONCURRENCY=str(CONCURRENCY),
        )

        def issue_messages(chat_id: int) -> list[str]:
            return [m.html for m in standin.messages(chat_id) if m.html in issue_texts]

        def arrived() -> int:
            return sum(len(issue_messages(chat_id)) for chat_id in range(1, CHATS + 1))

        def switched_one_got_it() -> bool:
            return any(
                issue_texts[text] == language
                for chat_id, language in SWITCHERS.items()
                for text in issue_messages(chat_id)
            )

        async with bot_process(env, log_path) as process:
            await standin.wait_for(lambda: arrived() >= 30, timeout=60)
            for chat_id in SWITCHERS:
                standin.send_text(chat_id, chat_id, "/language")
            await standin.wait_for(
                lambda: all(
                    any(m.buttons for m in standin.messages(chat_id)) for chat_id in SWITCHERS
                ),
                timeout=30,
            )
            for chat_id, language in SWITCHERS.items():
                picker = next(m for m in reversed(standin.messages(chat_id)) if m.buttons)
                standin.press_button(chat_id, chat_id, picker.message_id, f"lang:{language}")
            await standin.wait_for(
                lambda: len(standin.callback_answers()) >= len(SWITCHERS), timeout=30
            )
            await standin.wait_for(switched_one_got_it, timeout=60)
            process.send_signal(signal.SIGKILL)
            await process.wait()
        killed_with = {chat_id: len(issue_messages(chat_id)) for chat_id in SWITCHERS}
        async with bot_process(env, log_path) as process:
            await standin.wait_for(1, chat_id=EDITOR, timeout=120)
            await stop(process, log_path)

        repeats = 0
        for chat_id in range(1, CHATS + 1):
            language = SWITCHERS.get(chat_id, LANGUAGES[chat_id % 3])
            got = issue_messages(chat_id)
            assert {issue_texts[text] for text in got} == {language}, chat_id
            assert first_occurrences(got) == expected[language], chat_id
            repeats += len(got) - len(expected[language])
        assert standin.stats.too_many_requests == 0

    print(f"\nswitchers' messages at the kill: {killed_with}; {repeats} repeated")
    assert repeats <= 2 * CONCURRENCY
    assert 0 < sum(killed_with.values()) < sum(len(expected[lang]) for lang in SWITCHERS.values())
    assert read_log(log_path).count("Resuming broadcast") == 2
    async with await Store.open(database) as store:
        assert await store.broadcasts.status(broadcast_id) is BroadcastStatus.DONE
        rows = await store.db.fetchall(
            "SELECT chat_id, language, status FROM outbox WHERE broadcast_id = ?",
            (broadcast_id,),
        )
    for chat_id, language in SWITCHERS.items():
        mine = [(r["language"], r["status"]) for r in rows if r["chat_id"] == chat_id]
        assert mine == [(language, DeliveryStatus.SENT)] * len(expected[language]), chat_id
