"""The editors' /stats picture: a real PNG drawn from the database, numbers in the caption."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from PIL import Image

from bot.editorial.stats_chart import BroadcastBar, render_chart, weekly_series
from standin import BotApiStandIn
from tests.newsroom import NEWEST_LABEL, newsroom, open_private_chats, prepare_database, readers

LABELS = {
    "subscribers": "Subscribers by week",
    "broadcasts": "Last broadcasts",
    "sent": "sent",
    "skipped": "skipped",
    "failed": "failed",
    "none": "None yet.",
}


def test_weekly_counts_are_worked_back_from_today() -> None:
    today = date(2026, 12, 3)  # a Thursday; its week starts on November 30
    changes = [
        ("2026-11-16", "be", 5, 1),
        ("2026-11-23", "be", 2, 0),
        ("2026-11-30", "be", 1, 3),
        ("2026-11-30", "ru", 4, 0),
    ]
    mondays, series = weekly_series({"be": 10, "ru": 4, "en": 0}, changes, 4, today)
    assert mondays == [
        date(2026, 11, 9),
        date(2026, 11, 16),
        date(2026, 11, 23),
        date(2026, 11, 30),
    ]
    # be: 10 now; +1-3 this week, +2 the week before, +5-1 the week before that.
    assert series["be"] == [6, 10, 12, 10]
    assert series["ru"] == [0, 0, 0, 4]
    assert series["en"] == [0, 0, 0, 0]


def test_the_chart_is_a_png_in_cyrillic_too() -> None:
    mondays = [date(2026, 11, 23), date(2026, 11, 30)]
    png = render_chart(
        mondays,
        {"be": [3, 4], "ru": [1, 2]},
        {"be": "Беларуская", "ru": "Русский"},
        [BroadcastBar("21.09", sent=40, skipped=2, failed=1)],
        {**LABELS, "subscribers": "Падпісчыкі па тыднях"},
    )
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (800, 650)
    # Not a blank canvas: the lines and bars put many colours on it.
    colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 50


async def test_stats_sends_the_chart_as_a_photo_with_the_numbers(
    standin: BotApiStandIn, database: Path
) -> None:
    audience = readers(6)
    await prepare_database(database, audience)
    open_private_chats(standin, audience)
    async with newsroom(standin, database) as desk:
        await desk.finish((await desk.send_newest()).id)
        (answer,) = await desk.say("/stats")
    assert answer.photo is not None
    (size,) = answer.photo
    assert (size["width"], size["height"]) == (800, 650)
    png = standin.file_content_by_id(size["file_id"])
    assert Image.open(io.BytesIO(png)).format == "PNG"
    assert "Беларуская: 2 (private chats 2)" in answer.text
    assert f"{NEWEST_LABEL} (issue, delivered): sent " in answer.text
    assert len(answer.text) <= 1024
