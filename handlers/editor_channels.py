"""The channels that mirror broadcasts: list, add and remove them (/channels)."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden

from bot.context import BotContext
from bot.interface import payloads
from bot.newsletter import render
from bot.newsletter.content import LANGUAGES
from bot.newsletter.i18n import LANGUAGE_NAMES, Translator
from bot.newsletter.telegram_html import escape
from handlers.common import answer_expired
from handlers.guards import editors_only

log = logging.getLogger(__name__)


@editors_only
async def channels_command(update: Update, context: BotContext, t: Translator) -> None:
    """List the mirror channels, or add one: /channels add @channel <language>."""
    chat = update.effective_chat
    assert chat is not None
    args = context.args or []
    if args and args[0] == "add":
        await _add_channel(update, context, t, args[1:])
        return
    channels = await context.store.subscriptions.channels()
    usage = t.gettext(
        "To add a channel, make the bot one of its administrators, then send "
        "/channels add @channel be (or ru, en)."
    )
    if not channels:
        await chat.send_message(
            escape(t.gettext("No channel mirrors the broadcasts.") + "\n\n" + usage)
        )
        return
    rows = [
        [
            InlineKeyboardButton(
                t.gettext("Stop mirroring to {channel}").format(
                    channel=channel.title or channel.chat_id
                ),
                callback_data=payloads.encode(payloads.RemoveChannel(channel.chat_id)),
            )
        ]
        for channel in channels
    ]
    lines = [render.bold(t.gettext("Channels"))]
    lines += [
        escape(f"{channel.title or channel.chat_id} — {LANGUAGE_NAMES[channel.language]}")
        for channel in channels
    ]
    lines += ["", escape(usage)]
    await chat.send_message("\n".join(lines), reply_markup=InlineKeyboardMarkup(rows))


async def _add_channel(
    update: Update, context: BotContext, t: Translator, args: list[str]
) -> None:
    chat = update.effective_chat
    assert chat is not None
    if len(args) != 2 or args[1] not in LANGUAGES:
        await chat.send_message(escape(t.gettext("Write it as: /channels add @channel be")))
        return
    target, language = args
    shown = render.quote(target)
    reference: str | int = int(target) if target.lstrip("-").isdigit() else target
    try:
        channel = await context.bot.get_chat(reference)
        member = await context.bot.get_chat_member(channel.id, context.bot.id)
    except (BadRequest, Forbidden) as exc:
        log.info("Could not add channel %s: %s", target, exc.message)
        await chat.send_message(
            escape(
                t.gettext(
                    "I cannot see {channel}; add the bot to it as an administrator first."
                ).format(channel=shown)
            )
        )
        return
    can_post = getattr(member, "can_post_messages", False)
    if channel.type != ChatType.CHANNEL:
        text = t.gettext("{channel} is not a channel.").format(channel=shown)
    elif member.status != ChatMemberStatus.ADMINISTRATOR or not can_post:
        text = t.gettext("The bot must be an administrator of {channel} allowed to post.").format(
            channel=shown
        )
    else:
        subscriptions = context.store.subscriptions
        await subscriptions.subscribe(
            channel.id, kind=ChatType.CHANNEL, title=channel.title, language=language
        )
        await subscriptions.set_language(channel.id, language)
        log.info("Channel %s mirrors the %s broadcasts", channel.id, language)
        text = t.gettext("{channel} now receives every broadcast in {language}.").format(
            channel=channel.title or shown, language=LANGUAGE_NAMES[language]
        )
    await chat.send_message(escape(text))


@editors_only
async def channel_button(update: Update, context: BotContext, t: Translator) -> None:
    """Handle the Remove button of a mirror channel."""
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    action = payloads.parse(query.data)
    if not isinstance(action, payloads.RemoveChannel):
        await answer_expired(query, t)
        return
    await query.answer()
    removed = await context.store.subscriptions.unsubscribe(action.chat_id)
    text = (
        t.gettext("The channel no longer receives broadcasts.")
        if removed
        else t.gettext("That channel was not receiving broadcasts.")
    )
    await update.effective_chat.send_message(escape(text))
