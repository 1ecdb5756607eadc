"""Automatic deliveries of single commentaries in the store, on both engines."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.storage import AutoPhase, BroadcastStatus, RenderedMessage, Store
from tests.factories import issue

WEEK = date(2026, 10, 5)
SOON = datetime(2026, 10, 6, 9, 30, tzinfo=UTC)


async def stored_commentary(store: Store) -> tuple[int, int]:
    """Store one commentary in Russian only; return (issue id, commentary id)."""
    await store.archive.save_issues([issue(WEEK, "ru", [("rail", "economy", "Рельсы")])])
    info = await store.archive.issue_by_week(WEEK)
    assert info is not None
    ids = await store.archive.commentary_ids(info.id)
    return info.id, ids["rail"]


def message(language: str, commentary_id: int) -> RenderedMessage:
    return RenderedMessage(
        language=language, commentary_id=commentary_id, topic_key="economy", seq=0, text="x"
    )


async def test_each_key_is_planned_once(store: Store) -> None:
    _, commentary = await stored_commentary(store)
    sends = store.auto_sends
    first = await sends.plan(
        commentary, "ru", AutoPhase.FIRST, SOON, editor_id=7, editor_language="en"
    )
    assert first is not None and first.status is BroadcastStatus.SCHEDULED
    assert first.scheduled_at == SOON and not first.fallback
    again = await sends.plan(
        commentary, "ru", AutoPhase.FIRST, SOON, editor_id=7, editor_language="en"
    )
    assert again is None
    assert await sends.plan(
        commentary, "ru", AutoPhase.LATE, SOON, editor_id=7, editor_language="en"
    )
    assert await sends.plan(
        commentary, "be", AutoPhase.FIRST, SOON, editor_id=7, editor_language="en"
    )
    await store.broadcasts.cancel_scheduled(first.broadcast_id)
    held = await sends.plan(
        commentary, "ru", AutoPhase.FIRST, SOON, editor_id=7, editor_language="en"
    )
    assert held is None, "a held delivery is not planned again by itself"


async def test_a_waiting_delivery_is_only_brought_forward(store: Store) -> None:
    _, commentary = await stored_commentary(store)
    sends = store.auto_sends
    later = SOON + timedelta(hours=24)
    planned = await sends.plan(
        commentary, "be", AutoPhase.FIRST, later, editor_id=7, editor_language="en"
    )
    assert planned is not None
    assert not await sends.bring_forward(planned.broadcast_id, later + timedelta(hours=1))
    assert await sends.bring_forward(planned.broadcast_id, SOON)
    moved = await sends.get(commentary, "be", AutoPhase.FIRST)
    assert moved is not None and moved.scheduled_at == SOON


async def test_a_commentary_sent_by_itself_reaches_one_language_and_claims_no_issue(
    store: Store,
) -> None:
    issue_id, commentary = await stored_commentary(store)
    for chat_id, language in ((1, "be"), (2, "ru"), (3, "be")):
        await store.subscriptions.subscribe(chat_id, kind="private", language=language, title=None)
    planned = await store.auto_sends.plan(
        commentary, "be", AutoPhase.FIRST, SOON, editor_id=7, editor_language="en"
    )
    assert planned is not None
    total = await store.broadcasts.start(
        planned.broadcast_id, [message("be", commentary)], fallback=True
    )
    assert total == 2
    rows = await store.db.fetchall(
        "SELECT chat_id FROM outbox WHERE broadcast_id = ? ORDER BY chat_id",
        (planned.broadcast_id,),
    )
    assert [row[0] for row in rows] == [1, 3]
    started = await store.auto_sends.get(commentary, "be", AutoPhase.FIRST)
    assert started is not None and started.fallback
    assert started.status is BroadcastStatus.SENDING
    assert await store.auto_sends.started_for(commentary)
    assert await store.intake.delivered(commentary)
    assert await store.broadcasts.last_delivery(issue_id) is None

    editors = await store.broadcasts.create(issue_id, editor_id=7, editor_chat_id=7)
    assert await store.broadcasts.start(editors, [message("ru", commentary)]) == 1
    holder = await store.broadcasts.last_delivery(issue_id)
    assert holder is not None and holder.id == editors, "the issue rule stays for editors"
