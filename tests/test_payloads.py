"""Button payloads: within 64 bytes, round-trip, and None for anything malformed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.interface import payloads
from bot.newsletter.content import KEY_PATTERN, MAX_SEARCH_ID

LONGEST_KEY = "k" * 40


@pytest.mark.parametrize(
    "action",
    [
        payloads.Subscribe("be"),
        payloads.SetLanguage("en"),
        payloads.ToggleTopic(None),
        payloads.ToggleTopic(LONGEST_KEY),
        payloads.ToggleTopic(LONGEST_KEY, payloads.MAX_PAGE),
        payloads.ToggleTopic(None, 3),
        payloads.TopicsPage(payloads.MAX_PAGE),
        payloads.TopicList(2),
        payloads.TopicsDone(),
        payloads.ArchivePage(LONGEST_KEY, payloads.MAX_PAGE),
        payloads.SearchPage(MAX_SEARCH_ID, payloads.MAX_PAGE),
        payloads.Read(2**62),
    ],
)
def test_payloads_round_trip_within_64_bytes(action: payloads.Action) -> None:
    data = payloads.encode(action)
    assert len(data.encode()) <= 64
    assert payloads.parse(data) == action


def test_longest_key_is_what_the_content_model_allows() -> None:
    assert KEY_PATTERN.match(LONGEST_KEY)
    assert not KEY_PATTERN.match(LONGEST_KEY + "k")


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "sub:xx",
        "sub:",
        "lang:EN",
        "ar:economy",
        "ar:economy:-1",
        "ar:Economy:0",
        "ar:economy:1:2",
        "rd:",
        "rd:abc",
        "rd:١٢",
        "sr:1",
        f"sr:{MAX_SEARCH_ID + 1}:0",
        "td:x",
        "x" * 65,
        "tt:a b",
        "tt:economy:0",
        "tt:economy:x",
        "tp:",
        "tl:-1",
        "ar:economy:99999999999999",
    ],
)
def test_malformed_payloads_parse_to_none(data: str | None) -> None:
    assert payloads.parse(data) is None


@given(st.text(max_size=80))
def test_parse_never_raises(data: str) -> None:
    result = payloads.parse(data)
    if result is not None:
        assert payloads.encode(result) == data
