"""The command menus, per language and per editor chat, from the command table."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot.interface.commands import Audience, commands_for
from bot.newsletter.i18n import Catalogs, Translator, reply_language
from bot.storage import Store

log = logging.getLogger(__name__)


def _menu(t: Translator, audience: Audience) -> list[BotCommand]:
    return [
        BotCommand(command.name, t.gettext(command.description))
        for command in commands_for(audience)
        if command.description is not None
    ]


def reader_commands(t: Translator) -> list[BotCommand]:
    """Return the reader command menu in one language."""
    return _menu(t, Audience.READERS)


async def set_default_menus(bot: Bot, catalogs: Catalogs, default_language: str) -> None:
    """Set the menu for each language, and the default language's for everyone else."""
    await bot.set_my_commands(reader_commands(catalogs[default_language]))
    for language in catalogs.languages:
        await bot.set_my_commands(reader_commands(catalogs[language]), language_code=language)


def editor_commands(t: Translator) -> list[BotCommand]:
    """Return the reader menu followed by the editor commands, in one language."""
    return reader_commands(t) + _menu(t, Audience.EDITORS)


async def set_editor_menus(
    bot: Bot, store: Store, catalogs: Catalogs, editor_ids: Iterable[int], default: str
) -> None:
    """Give each editor's private chat the reader menu plus the editor commands."""
    for editor_id in editor_ids:
        t = catalogs[reply_language(await store.subscriptions.language(editor_id), None, default)]
        try:
            await bot.set_my_commands(editor_commands(t), scope=BotCommandScopeChat(editor_id))
        except TelegramError as exc:
            log.warning(
                "Could not set the editor menu of %s (has it started the bot?): %s", editor_id, exc
            )


async def set_chat_menu(bot: Bot, chat_id: int, t: Translator, *, editor: bool = False) -> None:
    """Show one chat the menu in the language it chose (with the editor commands for editors)."""
    commands = editor_commands(t) if editor else reader_commands(t)
    await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))
