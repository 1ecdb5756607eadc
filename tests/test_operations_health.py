"""Operators' view of a running bot: /healthz, /readyz and /metrics over HTTP, and alerts."""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.app import build_application, running
from bot.config import SendLimits
from bot.context import BotApplication
from bot.operations.alerts import Alerts
from bot.operations.readiness import BotApiCheck, BroadcastsCheck, Check, Readiness
from standin import BotApiStandIn
from standin.faults import Fault
from tests.newsroom import (
    EDITOR,
    Desk,
    open_private_chats,
    prepare_database,
    readers,
    settings_for,
)

ALERT_CHAT = 7100


@asynccontextmanager
async def observed_bot(
    standin: BotApiStandIn, database: Path, limits: SendLimits | None = None
) -> AsyncIterator[tuple[Desk, str]]:
    """Run the bot with its health server on a free port; give the desk and the server URL."""
    standin.add_user(EDITOR, "Editor", language_code="en", started=True)
    standin.add_user(ALERT_CHAT, "Operator", language_code="en", started=True)
    settings = settings_for(standin, database)
    settings = dataclasses.replace(
        settings,
        health_port=0,
        alert_chat_id=ALERT_CHAT,
        send_limits=limits or settings.send_limits,
    )
    application: BotApplication
    async with running(build_application(settings)) as application:
        operations = application.bot_data.operations
        assert operations is not None and operations.server is not None
        yield Desk(standin, application), f"http://127.0.0.1:{operations.server.port}"


async def get(url: str) -> tuple[int, Any, str]:
    """GET a URL; return the status, the JSON body (or None) and the text."""
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        text = await response.text()
        body = await response.json() if response.content_type == "application/json" else None
        return response.status, body, text


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Parse the Prometheus text format into {(sample name, sorted labels): value}."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(
    parsed: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    """Return one sample's value, 0 when it is absent."""
    return parsed.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_health_readiness_and_metrics_answer_over_http(
    standin: BotApiStandIn, database: Path
) -> None:
    subscribers = readers(6)
    await prepare_database(database, subscribers)
    open_private_chats(standin, subscribers)
    async with observed_bot(standin, database) as (desk, url):
        status, body, _ = await get(f"{url}/healthz")
        assert status == 200 and body["status"] == "alive"

        status, body, _ = await get(f"{url}/readyz")
        assert status == 200, body
        assert set(body["checks"]) == {"database", "bot_api", "broadcasts"}
        assert all(check["ok"] for check in body["checks"].values()), body

        _, _, before_text = await get(f"{url}/metrics")
        before = samples(before_text)
        reader = next(iter(subscribers))
        await desk.say("/latest", user=reader)
        _, _, after_text = await get(f"{url}/metrics")
        after = samples(after_text)

        assert value(after, "bot_subscribers", language="be", kind="private") == 2
        assert value(after, "bot_subscribers", language="en", kind="private") == 2
        handled = value(after, "bot_updates_total", kind="command", outcome="ok")
        assert handled - value(before, "bot_updates_total", kind="command", outcome="ok") == 1
        replies = value(after, "bot_reply_seconds_count", kind="command")
        assert replies - value(before, "bot_reply_seconds_count", kind="command") == 1
        assert value(after, "bot_api_last_success_timestamp_seconds") > 0
        assert value(after, "bot_database_query_seconds_count", query="scrape") >= 1
        assert value(after, "bot_outbox_backlog", status="pending") == 0

        # A part of the bot (feeds, say) adds a check of its own: readiness follows it.
        operations = desk.application.bot_data.operations
        assert operations is not None
        remove = operations.readiness.add("feeds", _failing_feed)
        status, body, _ = await get(f"{url}/readyz")
        assert status == 503
        assert body["status"] == "not ready"
        assert body["checks"]["feeds"] == {"ok": False, "reason": "2 feeds failing"}
        remove()
        status, _, _ = await get(f"{url}/readyz")
        assert status == 200


async def _failing_feed() -> Check:
    return Check(False, "2 feeds failing")


async def test_a_broadcast_is_counted_per_language_and_outcome(
    standin: BotApiStandIn, database: Path
) -> None:
    subscribers = readers(9)
    await prepare_database(database, subscribers)
    open_private_chats(standin, subscribers)
    blocked = next(chat for chat, language in subscribers.items() if language == "ru")
    standin.inject("sendMessage", blocked, error=Fault.forbidden(), times=None)
    flooded = next(chat for chat, language in subscribers.items() if language == "en")
    standin.inject("sendMessage", flooded, error=Fault.too_many_requests(retry_after=1), times=1)
    async with observed_bot(standin, database) as (desk, url):
        _, _, text = await get(f"{url}/metrics")
        before = samples(text)
        broadcast = await desk.send_newest()
        await desk.finish(broadcast.id)
        _, _, text = await get(f"{url}/metrics")
        after = samples(text)
        rows = await desk.outbox(broadcast.id)

    for language in ("be", "ru", "en"):
        sent = sum(1 for r in rows if r["language"] == language and r["status"] == "sent")
        name = "bot_broadcast_messages_total"
        got = value(after, name, language=language, outcome="sent") - value(
            before, name, language=language, outcome="sent"
        )
        assert got == sent > 0, (language, got, sent)
    # The block reaches the bot before the broadcast or during it: skipped or blocked.
    blocked_rows = [r for r in rows if r["chat_id"] == blocked]
    assert blocked_rows and all(r["status"] == "skipped" for r in blocked_rows)
    name = "bot_broadcast_messages_total"
    counted = sum(
        value(after, name, language="ru", outcome=o)
        - value(before, name, language="ru", outcome=o)
        for o in ("blocked", "skipped")
    )
    assert counted == sum(1 for r in rows if r["language"] == "ru" and r["status"] == "skipped")


async def test_a_stopped_broadcast_alerts_the_operators_chat(
    standin: BotApiStandIn, database: Path
) -> None:
    subscribers = readers(30)
    await prepare_database(database, subscribers)
    open_private_chats(standin, subscribers)
    slow = SendLimits(per_second=20, per_chat_per_second=50, per_group_per_minute=3000)
    async with observed_bot(standin, database, limits=slow) as (desk, url):
        broadcast = await desk.send_newest()
        await standin.wait_for(lambda: standin.stats.messages_sent > 10, timeout=30)
        assert desk.application.bot_data.delivery.stop(broadcast.id)
        await desk.finish(broadcast.id)
        (alert,) = await standin.wait_for(1, chat_id=ALERT_CHAT, timeout=10)
        _, _, text = await get(f"{url}/metrics")
    assert f"Broadcast {broadcast.id} was stopped before its end" in alert.text
    assert (
        value(
            samples(text), "bot_alerts_total", key=f"broadcast-{broadcast.id}-stopped", sent="yes"
        )
        == 1
    )


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_alerts_are_deduplicated_rate_limited_and_retried() -> None:
    clock = _Clock()
    sent: list[tuple[int, str]] = []
    down = True

    async def send(chat_id: int, text: str) -> None:
        if down:
            raise ConnectionError("no route")
        sent.append((chat_id, text))

    alerts = Alerts(send, 42, repeat_after=600, per_hour=3, clock=clock)
    assert not await alerts.alert("bot_api", "unreachable")
    assert alerts.pending == {"bot_api": "unreachable"}
    down = False
    await alerts.retry()
    assert sent == [(42, "unreachable")] and not alerts.pending
    assert not await alerts.alert("bot_api", "unreachable")  # the same key, too soon
    clock.now += 601
    assert await alerts.alert("bot_api", "still unreachable")
    alerts.resolved("bot_api")
    assert await alerts.alert("bot_api", "unreachable again")  # resolved: sent at once
    assert not await alerts.alert("database", "read-only")  # the fourth within the hour
    assert len(sent) == 3
    clock.now += 3600
    alerts.resolved("database")
    assert await alerts.alert("database", "read-only")


async def test_alerts_without_a_chat_are_only_logged() -> None:
    alerts = Alerts(None, None)
    assert not await alerts.alert("database", "read-only")
    assert not alerts.pending


async def test_readiness_reports_failing_slow_and_raising_checks() -> None:
    readiness = Readiness(timeout=0.05)

    async def fine() -> Check:
        return Check(True, "fine")

    async def raising() -> Check:
        raise OSError("disk I/O error")

    async def slow() -> Check:
        import asyncio  # noqa: PLC0415

        await asyncio.sleep(10)
        return Check(True, "late")

    readiness.add("a", fine)
    readiness.add("b", raising)
    readiness.add("c", slow)
    answers = await readiness.run()
    assert answers["a"].ok
    assert answers["b"] == Check(False, "OSError: disk I/O error")
    assert not answers["c"].ok and "no answer within" in answers["c"].reason


async def test_a_broadcast_that_stops_moving_or_does_not_run_is_stuck() -> None:
    clock = _Clock()
    sending = [1, 2]
    running = {1: (10, 100)}

    async def in_database() -> list[int]:
        return sending

    check = BroadcastsCheck(in_database, lambda: running, stuck_after=300, clock=clock)
    answer = await check()
    assert not answer.ok and "broadcast 2 is sending but not running" in answer.reason
    sending.remove(2)
    assert (await check()).ok
    clock.now += 299
    assert (await check()).ok
    clock.now += 2
    answer = await check()
    assert not answer.ok and "broadcast 1 has sent nothing for 301 s (10/100)" in answer.reason
    running[1] = (11, 100)
    assert (await check()).ok


async def test_a_database_that_refuses_writes_fails_readiness_and_alerts(
    standin: BotApiStandIn, database: Path
) -> None:
    await prepare_database(database, {})
    async with observed_bot(standin, database) as (desk, url):
        operations = desk.application.bot_data.operations
        assert operations is not None
        # Another process holds the write lock for longer than the bot waits for it.
        with contextlib.closing(sqlite3.connect(database, isolation_level=None)) as other:
            other.execute("BEGIN IMMEDIATE")
            status, body, _ = await get(f"{url}/readyz")
            await operations.watch()
            other.execute("ROLLBACK")
        assert status == 503
        assert not body["checks"]["database"]["ok"]
        (alert,) = await standin.wait_for(1, chat_id=ALERT_CHAT, timeout=10)
        assert alert.text.startswith("The database does not answer or refuses writes")
        await operations.watch()  # answers again: resolved, no second alert
        status, _, _ = await get(f"{url}/readyz")
        assert status == 200
        assert len(standin.messages(ALERT_CHAT)) == 1


async def test_the_bot_api_check_probes_only_when_the_last_answer_is_old() -> None:
    probes: list[bool] = []
    age: list[float | None] = [None]
    failing = True

    async def get_me() -> object:
        probes.append(True)
        if failing:
            raise ConnectionError("connection refused")
        return object()

    check = BotApiCheck(get_me, max_age=120, since=lambda: age[0])
    answer = await check()
    assert not answer.ok and answer.reason.startswith("unreachable (ConnectionError")
    assert answer.reason.endswith("last answer never")
    age[0] = 30.0
    assert (await check()) == Check(True, "last answer 30 s ago")
    assert len(probes) == 1  # a recent answer needs no probe
    age[0] = 400.0
    failing = False
    assert (await check()) == Check(True, "answered getMe just now")
