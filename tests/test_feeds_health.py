"""Operators see a failing feed: readiness names it and the alert chat is told once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

from bot.config import Settings
from bot.feeds.desk import EditorDesk
from bot.feeds.health import FeedsCheck
from bot.feeds.intake import FAILURES_BEFORE_ALERT
from bot.newsletter.i18n import Catalogs
from bot.operations.alerts import Alerts
from bot.storage import Store

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def fail(store: Store, language: str, times: int) -> None:
    for n in range(times):
        at = NOW + timedelta(minutes=n)
        await store.intake.failed(language, "HTTP 503", now=at, next_poll=at)


async def test_a_feed_failing_polls_in_a_row_fails_readiness_until_it_answers(
    store: Store,
) -> None:
    check = FeedsCheck(store)
    await store.intake.start_feed("ru", "https://example.org/ru/feed/", NOW, NOW)
    await store.intake.start_feed("en", "https://example.org/feed/", NOW, NOW)
    assert (await check()).ok, "no failures yet"

    await fail(store, "ru", FAILURES_BEFORE_ALERT - 1)
    assert (await check()).ok, "a failure or two is only backed off"

    await fail(store, "ru", 1)
    answer = await check()
    assert not answer.ok and answer.reason.startswith("ru:") and "HTTP 503" in answer.reason

    await store.intake.set_paused("ru", True, NOW)
    assert (await check()).ok, "a feed the editors paused is not a fault"
    await store.intake.set_paused("ru", False, NOW)
    await store.intake.succeeded(
        "ru", etag=None, last_modified=None, body_hash=None, now=NOW, next_poll=NOW
    )
    assert (await check()).ok


async def test_a_failing_feed_is_told_to_the_alert_chat_in_the_default_language(
    store: Store, catalogs: Catalogs
) -> None:
    sent: list[tuple[int, str]] = []

    async def send(chat_id: int, text: str) -> None:
        sent.append((chat_id, text))

    desk = EditorDesk(
        bot=cast(Any, None),  # no editors: nothing is sent through the bot
        store=store,
        catalogs=catalogs,
        settings=Settings(token=None, default_language="ru"),
        editorial=None,
        alerts=Alerts(send, 99),
    )
    await store.intake.start_feed("be", "https://example.org/be/feed/", NOW, NOW)
    await fail(store, "be", 5)
    state = await store.intake.feed("be")
    assert state is not None
    await desk.failing(state)
    await desk.failing(state)
    assert len(sent) == 1, "the same feed's alert is deduplicated"
    chat_id, text = sent[0]
    assert chat_id == 99
    assert "https://example.org/be/feed/" in text and "HTTP 503" in text
    assert "5 раз" in text, text
