"""End to end: an issue is delivered once, whoever presses what and whatever runs at once.

Two editors confirm the same issue within milliseconds of each other, a scheduled run
fires while an editor confirms, a schedule is restored at start-up for an issue that was
sent meanwhile: every reader gets every message exactly once, and whoever lost is told why
in their own language, with no progress message left offering Stop.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.storage import AlreadyDeliveredError, BroadcastStatus, RenderedMessage, Store
from standin import BotApiStandIn, SentMessage
from tests.newsroom import (
    EDITOR,
    NEWEST_LABEL,
    NEWEST_WEEK,
    Desk,
    newsroom,
    open_private_chats,
    prepare_database,
    readers,
)

SECOND_EDITOR = 7002
LOST = "Nothing was sent: the issue of {week} "
"""How a refusal begins, whether the winner is still sending or finished already."""


@pytest.fixture
def database(engine_database: Path | str) -> Path | str:
    """Run these tests on both engines."""
    return engine_database


async def _confirmation(desk: Desk, editor: int) -> SentMessage:
    """Walk an editor to the "Yes, send now" question of the newest issue."""
    await desk.say("/broadcast", user=editor)
    await desk.press(NEWEST_LABEL, user=editor)
    asked = await desk.press("Send now", user=editor)
    assert asked and asked[-1].text.endswith("now?"), asked
    return asked[-1]


def _stop_buttons(standin: BotApiStandIn, chat_id: int) -> list[str]:
    return [
        button["callback_data"]
        for message in standin.messages(chat_id)
        for button in message.buttons
        if button["callback_data"].startswith("st:")
    ]


async def _assert_each_reader_got_it_once(
    desk: Desk, audience: dict[int, str], broadcast_id: int
) -> None:
    expected = await desk.expected_html(broadcast_id)
    for chat_id, language in audience.items():
        assert desk.received(chat_id) == expected[language], chat_id


@pytest.mark.parametrize("offset", [0.0, 0.002, 0.01, 0.025, 0.05])
async def test_two_editors_confirming_at_once_deliver_the_issue_once(
    standin: BotApiStandIn, database: Path | str, offset: float
) -> None:
    audience = readers(30)
    await prepare_database(database, audience)
    open_private_chats(standin, audience)
    async with newsroom(standin, database, editors=(EDITOR, SECOND_EDITOR)) as desk:
        first = await _confirmation(desk, EDITOR)
        second = await _confirmation(desk, SECOND_EDITOR)
        issue = await desk.newest_issue()
        go = f"ei:go:{issue.id}"
        # Both presses reach Telegram before the bot fetches them, `offset` apart.
        standin.press_button(EDITOR, EDITOR, first.message_id, go)
        await asyncio.sleep(offset)
        standin.press_button(SECOND_EDITOR, SECOND_EDITOR, second.message_id, go)
        await desk.scene.settle()

        started = list(await desk.store.broadcasts.recent(5))
        delivering = [b for b in started if b.status is not BroadcastStatus.CANCELLED]
        assert len(delivering) == 1, started
        winner = await desk.finish(delivering[0].id)
        assert winner.status is BroadcastStatus.DONE
        await _assert_each_reader_got_it_once(desk, audience, winner.id)

        loser = SECOND_EDITOR if winner.editor_chat_id == EDITOR else EDITOR
        # Told in a message (it had started too) or in an alert on the button (it had not).
        told = [m.text for m in standin.messages(loser)]
        alerts = [a.text for a in standin.callback_answers() if a.user_id == loser]
        refusals = [
            text
            for text in told + alerts
            if text and text.startswith(LOST.format(week=NEWEST_LABEL))
        ]
        assert len(refusals) == 1, (told, alerts)
        running = {f"st:{winner.id}"}
        # Only the winner's report may ever have offered Stop, and it is a report now.
        assert set(_stop_buttons(standin, loser)) <= running
        assert all(not m.buttons for m in standin.messages(loser) if "Nothing was sent" in m.text)
        assert _stop_buttons(standin, winner.editor_chat_id) == []


async def test_a_scheduled_run_and_a_press_deliver_the_issue_once(
    standin: BotApiStandIn, database: Path | str
) -> None:
    audience = readers(30)
    await prepare_database(database, audience)
    open_private_chats(standin, audience)
    async with newsroom(standin, database) as desk:
        issue = await desk.newest_issue()
        confirm = await _confirmation(desk, EDITOR)
        # Another editor's schedule, stored by another process and due now.
        planned = await desk.store.broadcasts.create(
            issue.id,
            editor_id=SECOND_EDITOR,
            editor_chat_id=SECOND_EDITOR,
            scheduled_at=datetime.now(UTC),
        )
        standin.add_user(SECOND_EDITOR, "Second editor", language_code="ru", started=True)
        await desk.application.bot_data.editorial.restore()  # plans it as at start-up
        standin.press_button(EDITOR, EDITOR, confirm.message_id, f"ei:go:{issue.id}")
        await desk.scene.settle()
        await asyncio.sleep(1.5)  # the job fires one second after being planned
        await desk.scene.settle()

        delivering = [
            b
            for b in await desk.store.broadcasts.recent(5)
            if b.status is not BroadcastStatus.CANCELLED
        ]
        assert len(delivering) == 1
        winner = await desk.finish(delivering[0].id)
        await _assert_each_reader_got_it_once(desk, audience, winner.id)
        assert (await desk.store.broadcasts.status(planned)) in (
            BroadcastStatus.CANCELLED,
            BroadcastStatus.DONE,
        )


async def test_a_schedule_restored_for_a_sent_issue_tells_its_editor_and_sends_nothing(
    standin: BotApiStandIn, database: Path | str
) -> None:
    audience = readers(6)
    await prepare_database(database, audience)
    open_private_chats(standin, audience)
    async with await Store.open(database) as store:
        issue = await store.archive.issue_by_week(NEWEST_WEEK)
        assert issue is not None
        sent = await store.broadcasts.create(issue.id, editor_id=EDITOR, editor_chat_id=EDITOR)
        message = RenderedMessage(language="en", commentary_id=1, topic_key="x", seq=0, text="x")
        await store.broadcasts.start(sent, [message])
        await store.broadcasts.finish(sent, BroadcastStatus.DONE)
        # A schedule stored before the issue went out, and one more start of the same issue:
        # the store itself refuses the second delivery.
        planned = await store.broadcasts.create(
            issue.id,
            editor_id=EDITOR,
            editor_chat_id=EDITOR,
            scheduled_at=datetime.now(UTC) - timedelta(minutes=5),
        )
        again = await store.broadcasts.create(issue.id, editor_id=EDITOR, editor_chat_id=EDITOR)
        with pytest.raises(AlreadyDeliveredError) as refused:
            await store.broadcasts.start(again, [message])
        assert refused.value.by.id == sent
        assert await store.broadcasts.status(again) is BroadcastStatus.CANCELLED

    async with newsroom(standin, database) as desk:
        await standin.wait_for(lambda: bool(standin.messages(EDITOR)), timeout=10)
        await desk.scene.settle()
        assert await desk.store.broadcasts.status(planned) is BroadcastStatus.CANCELLED
        texts = [m.text for m in standin.messages(EDITOR)]
        today = datetime.now(UTC).date()
        t = desk.application.bot_data.catalogs["en"]
        assert texts == [
            f"Nothing was sent: the issue of {NEWEST_LABEL} was already sent on "
            f"{t.format_date(today)}. Upload a corrected file to fix it."
        ]
        assert all(standin.messages(chat) == [] for chat in audience)
