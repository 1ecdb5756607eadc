"""The editors' /stats picture: subscribers per language by week, and the last broadcasts.

Drawn with matplotlib's Agg backend on a Figure of its own (no pyplot, no global state),
so it can run in a worker thread while the event loop goes on.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

COLORS = {"be": "#c0392b", "ru": "#2c7fb8", "en": "#7b9e3a"}
OUTCOME_COLORS = {"sent": "#4c9f70", "skipped": "#e1a03a", "failed": "#c0392b"}


@dataclass(frozen=True, slots=True)
class BroadcastBar:
    """One broadcast's results, labelled for the chart."""

    label: str
    sent: int
    skipped: int
    """Not sent on purpose: the chat blocked the bot, left, or changed its language."""
    failed: int


def weekly_series(
    current: Mapping[str, int],
    changes: Sequence[tuple[str, str, int, int]],
    weeks: int,
    today: date,
) -> tuple[list[date], dict[str, list[int]]]:
    """Work back from today's counts: subscribers per language at the end of each week.

    `changes` are (Monday, language, joins, leaves) rows; the result has `weeks` Mondays,
    oldest first, and one count per Monday and language.
    """
    this_monday = today - timedelta(days=today.weekday())
    mondays = [this_monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    net: dict[tuple[date, str], int] = {}
    for week_text, changed, joins, leaves in changes:
        key = (date.fromisoformat(week_text), changed)
        net[key] = net.get(key, 0) + joins - leaves
    series: dict[str, list[int]] = {}
    for language, count in current.items():
        counts = []
        for monday in mondays:
            later = sum(n for (week, lang), n in net.items() if lang == language and week > monday)
            counts.append(max(0, count - later))
        series[language] = counts
    return mondays, series


def render_chart(
    mondays: Sequence[date],
    series: Mapping[str, Sequence[int]],
    names: Mapping[str, str],
    broadcasts: Sequence[BroadcastBar],
    labels: Mapping[str, str],
) -> bytes:
    """Return a PNG: subscribers per language by week above, broadcast results below.

    `names` name the languages; `labels` hold the translated titles and outcome names
    (keys: subscribers, broadcasts, sent, skipped, failed, none).
    """
    figure = Figure(figsize=(8, 6.5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1)
    ticks = [monday.strftime("%d.%m") for monday in mondays]
    for language, counts in series.items():
        top.plot(
            ticks,
            counts,
            marker="o",
            label=names.get(language, language),
            color=COLORS.get(language),
        )
    top.set_title(labels["subscribers"])
    top.set_ylim(bottom=0)
    top.grid(alpha=0.3)
    if series:
        top.legend(loc="best")

    bottom.set_title(labels["broadcasts"])
    if broadcasts:
        positions = list(range(len(broadcasts)))
        base = [0] * len(broadcasts)
        for outcome in ("sent", "skipped", "failed"):
            values = [getattr(bar, outcome) for bar in broadcasts]
            bottom.bar(
                positions,
                values,
                bottom=base,
                label=labels[outcome],
                color=OUTCOME_COLORS[outcome],
            )
            base = [b + v for b, v in zip(base, values, strict=True)]
        bottom.set_xticks(positions, [bar.label for bar in broadcasts], fontsize=8)
        bottom.legend(loc="lower right", framealpha=0.9)
    else:
        bottom.text(0.5, 0.5, labels["none"], ha="center", va="center", transform=bottom.transAxes)
        bottom.set_xticks([])
    bottom.grid(axis="y", alpha=0.3)
    output = io.BytesIO()
    figure.savefig(output, format="png")
    return output.getvalue()
