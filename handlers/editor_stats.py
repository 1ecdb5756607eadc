"""Editors' overview: subscribers by language and kind, joins and leaves, last broadcasts."""

from __future__ import annotations

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
    for broadcast in recent:
        counts = await broadcasts.counts(broadcast.id)
        sent = sum(n for (_, status), n in counts.items() if status is DeliveryStatus.SENT)
        failed = sum(n for (_, status), n in counts.items() if status is DeliveryStatus.FAILED)
        skipped = sum(n for (_, status), n in counts.items() if status is DeliveryStatus.SKIPPED)
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
    await chat.send_message("\n".join(lines))
