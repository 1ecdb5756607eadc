"""The command menu readers see, per language (`setMyCommands` with `language_code`)."""

from __future__ import annotations

from typing import Final

from telegram import Bot, BotCommand, BotCommandScopeChat

from bot.i18n import N_, Catalogs, Translator

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


async def set_chat_menu(bot: Bot, chat_id: int, t: Translator) -> None:
    """Show one chat the menu in the language it chose."""
    await bot.set_my_commands(reader_commands(t), scope=BotCommandScopeChat(chat_id))
