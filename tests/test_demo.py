"""The demo that `make run` plays without a token: it must finish and tell the whole story."""

from __future__ import annotations

from bot.demo import play


async def test_demo_plays_the_whole_scene_and_exits_cleanly() -> None:
    lines: list[str] = []
    assert await play(lines.append) == 0
    transcript = "\n".join(lines)
    for expected in (
        "Aleś in a private chat: /start",
        "Subscribed (language: English)",
        "Изменять подписку этого чата могут только его администраторы.",
        "This list has expired. Send the command again.",
        "Delivered: the issue of September 21",
        "0 Bot API calls were refused",
        "From the website: 3 new or changed posts for the issue of",
        "Rail transit: new routes to the east",
    ):
        assert expected in transcript, expected
