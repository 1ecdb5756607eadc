"""The command menu readers see, per language (`setMyCommands` with `language_code`)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Final

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot.i18n import N_, Catalogs, Translator
from bot.storage import Store

log = logging.getLogger(__name__)

READER_COMMANDS: Final = (
    ("latest", N_("The latest issue")),
    ("topics", N_("Topics and how many commentaries each has")),
    ("archive", N_("Browse a topic's archive")),
    ("search", N_("Search the commentaries")),
    ("subscribe", N_("Receive every new commentary here")),
    ("language", N_("Change the language")),
    ("unsubscribe", N_("Stop receiving commentaries")),
    ("help", N_("What this bot does")),
)


def reader_commands(t: Translator) -> list[BotCommand]:
    """Return the reader command menu in one language."""
    return [BotCommand(name, t.gettext(description)) for name, description in READER_COMMANDS]


async def set_default_menus(bot: Bot, catalogs: Catalogs, default_language: str) -> None:
    """Set the menu for each language, and the default language's for everyone else."""
    await bot.set_my_commands(reader_commands(catalogs[default_language]))
    for language in catalogs.languages:
        await bot.set_my_commands(reader_commands(catalogs[language]), language_code=language)


EDITOR_COMMANDS: Final = (
    ("broadcast", N_("Send a new issue to the subscribers")),
    ("scheduled", N_("Scheduled broadcasts")),
    ("stats", N_("Subscribers and broadcast results")),
    ("channels", N_("Channels that mirror the broadcasts")),
)


def editor_commands(t: Translator) -> list[BotCommand]:
    """Return the reader menu followed by the editor commands, in one language."""
    return reader_commands(t) + [
        BotCommand(name, t.gettext(description)) for name, description in EDITOR_COMMANDS
    ]


async def set_editor_menus(
    bot: Bot, store: Store, catalogs: Catalogs, editor_ids: Iterable[int], default: str
) -> None:
    """Give each editor's private chat the reader menu plus the editor commands."""
    for editor_id in editor_ids:
        t = catalogs[await store.subscriptions.language(editor_id) or default]
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
