"""End to end: a broadcast that cannot go on says so, and readers who leave are respected.

The bot runs against the stand-in over HTTP. A database that starts refusing writes in
the middle of a broadcast halts it with a report in the editor's progress message, and
Resume finishes it with nothing lost or repeated; a reader who changes language after their
messages were queued gets the issue in the new language, never in the one they left.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import SendLimits
from bot.delivery import sender
from bot.newsletter.i18n import LANGUAGE_NAMES
from bot.storage import BroadcastStatus, DeliveryStatus
from bot.storage.sqlite import SqliteDatabase
from standin import BotApiStandIn
from tests.newsroom import (
    NEWEST_LABEL,
    newsroom,
    open_private_chats,
    prepare_database,
    readers,
    report_counts,
)


async def test_a_database_that_refuses_writes_halts_the_broadcast_with_a_report(
    standin: BotApiStandIn, database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sender, "HALT_AFTER", 1.0)
    audience = readers(60)
    await prepare_database(database, audience)
    open_private_chats(standin, audience)
    slow = SendLimits(per_second=60, per_chat_per_second=50, per_group_per_minute=3000)
    async with newsroom(standin, database, limits=slow) as desk:
        broadcast = await desk.send_newest()
        await standin.wait_for(lambda: standin.stats.messages_sent >= 30, timeout=10)
        # From now on SQLite refuses every write, as with a full disk or a read-only mount.
        assert isinstance(desk.store.db, SqliteDatabase)
        await desk.store.db._conn.execute("PRAGMA query_only = ON")
        progress = desk.progress_message(broadcast)
        await standin.wait_for(lambda: progress.text.startswith("Halted"), timeout=15)

        lines = progress.text.splitlines()
        assert lines[0] == f"Halted: the issue of {NEWEST_LABEL}"
        assert lines[1].startswith("Sending cannot go on: ")
        assert "readonly" in lines[1] or "read-only" in lines[1], lines[1]
        assert "resumes where it stopped when the bot starts again" in progress.text
        assert [b["text"] for b in progress.buttons] == ["Resume"]
        assert await desk.store.broadcasts.status(broadcast.id) is BroadcastStatus.SENDING
        sent_before = standin.stats.messages_sent

        await desk.store.db._conn.execute("PRAGMA query_only = OFF")
        await desk.press("Resume")
        broadcast = await desk.finish(broadcast.id)
        assert broadcast.status is BroadcastStatus.DONE
        assert sent_before < standin.stats.messages_sent
        expected = await desk.expected_html(broadcast.id)
        for chat_id, language in audience.items():
            assert desk.received(chat_id) == expected[language], chat_id
        rows = await desk.outbox(broadcast.id)
        assert {row["status"] for row in rows} == {DeliveryStatus.SENT}


async def test_a_reader_who_changes_language_mid_broadcast_gets_it_in_the_new_one_only(
    standin: BotApiStandIn, database: Path
) -> None:
    audience = readers(60)
    await prepare_database(database, audience)
    open_private_chats(standin, audience)
    # Late in the first round: its first row is claimed, and queued, long before its turn.
    switcher = sorted(c for c, language in audience.items() if language == "en")[15]
    leaver = sorted(c for c, language in audience.items() if language == "ru")[15]
    slow = SendLimits(per_second=20, per_chat_per_second=50, per_group_per_minute=3000)
    async with newsroom(standin, database, limits=slow) as desk:
        broadcast = await desk.send_newest()
        await standin.wait_for(lambda: standin.stats.messages_sent >= 5, timeout=10)
        await desk.say("/unsubscribe", user=leaver)
        left_at = len(desk.received(leaver))
        await desk.say("/language", user=switcher)
        await desk.press("Беларуская", user=switcher)
        switched_at = len(desk.received(switcher))
        broadcast = await desk.finish(broadcast.id, timeout=60)

        expected = await desk.expected_html(broadcast.id)
        after = desk.received(switcher)[switched_at:] + desk.received(leaver)[left_at:]
        assert not set(after) & set(expected["en"] + expected["ru"]), after
        # Their rows were claimed before they changed their minds: the leaver's were
        # skipped, the switcher's replaced by the Belarusian ones, all sent.
        issue_texts = {text for texts in expected.values() for text in texts}
        assert [t for t in desk.received(switcher) if t in issue_texts] == expected["be"]
        rows = await desk.outbox(broadcast.id)
        assert {row["status"] for row in rows if row["chat_id"] == leaver} <= {
            DeliveryStatus.SKIPPED,
            DeliveryStatus.SENT,
        }
        mine = [(r["language"], r["status"]) for r in rows if r["chat_id"] == switcher]
        assert mine == [("be", DeliveryStatus.SENT)] * len(expected["be"])
        # The report counts the switcher among the Belarusian readers, not the English.
        report = desk.progress_message(broadcast).text
        readers_of = {lang: sum(1 for v in audience.values() if v == lang) for lang in expected}
        be, en = (report_counts(report, LANGUAGE_NAMES[lang]) for lang in ("be", "en"))
        assert be["sent"] == be["total"] == (readers_of["be"] + 1) * len(expected["be"])
        assert en["sent"] == en["total"] == (readers_of["en"] - 1) * len(expected["en"])
