"""The sender on an in-memory Bot API: no row may end the broadcast unrecorded."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from telegram.ext import ExtBot

from bot.config import SendLimits
from bot.delivery.compose import render_issue
from bot.delivery.pacing import Pacer
from bot.delivery.sender import BroadcastRun
from bot.newsletter.content import LANGUAGES
from bot.newsletter.i18n import Catalogs
from bot.storage import BroadcastKind, DeliveryStatus, OutboxItem, Store
from standin.in_memory import TOKEN, RecordingRequest
from tests.factories import issue

WEEK = date(2026, 10, 5)


async def test_an_unexpected_error_fails_its_row_and_the_broadcast_goes_on(
    store: Store, catalogs: Catalogs, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.archive.save_issues(
        [issue(WEEK, language, [("one", "economy", "One")]) for language in LANGUAGES]
    )
    for chat_id in range(1, 31):
        await store.subscriptions.subscribe(
            chat_id, kind="private", title=None, language=LANGUAGES[chat_id % 3]
        )
    info = await store.archive.issue_by_week(WEEK)
    assert info is not None
    broadcast_id = await store.broadcasts.create(info.id, editor_id=1, editor_chat_id=1)
    messages = await render_issue(store, catalogs, info.id)
    assert await store.broadcasts.start(broadcast_id, messages) == 30

    request = RecordingRequest()
    bot: ExtBot[Any] = ExtBot(TOKEN, request=request)
    limits = SendLimits(per_second=10_000, per_chat_per_second=10_000)
    run = BroadcastRun(
        broadcast_id=broadcast_id,
        kind=BroadcastKind.ISSUE,
        store=store,
        bot=bot,
        pacer=Pacer(limits.overall_rate),
        limits=limits,
        concurrency=4,
    )
    send = run._send

    async def flaky_send(chat_id: int, item: OutboxItem) -> int:
        if chat_id == 7:
            raise RuntimeError("boom")
        return await send(chat_id, item)

    monkeypatch.setattr(run, "_send", flaky_send)
    async with bot:
        await run.run()

    counts = await store.broadcasts.counts(broadcast_id)
    assert sum(n for (_, status), n in counts.items() if status is DeliveryStatus.SENT) == 29
    failed = [(lang, n) for (lang, status), n in counts.items() if status is DeliveryStatus.FAILED]
    assert failed == [(LANGUAGES[7 % 3], 1)]
    assert await store.broadcasts.failure_reasons(broadcast_id) == [("RuntimeError('boom')", 1)]
    assert len(request.sent()) == 29
