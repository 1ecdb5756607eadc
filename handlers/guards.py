"""Who may use a handler: editors only, in a private chat; anyone else gets a refusal."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.constants import ChatType

from bot.context import BotContext
from bot.i18n import Translator
from bot.telegram_html import escape
from handlers.common import translator

log = logging.getLogger(__name__)

EditorHandler = Callable[[Update, BotContext, Translator], Awaitable[None]]
Handler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


def editors_only(handler: EditorHandler) -> Handler:
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
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        else:
            await chat.send_message(escape(text))

    return guarded
