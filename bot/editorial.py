"""How an issue broadcast starts, whoever starts it: an editor's press or a scheduled time.

Send-now and scheduled runs (including schedules restored at start-up) go through
`start_broadcast`: it posts the editor's progress message, asks the delivery service to
fix the audience, and tells the editor, in their language, when the issue turned out to be
delivered by another broadcast. That rule itself is the store's (`delivers_issue` is
unique), so no interleaving of presses, schedules and processes can deliver an issue twice.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram.error import TelegramError
from telegram.ext import ExtBot

from bot import editor_reports
from bot.delivery.service import DeliveryService
from bot.editor_reports import editor_translator
from bot.i18n import Catalogs, Translator
from bot.storage import AlreadyDeliveredError, Broadcast, BroadcastStatus, Store
from bot.telegram_html import escape

log = logging.getLogger(__name__)


def already_delivered_text(t: Translator, holder: Broadcast) -> str:
    """Say why an issue is not sent again: it is being sent, or was sent on a date."""
    week = t.format_week(holder.issue.week_start, holder.issue.week_end)
    if holder.status is BroadcastStatus.SENDING:
        return t.gettext(
            "Nothing was sent: the issue of {week} is already being sent by another broadcast."
        ).format(week=week)
    started = holder.started_at or holder.created_at
    return t.gettext(
        "Nothing was sent: the issue of {week} was already sent on {date}. "
        "Upload a corrected file to fix it."
    ).format(week=week, date=t.format_date(started.date()))


async def start_broadcast(
    *,
    bot: ExtBot[Any],
    store: Store,
    delivery: DeliveryService,
    catalogs: Catalogs,
    default_language: str,
    broadcast_id: int,
) -> int:
    """Start a scheduled issue broadcast with a progress message; return its message count.

    Return 0 when it did not start: cancelled meanwhile, or the issue is delivered by
    another broadcast (the editor is told so in place of the progress message).
    """
    broadcast = await store.broadcasts.get(broadcast_id)
    if broadcast is None or broadcast.status is not BroadcastStatus.SCHEDULED:
        return 0
    t = await editor_translator(store, catalogs, default_language, broadcast.editor_chat_id)
    progress_id: int | None = None
    holder = await store.broadcasts.last_delivery(broadcast.issue.id)
    if holder is None:
        try:
            progress = await bot.send_message(
                broadcast.editor_chat_id,
                escape(t.gettext("Preparing the broadcast…")),
                reply_markup=editor_reports.stop_button(t, broadcast_id),
            )
            progress_id = progress.message_id
            await store.broadcasts.set_progress_message(broadcast_id, progress_id)
        except TelegramError as exc:
            log.warning("Could not post the progress of broadcast %s: %s", broadcast_id, exc)
        try:
            total = await delivery.start(broadcast_id)
        except AlreadyDeliveredError as exc:
            holder = exc.by
        else:
            if await store.broadcasts.status(broadcast_id) is not BroadcastStatus.CANCELLED:
                log.info("Broadcast %s: %d messages to send", broadcast_id, total)
                return total
            # Cancelled between the press and the start (another editor's Cancel).
            holder = await store.broadcasts.last_delivery(broadcast.issue.id)
            if holder is None:
                text = t.gettext("Nothing was sent: the broadcast was cancelled.")
                await _tell(bot, broadcast.editor_chat_id, progress_id, text)
                return 0
    else:
        await store.broadcasts.cancel_scheduled(broadcast_id)
    log.warning(
        "Broadcast %s not started: issue %s is delivered by broadcast %s",
        broadcast_id,
        broadcast.issue.id,
        holder.id,
    )
    await _tell(bot, broadcast.editor_chat_id, progress_id, already_delivered_text(t, holder))
    return 0


async def _tell(bot: ExtBot[Any], chat_id: int, message_id: int | None, text: str) -> None:
    """Put `text` in place of a progress message (dropping its Stop button), or send it."""
    try:
        if message_id is not None:
            await bot.edit_message_text(
                escape(text), chat_id=chat_id, message_id=message_id, reply_markup=None
            )
        else:
            await bot.send_message(chat_id, escape(text))
    except TelegramError as exc:
        log.warning("Could not tell editor chat %s: %s", chat_id, exc)
