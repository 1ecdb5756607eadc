"""Button payloads: within 64 bytes, round-trip, and None for anything malformed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import callbacks
from bot.content import KEY_PATTERN
from bot.storage.archive import MAX_SEARCH_ID

LONGEST_KEY = "k" * 40


@pytest.mark.parametrize(
    "action",
    [
        callbacks.Subscribe("be"),
        callbacks.SetLanguage("en"),
        callbacks.ToggleTopic(None),
        callbacks.ToggleTopic(LONGEST_KEY),
        callbacks.ToggleTopic(LONGEST_KEY, callbacks.MAX_PAGE),
        callbacks.ToggleTopic(None, 3),
        callbacks.TopicsPage(callbacks.MAX_PAGE),
        callbacks.TopicList(2),
        callbacks.TopicsDone(),
        callbacks.ArchivePage(LONGEST_KEY, callbacks.MAX_PAGE),
        callbacks.SearchPage(MAX_SEARCH_ID, callbacks.MAX_PAGE),
        callbacks.Read(2**62),
    ],
)
def test_payloads_round_trip_within_64_bytes(action: callbacks.Action) -> None:
    data = callbacks.encode(action)
    assert len(data.encode()) <= 64
    assert callbacks.parse(data) == action


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
    assert callbacks.parse(data) is None


@given(st.text(max_size=80))
def test_parse_never_raises(data: str) -> None:
    result = callbacks.parse(data)
    if result is not None:
        assert callbacks.encode(result) == data
