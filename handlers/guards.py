"""Who may use a handler: editors in a private chat, or a chat's administrators.

Anyone else gets a polite refusal in their language, and refused editor actions are logged.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.constants import ChatType

from bot.context import BotContext
from bot.newsletter.i18n import Translator
from handlers.common import may_manage_subscription, tell, translator

log = logging.getLogger(__name__)

GuardedHandler = Callable[[Update, BotContext, Translator], Awaitable[None]]
Handler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


def editors_only(handler: GuardedHandler) -> Handler:
    """Run `handler` with the editor's translator; refuse (and log) anyone else.

    Editors are the user ids of `EDITOR_IDS`, and they work in a private chat with the bot;
    a refusal says nothing about drafts or subscribers.
    """

    @functools.wraps(handler)
    async def guarded(update: Update, context: BotContext) -> None:
        t = await translator(update, context)
        user, chat = update.effective_user, update.effective_chat
        assert chat is not None
        if user is None or user.id not in context.settings.editor_ids:
            log.warning(
                "Refused an editor action from user %s in chat %s",
                user.id if user else None,
                chat.id,
            )
            text = t.gettext("This is only for the newsletter's editors.")
        elif chat.type != ChatType.PRIVATE:
            text = t.gettext("Editor commands work only in a private chat with the bot.")
        else:
            await handler(update, context, t)
            return
        await tell(update, text)

    return guarded


async def refused_non_admin(update: Update, context: BotContext, t: Translator) -> bool:
    """Refuse a group or channel member who is not an administrator; True if refused."""
    if await may_manage_subscription(update, context):
        return False
    await tell(
        update, t.gettext("Only the administrators of this chat can change its subscription.")
    )
    return True


def admins_only(handler: GuardedHandler) -> Handler:
    """Run `handler` with the chat's translator when the sender may change its subscription.

    Anyone may in a private chat; in groups and channels only administrators may.
    """

    @functools.wraps(handler)
    async def guarded(update: Update, context: BotContext) -> None:
        t = await translator(update, context)
        if not await refused_non_admin(update, context, t):
            await handler(update, context, t)

    return guarded
