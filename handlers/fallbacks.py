"""The last handlers: unknown commands, messages the bot cannot use, and errors."""

from __future__ import annotations

import contextlib
import logging
import sqlite3

from telegram import Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.context import BotContext
from bot.newsletter import render
from bot.newsletter.i18n import reply_language
from bot.newsletter.telegram_html import escape
from bot.operations import metrics
from bot.storage.database import connection_lost
from handlers.common import tell, translator

log = logging.getLogger(__name__)


async def unknown_command(update: Update, context: BotContext) -> None:
    """Say that a command is unknown (in groups only when it is addressed to this bot)."""
    chat, message = update.effective_chat, update.effective_message
    assert chat is not None and message is not None and message.text is not None
    command = message.text.split()[0]
    name, _, addressee = command.partition("@")
    if chat.type != ChatType.PRIVATE and addressee.lower() != (context.bot.username or "").lower():
        return
    t = await translator(update, context)
    await chat.send_message(
        escape(
            t.gettext("I don't know the command {command}. /help lists what I can do.").format(
                command=render.quote(name)
            )
        )
    )


async def plain_text_hint(update: Update, context: BotContext) -> None:
    """Answer messages the bot cannot use, such as stickers or photos in a private chat."""
    chat = update.effective_chat
    assert chat is not None
    t = await translator(update, context)
    await chat.send_message(
        escape(t.gettext("Send me a few words to search the commentaries, or /help."))
    )


def is_not_modified(error: object) -> bool:
    """Tell whether Telegram refused an edit because the message already looks like that."""
    return isinstance(error, BadRequest) and "message is not modified" in error.message.lower()


async def _answer_quietly(update: object) -> None:
    """Answer the button an edit came from, if it is not answered yet."""
    if isinstance(update, Update) and update.callback_query is not None:
        # Most handlers answer before they edit; a second answer is refused, harmlessly.
        with contextlib.suppress(BadRequest):
            await update.callback_query.answer()


async def _tell_unavailable(update: Update, context: BotContext) -> None:
    """Say the bot cannot answer now, in a language known without the database."""
    user = update.effective_user
    language = reply_language(
        None, user.language_code if user else None, context.settings.default_language
    )
    t = context.catalogs[language]
    try:
        await tell(
            update,
            t.gettext(
                "The bot is temporarily unavailable: its database does not answer. "
                "Please try again in a few minutes."
            ),
        )
    except TelegramError as exc:
        log.warning("Could not tell a chat that the bot is unavailable: %s", exc)


async def error_handler(update: object, context: BotContext) -> None:
    """Log the error and, where possible, tell the chat that something went wrong.

    An edit refused as "not modified" is an ordinary tap on a button whose result is
    already shown: the button is answered and nothing else happens.
    """
    if is_not_modified(context.error):
        log.debug("A button asked for what its message already shows")
        await _answer_quietly(update)
        return
    metrics.handler_failed()
    log.error("Error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if isinstance(context.error, Forbidden):
        return
    if connection_lost(context.error):
        await _tell_unavailable(update, context)
        return
    try:
        t = await translator(update, context)
        await tell(
            update,
            t.gettext("Sorry, something went wrong on our side. Please try again in a minute."),
        )
    except (TelegramError, sqlite3.Error, RuntimeError) as exc:
        log.warning("Could not tell chat %s about the error: %s", update.effective_chat.id, exc)
