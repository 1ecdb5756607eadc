"""Editors' overview: subscribers by language and kind, joins and leaves, last broadcasts."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime
from typing import Final

from telegram import Update

from bot.context import BotContext
from bot.newsletter import render
from bot.newsletter.content import LANGUAGES
from bot.newsletter.i18n import LANGUAGE_NAMES, N_, Translator
from bot.newsletter.telegram_html import escape
from bot.storage import DeliveryStatus
from handlers.guards import editors_only

CHAT_KINDS: Final = {
    "private": N_("private chats"),
    "group": N_("groups"),
    "supergroup": N_("supergroups"),
    "channel": N_("channels"),
}
BROADCAST_KINDS: Final = {"issue": N_("issue"), "correction": N_("correction")}
BROADCAST_STATES: Final = {
    "scheduled": N_("scheduled"),
    "sending": N_("sending"),
    "done": N_("delivered"),
    "cancelled": N_("stopped"),
}

log = logging.getLogger(__name__)

CAPTION_LIMIT: Final = 1024
"""Telegram's limit for a photo's caption."""
STATS_WEEKS = 8
RECENT_BROADCASTS = 5


@editors_only
async def stats_command(update: Update, context: BotContext, t: Translator) -> None:
    """Show subscribers by language and chat kind, weekly joins and leaves, last broadcasts."""
    chat = update.effective_chat
    assert chat is not None
    subscriptions, broadcasts = context.store.subscriptions, context.store.broadcasts
    by_kind = await subscriptions.active_by_kind()
    lines = [render.bold(t.gettext("Subscribers"))]
    for language in LANGUAGES:
        kinds = {kind: n for (lang, kind), n in by_kind.items() if lang == language}
        detail = ", ".join(
            f"{t.gettext(CHAT_KINDS.get(kind, kind))} {t.format_number(n)}"
            for kind, n in sorted(kinds.items())
        )
        total = t.format_number(sum(kinds.values()))
        lines.append(
            escape(f"{LANGUAGE_NAMES[language]}: {total}" + (f" ({detail})" if detail else ""))
        )
    lines += ["", render.bold(t.gettext("Joins and leaves by week"))]
    changes = await subscriptions.weekly_changes(STATS_WEEKS)
    if not changes:
        lines.append(escape(t.gettext("No changes in the last weeks.")))
    for monday, joins, leaves in changes:
        lines.append(escape(f"{monday}: +{t.format_number(joins)} / −{t.format_number(leaves)}"))
    lines += ["", render.bold(t.gettext("Last broadcasts"))]
    recent = await broadcasts.recent(RECENT_BROADCASTS)
    if not recent:
        lines.append(escape(t.gettext("None yet.")))
    bars: list[tuple[str, int, int, int]] = []
    for broadcast in recent:
        counts = await broadcasts.counts(broadcast.id)
        sent = sum(n for (_, status), n in counts.items() if status is DeliveryStatus.SENT)
        failed = sum(n for (_, status), n in counts.items() if status is DeliveryStatus.FAILED)
        skipped = sum(n for (_, status), n in counts.items() if status is DeliveryStatus.SKIPPED)
        bars.append((t.format_date(broadcast.issue.week_start), sent, skipped, failed))
        lines.append(
            escape(
                t.gettext(
                    "{week} ({kind}, {status}): sent {sent}, failed {failed}, skipped {skipped}"
                ).format(
                    week=t.format_week(broadcast.issue.week_start, broadcast.issue.week_end),
                    kind=t.gettext(BROADCAST_KINDS[broadcast.kind.value]),
                    status=t.gettext(BROADCAST_STATES[broadcast.status.value]),
                    sent=t.format_number(sent),
                    failed=t.format_number(failed),
                    skipped=t.format_number(skipped),
                )
            )
        )
    text = "\n".join(lines)
    chart = await _chart(context, t, bars[::-1])
    if chart is None:
        await chat.send_message(text)
    elif len(text) <= CAPTION_LIMIT:
        await chat.send_photo(chart, caption=text)
    else:
        # The caption would be cut: the picture with its title, then the numbers in full.
        await chat.send_photo(chart, caption=lines[0])
        await chat.send_message(text)


async def _chart(
    context: BotContext, t: Translator, bars: list[tuple[str, int, int, int]]
) -> bytes | None:
    """Draw the /stats chart in a worker thread; None (and a log line) if it fails."""
    subscriptions = context.store.subscriptions
    current = await subscriptions.count_active()
    changes = await subscriptions.weekly_changes_by_language(STATS_WEEKS)
    labels = {
        "subscribers": t.gettext("Subscribers by week"),
        "broadcasts": t.gettext("Last broadcasts"),
        "sent": t.gettext("sent"),
        "skipped": t.gettext("skipped"),
        "failed": t.gettext("failed"),
        "none": t.gettext("None yet."),
    }
    names = {language: LANGUAGE_NAMES[language] for language in LANGUAGES}
    today = datetime.now(context.settings.timezone).date()
    try:
        return await asyncio.to_thread(
            _draw,
            current={lang: current.get(lang, 0) for lang in LANGUAGES},
            changes=changes,
            today=today,
            names=names,
            bars=bars,
            labels=labels,
        )
    except Exception:  # the numbers still go out as text
        log.exception("Could not draw the /stats chart")
        return None


def _draw(
    *,
    current: dict[str, int],
    changes: list[tuple[str, str, int, int]],
    today: date,
    names: dict[str, str],
    bars: list[tuple[str, int, int, int]],
    labels: dict[str, str],
) -> bytes:
    # matplotlib loads here, in the worker thread, at the first /stats: not at start-up.
    from bot.editorial.stats_chart import BroadcastBar, render_chart, weekly_series  # noqa: PLC0415

    mondays, series = weekly_series(current, changes, STATS_WEEKS, today)
    results = [BroadcastBar(label, *counts) for label, *counts in bars]
    return render_chart(mondays, series, names, results, labels)
