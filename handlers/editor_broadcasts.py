"""Broadcasts under way and planned: /scheduled, and the Stop, Resume and Cancel buttons."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.editorial import reports, views
from bot.interface import payloads
from bot.newsletter.i18n import Translator
from bot.newsletter.telegram_html import escape
from bot.storage import BroadcastStatus
from handlers.common import answer_expired
from handlers.guards import editors_only


@editors_only
async def scheduled_command(update: Update, context: BotContext, t: Translator) -> None:
    """List the running broadcasts (with Stop) and the scheduled ones (with Cancel)."""
    chat = update.effective_chat
    assert chat is not None
    broadcasts = context.store.broadcasts
    running = await broadcasts.with_status(BroadcastStatus.SENDING)
    for broadcast in running:
        progress = context.bot_data.delivery.progress(broadcast.id)
        text, markup = views.running_entry(t, broadcast, progress)
        await chat.send_message(text, reply_markup=markup)
    planned = await broadcasts.with_status(BroadcastStatus.SCHEDULED)
    if not planned and not running:
        await chat.send_message(escape(t.gettext("No broadcast is scheduled.")))
    for broadcast in planned:
        if broadcast.scheduled_at is not None:
            text, markup = views.planned_entry(t, broadcast, context.settings.timezone)
            await chat.send_message(text, reply_markup=markup)


@editors_only
async def broadcast_button(update: Update, context: BotContext, t: Translator) -> None:
    """Handle Stop and Resume of a broadcast and Cancel of a scheduled one."""
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    editorial = context.bot_data.editorial
    match payloads.parse(query.data):
        case payloads.Stop(broadcast_id):
            if editorial.stop(broadcast_id):
                await query.answer(
                    t.gettext("Stopping. Messages already sent stay with the readers.")
                )
            else:
                await query.answer(t.gettext("This broadcast is not running."), show_alert=True)
        case payloads.Resume(broadcast_id):
            if await editorial.resume(broadcast_id):
                await query.answer(t.gettext("Resuming: only what was not sent goes out."))
                await query.edit_message_reply_markup(reports.stop_button(t, broadcast_id))
            else:
                text = t.gettext("This broadcast has nothing to resume.")
                await query.answer(text, show_alert=True)
        case payloads.Unschedule(broadcast_id):
            await query.answer()
            if await editorial.cancel(broadcast_id):
                text = t.gettext("The scheduled broadcast was cancelled.")
            else:
                text = t.gettext("That broadcast is not scheduled any more.")
            await update.effective_chat.send_message(escape(text))
        case _:
            await answer_expired(query, t)
