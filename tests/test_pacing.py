"""The pacer on a simulated clock: even spacing, the sliding-window guard, pauses on 429."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from itertools import pairwise

from telegram.error import RetryAfter

from bot.config import MARGIN, SendLimits
from bot.delivery.pacing import ChatPacer, Lane, Pacer
from bot.delivery.rate_limiter import PacedRateLimiter


class FakeClock:
    """A clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def window_counts(starts: list[float], span: float = 1.0) -> int:
    """Return the most starts in any window of `span` seconds (one exactly `span` apart is out)."""
    best = 0
    for index, start in enumerate(starts):
        best = max(best, sum(1 for other in starts[index:] if other < start + span - 1e-6))
    return best


async def test_sends_are_spaced_evenly_under_the_rate() -> None:
    clock = FakeClock()
    pacer = Pacer(29.0, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(90):
        await pacer.acquire()
        starts.append(clock.now)
    gaps = {round(b - a, 6) for a, b in pairwise(starts)}
    assert gaps == {round(1 / 29, 6)}
    assert window_counts(starts) <= 29


async def test_concurrent_callers_share_the_rate() -> None:
    clock = FakeClock()
    pacer = Pacer(10.0, clock=clock, sleep=clock.sleep)
    starts: list[float] = []

    async def worker() -> None:
        for _ in range(10):
            await pacer.acquire()
            starts.append(clock.now)

    await asyncio.gather(*(worker() for _ in range(5)))
    assert len(starts) == 50
    assert window_counts(sorted(starts)) <= 10


class StalledClock(FakeClock):
    """Sleepers wake only when the gate opens, however late that is (a blocked loop)."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        target = self.now + seconds
        await self.gate.wait()
        self.now = max(self.now, target)
        await asyncio.sleep(0)


async def test_a_stall_does_not_bunch_sends_past_the_window() -> None:
    clock = StalledClock()
    pacer = Pacer(10.0, clock=clock, sleep=clock.sleep)
    starts: list[float] = []

    async def send() -> None:
        await pacer.acquire()
        starts.append(clock.now)

    tasks = [asyncio.create_task(send()) for _ in range(20)]
    await asyncio.sleep(0)  # every task has reserved its slot and sleeps
    clock.now += 2.5  # the loop was blocked: all twenty slots are due at once
    clock.gate.set()
    await asyncio.gather(*tasks)
    assert len(starts) == 20
    assert window_counts(sorted(starts)) <= 10


async def test_pause_holds_every_send_until_retry_after() -> None:
    clock = FakeClock()
    pacer = Pacer(30.0, clock=clock, sleep=clock.sleep)
    await pacer.acquire()
    pacer.pause(5.0)
    assert 4.9 < pacer.paused_for <= 5.0
    before = clock.now
    await pacer.acquire()
    assert clock.now - before >= 5.0
    assert pacer.paused_for == 0


def test_limits_keep_a_margin_and_space_groups_wider() -> None:
    limits = SendLimits()
    assert limits.overall_rate == 30 * MARGIN
    assert limits.chat_interval(42) > 1.0
    assert limits.chat_interval(-100123) > 3.0
    assert SendLimits(paid=True).overall_rate == 1000 * MARGIN


async def test_replies_to_a_group_are_spaced_and_private_ones_are_not() -> None:
    clock = FakeClock()
    pacer = Pacer(1000.0, clock=clock, sleep=clock.sleep)
    limiter = PacedRateLimiter(pacer, clock=clock, sleep=clock.sleep)
    sent: list[tuple[int, float]] = []

    async def call(chat_id: int) -> bool:
        sent.append((chat_id, clock.now))
        return True

    for chat_id in (-100, -100, 5, 5, -100):
        await limiter.process_request(
            call, (chat_id,), {}, "sendMessage", {"chat_id": chat_id}, None
        )
    group = [at for chat, at in sent if chat == -100]
    private = [at for chat, at in sent if chat == 5]
    gap = SendLimits().chat_interval(-100)
    assert all(b - a >= gap - 1e-9 for a, b in pairwise(group))
    assert private[1] - private[0] < 0.01


async def test_a_reply_hit_by_429_pauses_everything_and_is_retried() -> None:
    clock = FakeClock()
    pacer = Pacer(30.0, clock=clock, sleep=clock.sleep)
    limiter = PacedRateLimiter(pacer, clock=clock, sleep=clock.sleep)
    calls = 0

    async def call() -> bool:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RetryAfter(timedelta(seconds=3))
        return True

    start = clock.now
    assert await limiter.process_request(call, (), {}, "sendMessage", {"chat_id": 5}, None)
    assert calls == 2 and clock.now - start >= 3.0


def conforms(arrivals: list[float], *, burst: int, interval: float) -> bool:
    """Tell whether arrivals fit a bucket of `burst` sends refilled once per `interval`."""
    level, last = float(burst), arrivals[0] if arrivals else 0.0
    for at in arrivals:
        level = min(float(burst), level + (at - last) / interval) - 1.0
        last = at
        if level < -1e-9:
            return False
    return True


async def test_a_private_chat_gets_a_burst_then_one_message_per_interval() -> None:
    clock = FakeClock()
    limits = SendLimits()
    chats = ChatPacer(limits, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(8):
        async with chats.slot(5):
            starts.append(clock.now)
    assert starts[:3] == [100.0] * 3
    assert all(b - a >= limits.chat_interval(5) - 1e-9 for a, b in pairwise(starts[3:]))
    assert conforms(starts, burst=3, interval=1.0)
    assert not conforms([*starts[:3], starts[3] - 0.05], burst=3, interval=1.0)


async def test_the_interval_counts_from_telegrams_answer() -> None:
    clock = FakeClock()
    limits = SendLimits(burst_per_chat=1)
    chats = ChatPacer(limits, clock=clock, sleep=clock.sleep)
    answered = []
    for latency in (0.4, 0.0, 0.0):
        async with chats.slot(-100):
            await clock.sleep(latency)  # the request travels; Telegram counts it on arrival
            answered.append(clock.now)
    assert answered[1] - answered[0] >= limits.chat_interval(-100) - 1e-9


async def test_broadcast_sends_and_replies_to_one_chat_share_its_allowance() -> None:
    clock = FakeClock()
    limits = SendLimits()
    pacer = Pacer(1000.0, clock=clock, sleep=clock.sleep)
    chats = ChatPacer(limits, clock=clock, sleep=clock.sleep)
    limiter = PacedRateLimiter(pacer, chats=chats, clock=clock, sleep=clock.sleep)
    arrivals: list[float] = []

    async def call() -> bool:
        arrivals.append(clock.now)
        return True

    async def broadcast() -> None:
        for _ in range(6):
            async with chats.slot(7):
                await pacer.acquire()
                await call()

    async def replies() -> None:
        for endpoint in ("sendMessage", "editMessageText", "editMessageReplyMarkup") * 2:
            await limiter.process_request(call, (), {}, endpoint, {"chat_id": 7}, None)

    await asyncio.gather(broadcast(), replies())
    assert len(arrivals) == 12
    assert conforms(sorted(arrivals), burst=3, interval=1.0)


async def bulk_sender(pacer: Pacer, clock: FakeClock, starts: list[float], count: int) -> None:
    for _ in range(count):
        await pacer.acquire(Lane.BULK)
        starts.append(clock.now)


async def test_a_reply_takes_the_next_slot_ahead_of_waiting_broadcast_sends() -> None:
    clock = FakeClock()
    pacer = Pacer(10.0, clock=clock, sleep=clock.sleep)
    bulk: list[float] = []
    workers = [asyncio.create_task(bulk_sender(pacer, clock, bulk, 5)) for _ in range(16)]
    for _ in range(50):  # let the broadcast run a while; its workers queue up
        await asyncio.sleep(0)
    assert 5 < len(bulk) < 64
    asked = clock.now
    await pacer.acquire(Lane.INTERACTIVE)
    answered = clock.now
    # Sixteen broadcast sends were waiting; the reply waited for one slot, not sixteen.
    assert answered - asked <= 0.1 + 1e-9
    assert sum(1 for at in bulk if asked < at <= answered) <= 1
    await asyncio.gather(*workers)
    assert window_counts(sorted([*bulk, answered])) <= 10


async def test_readers_get_at_most_their_share_while_the_broadcast_waits() -> None:
    clock = FakeClock()
    pacer = Pacer(20.0, interactive_share=0.5, clock=clock, sleep=clock.sleep)
    bulk: list[float] = []
    replies: list[float] = []

    async def reply() -> None:
        await pacer.acquire(Lane.INTERACTIVE)
        replies.append(clock.now)

    started = clock.now
    workers = [asyncio.create_task(bulk_sender(pacer, clock, bulk, 40)) for _ in range(4)]
    burst = [asyncio.create_task(reply()) for _ in range(300)]
    await asyncio.gather(*workers)
    # The burst outlasts the broadcast's 160 sends, which still got half of every second.
    assert len(replies) < 300
    assert bulk[-1] - started <= 160 / (20 * 0.5)
    assert window_counts([at for at in replies if at <= bulk[-1]]) <= 10
    await asyncio.gather(*burst)
    assert len(replies) == 300
    assert window_counts(sorted([*bulk, *replies])) <= 20


async def test_with_no_broadcast_waiting_readers_may_use_the_whole_rate() -> None:
    clock = FakeClock()
    pacer = Pacer(10.0, interactive_share=0.3, clock=clock, sleep=clock.sleep)
    starts: list[float] = []

    async def reply() -> None:
        await pacer.acquire(Lane.INTERACTIVE)
        starts.append(clock.now)

    await asyncio.gather(*(reply() for _ in range(30)))
    assert starts[-1] - starts[0] <= 29 * 0.1 + 1e-6


async def test_the_next_part_of_a_reply_goes_ahead_of_other_replies() -> None:
    clock = FakeClock()
    pacer = Pacer(10.0, clock=clock, sleep=clock.sleep)
    order: list[str] = []

    async def reply(name: str, *, follow_up: bool = False) -> None:
        await pacer.acquire(Lane.INTERACTIVE, follow_up=follow_up)
        order.append(name)

    await pacer.acquire(Lane.INTERACTIVE)  # the first part went out
    others = [asyncio.create_task(reply(f"other {n}")) for n in range(5)]
    await asyncio.sleep(0)
    await reply("second part", follow_up=True)
    await asyncio.gather(*others)
    assert order[0] == "second part"


async def test_a_429_pauses_both_lanes() -> None:
    clock = FakeClock()
    pacer = Pacer(10.0, clock=clock, sleep=clock.sleep)
    await pacer.acquire(Lane.BULK)
    pacer.pause(4.0)
    paused_at = clock.now
    starts: list[float] = []

    async def take(lane: Lane) -> None:
        await pacer.acquire(lane)
        starts.append(clock.now)

    await asyncio.gather(take(Lane.INTERACTIVE), take(Lane.BULK))
    assert min(starts) - paused_at >= 4.0 - 1e-9


async def test_a_send_counts_in_the_window_until_a_second_after_its_answer() -> None:
    clock = FakeClock()
    pacer = Pacer(100.0, window=3, clock=clock, sleep=clock.sleep)
    starts: list[float] = []
    answer = asyncio.Event()

    async def send() -> None:
        async with pacer.slot(Lane.BULK):
            starts.append(clock.now)
            await answer.wait()  # Telegram may count it at any moment until it answers

    sends = [asyncio.create_task(send()) for _ in range(3)]
    for _ in range(20):
        await asyncio.sleep(0)
    assert len(starts) == 3
    clock.now += 0.5
    answer.set()
    await asyncio.gather(*sends)
    answered = clock.now
    await pacer.acquire(Lane.BULK)
    # The three may have arrived just before their answers: the fourth starts a whole
    # second after those, not a second after their starts.
    assert clock.now >= answered + 1.0 - 1e-9
