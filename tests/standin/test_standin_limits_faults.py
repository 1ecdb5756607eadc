"""Flood windows on an injected clock, and fault rules drawn from a seeded generator."""

from __future__ import annotations

import pytest

from standin import Fault, FloodLimiter, FloodLimits
from standin.faults import FaultInjector


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limits_are_off_by_default() -> None:
    limiter = FloodLimiter(clock=FakeClock())

    assert all(limiter.acquire(1, group=False) is None for _ in range(500))
    assert limiter.refused == 0


def test_one_message_per_chat_per_second() -> None:
    clock = FakeClock()
    limiter = FloodLimiter(FloodLimits(enabled=True), clock)

    assert limiter.acquire(1, group=False) is None
    clock.now += 0.5
    assert limiter.acquire(1, group=False) == 1
    assert limiter.acquire(2, group=False) is None
    clock.now += 0.5
    assert limiter.acquire(1, group=False) is None
    assert limiter.refused == 1
    assert limiter.refused_by_chat == {1: 1}


def test_a_chat_may_burst_then_gets_one_send_per_second() -> None:
    clock = FakeClock()
    limiter = FloodLimiter(FloodLimits(enabled=True, chat_burst=3), clock)

    assert [limiter.acquire(1, group=False) for _ in range(4)] == [None, None, None, 1]
    clock.now += 0.99
    assert limiter.acquire(1, group=False) == 1
    clock.now += 0.01
    assert limiter.acquire(1, group=False) is None
    clock.now += 0.5
    assert limiter.acquire(1, group=False) == 1
    clock.now += 0.5
    assert limiter.acquire(1, group=False) is None
    clock.now += 10.0  # an idle chat gets its burst back, no more
    assert [limiter.acquire(1, group=False) for _ in range(4)] == [None, None, None, 1]


def test_thirty_per_second_overall_is_a_sliding_window() -> None:
    clock = FakeClock()
    limiter = FloodLimiter(FloodLimits(enabled=True), clock)
    for chat in range(30):
        clock.now += 0.01
        assert limiter.acquire(chat, group=False) is None

    assert limiter.acquire(100, group=False) == 1
    clock.now = 1001.015  # the first send left the window, the second has not
    assert limiter.acquire(100, group=False) is None
    assert limiter.acquire(101, group=False) == 1


def test_paid_broadcast_lifts_the_overall_limit() -> None:
    clock = FakeClock()
    limiter = FloodLimiter(FloodLimits(enabled=True), clock)

    results = [limiter.acquire(chat, group=False, paid=True) for chat in range(100)]

    assert results == [None] * 100


def test_twenty_per_minute_in_a_group_with_retry_after_in_whole_seconds() -> None:
    clock = FakeClock()
    limiter = FloodLimiter(FloodLimits(enabled=True), clock)
    for _ in range(20):
        assert limiter.acquire(-5, group=True) is None
        clock.now += 1.5

    # The first of the 20 sends left at 1000.0 leaves the window at 1060.0; now is 1030.0.
    assert limiter.acquire(-5, group=True) == 30
    clock.now = 1059.9
    assert limiter.acquire(-5, group=True) == 1
    clock.now = 1060.0
    assert limiter.acquire(-5, group=True) is None


def test_refused_sends_do_not_use_up_the_window() -> None:
    clock = FakeClock()
    limiter = FloodLimiter(FloodLimits(enabled=True), clock)
    limiter.acquire(1, group=False)
    for _ in range(10):
        limiter.acquire(1, group=False)
    clock.now += 1.0

    assert limiter.acquire(1, group=False) is None


def test_limits_change_at_run_time() -> None:
    clock = FakeClock()
    limiter = FloodLimiter(FloodLimits(enabled=True), clock)
    limiter.acquire(1, group=False)
    limiter.limits = FloodLimits(enabled=False)

    assert limiter.acquire(1, group=False) is None


def test_rules_fire_the_given_number_of_times_in_order() -> None:
    injector = FaultInjector()
    injector.add(Fault.forbidden(), method="sendMessage", chat_id=5, times=2)
    injector.add(Fault.server_error(502), method=None)

    assert injector.match("sendmessage", "5") == Fault.forbidden()
    assert injector.match("getme", None) == Fault(502, "Bad Gateway")
    assert injector.match("sendmessage", 5) == Fault.forbidden()
    assert injector.match("sendmessage", 5) is None
    assert injector.match("sendmessage", 6) is None


def test_rate_rules_are_reproducible_for_a_seed() -> None:
    def fired(seed: int) -> list[bool]:
        injector = FaultInjector(seed)
        injector.add(Fault.server_error(), method="sendMessage", times=None, rate=0.3)
        return [injector.match("sendmessage", 1) is not None for _ in range(200)]

    first, again, other = fired(7), fired(7), fired(8)

    assert first == again
    assert first != other
    assert 30 < sum(first) < 90


def test_rule_arguments_are_checked() -> None:
    injector = FaultInjector()
    with pytest.raises(ValueError, match="times"):
        injector.add(Fault.forbidden(), times=0)
    with pytest.raises(ValueError, match="rate"):
        injector.add(Fault.forbidden(), rate=1.5)


def test_fault_shapes() -> None:
    assert Fault.too_many_requests(7).parameters() == {"retry_after": 7}
    assert Fault.bad_request("chat not found").description == "Bad Request: chat not found"
    assert Fault.timeout(2.0, deliver=False) == Fault(None, "", delay=2.0, deliver=False)
    assert Fault.from_json(Fault.forbidden().to_json()) == Fault.forbidden()
