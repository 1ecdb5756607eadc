"""Small helpers every handler uses: the reply language and the administrator check."""

from __future__ import annotations

from telegram import CallbackQuery, Chat, Update
from telegram.constants import ChatMemberStatus, ChatType

from bot.context import BotContext
from bot.newsletter.i18n import Translator, reply_language
from bot.newsletter.telegram_html import escape

ADMIN_STATUSES = frozenset({ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR})


async def chat_language(update: Update, context: BotContext) -> str:
    """Return the language of the chat, or a guess from the user's Telegram settings."""
    chat, user = update.effective_chat, update.effective_user
    chosen = None if chat is None else await context.store.subscriptions.language(chat.id)
    return reply_language(
        chosen, user.language_code if user else None, context.settings.default_language
    )


async def translator(update: Update, context: BotContext) -> Translator:
    """Return the translator for the chat the update comes from."""
    return context.catalogs[await chat_language(update, context)]


async def tell(update: Update, text: str) -> None:
    """Answer an update with a short plain text: an alert on a button, else a message."""
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_chat is not None:
        await update.effective_chat.send_message(escape(text))


async def answer_expired(query: CallbackQuery, t: Translator) -> None:
    """Answer a button that points at nothing any more, or never did."""
    await query.answer(
        t.gettext("This list has expired. Send the command again."), show_alert=True
    )


def chat_title(chat: Chat) -> str | None:
    """Return a readable name of a chat for the records."""
    return chat.title or chat.full_name or chat.username


async def may_manage_subscription(update: Update, context: BotContext) -> bool:
    """Return whether the sender may change the chat's subscription.

    Anyone may in a private chat. In groups only administrators may, including anonymous
    ones posting as the group; in channels the channel's own posts may, and a button press
    only when the user who pressed it is an administrator of the channel.
    """
    chat = update.effective_chat
    if chat is None:
        return False
    if chat.type == ChatType.PRIVATE:
        return True
    if update.callback_query is None:
        if chat.type == ChatType.CHANNEL:
            return update.channel_post is not None or update.edited_channel_post is not None
        message = update.effective_message
        if message is not None and message.sender_chat is not None:
            return message.sender_chat.id == chat.id
    user = update.effective_user
    if user is None:
        return False
    member = await context.bot.get_chat_member(chat.id, user.id)
    return member.status in ADMIN_STATUSES
