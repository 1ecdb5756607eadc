"""The bot's own membership: blocked, kicked or added, and groups becoming supergroups."""

from __future__ import annotations

import logging

from telegram import ChatMember, ChatMemberUpdated, Update
from telegram.constants import ChatType

from bot.context import BotContext
from bot.interface import keyboards, payloads
from bot.newsletter.telegram_html import escape
from handlers.common import chat_title, translator

log = logging.getLogger(__name__)

_PRESENT = frozenset(
    {ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER, ChatMember.RESTRICTED}
)


def _was_present(change: ChatMemberUpdated) -> tuple[bool, bool]:
    """Return whether the bot was in the chat before and after the change."""
    old, new = change.old_chat_member, change.new_chat_member
    was = old.status in _PRESENT and getattr(old, "is_member", True) is not False
    now = new.status in _PRESENT and getattr(new, "is_member", True) is not False
    return was, now


async def my_chat_member(update: Update, context: BotContext) -> None:
    """Pause the subscription when the bot is blocked or removed; greet new groups."""
    change = update.my_chat_member
    assert change is not None
    chat = change.chat
    was, now = _was_present(change)
    subscriptions = context.store.subscriptions
    if was and not now:
        reason = "blocked" if chat.type == ChatType.PRIVATE else "removed"
        if await subscriptions.deactivate(chat.id, reason):
            log.info("Chat %s %s the bot; its subscription is paused", chat.id, reason)
        return
    if now and not was and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        t = await translator(update, context)
        await subscriptions.remember(
            chat.id, kind=chat.type, title=chat_title(chat), language=t.language
        )
        log.info("The bot was added to %s %s", chat.type, chat.id)
        text = t.gettext(
            "Hello! I deliver a weekly analytical commentary on Belarus. An administrator "
            "can subscribe this group by choosing a language:"
        )
        await context.bot.send_message(
            chat.id, escape(text), reply_markup=keyboards.languages(payloads.Subscribe)
        )


async def group_migrated(update: Update, context: BotContext) -> None:
    """Move the subscription of a group that became a supergroup to its new id."""
    message = update.effective_message
    assert message is not None
    if message.migrate_to_chat_id is not None:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id is not None:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    if await context.store.subscriptions.migrate(old, new):
        log.info("Chat %s migrated to supergroup %s; its subscription moved", old, new)
