"""The bot's commands, in one table: who they are for and how menus and /help describe them.

The table drives the command menus (`setMyCommands` per language and per editor chat),
the /help text and, through `handlers.registry`, which handler answers each command.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from bot.newsletter.i18n import N_, Translator


class Audience(StrEnum):
    """Who a command is for."""

    READERS = "readers"
    EDITORS = "editors"
    """Editors only, in a private chat; anyone else is refused."""


@dataclass(frozen=True, slots=True)
class Command:
    """One command: its name, audience and description (marked for translation)."""

    name: str
    audience: Audience
    description: str | None
    """None keeps the command out of the menus and /help (Telegram's Start button is /start)."""
    argument: str | None = None
    """What may follow the command, as /help shows it (marked for translation)."""
    in_help: bool = True


COMMANDS: Final = (
    Command("start", Audience.READERS, None),
    Command("latest", Audience.READERS, N_("The latest issue")),
    Command("topics", Audience.READERS, N_("Topics and how many commentaries each has")),
    Command("archive", Audience.READERS, N_("Browse a topic's archive"), N_("[topic]")),
    Command("search", Audience.READERS, N_("Search the commentaries"), N_("words")),
    Command("subscribe", Audience.READERS, N_("Receive every new commentary here")),
    Command("language", Audience.READERS, N_("Change the language")),
    Command("unsubscribe", Audience.READERS, N_("Stop receiving commentaries")),
    Command("help", Audience.READERS, N_("What this bot does"), in_help=False),
    Command("broadcast", Audience.EDITORS, N_("Send a new issue to the subscribers")),
    Command("scheduled", Audience.EDITORS, N_("Scheduled broadcasts")),
    Command("stats", Audience.EDITORS, N_("Subscribers and broadcast results")),
    Command("channels", Audience.EDITORS, N_("Channels that mirror the broadcasts")),
    Command("feeds", Audience.EDITORS, N_("The website's feeds: state, pause, resume")),
)


def commands_for(audience: Audience) -> list[Command]:
    """Return the commands of one audience, in the table's order."""
    return [command for command in COMMANDS if command.audience is audience]


def help_lines(t: Translator) -> list[str]:
    """Return one plain-text line per reader command for /help: '/archive [topic] — …'."""
    lines = []
    for command in commands_for(Audience.READERS):
        if command.description is None or not command.in_help:
            continue
        usage = f"/{command.name}"
        if command.argument is not None:
            usage += " " + t.gettext(command.argument)
        lines.append(f"{usage} — {t.gettext(command.description)}")
    return lines
