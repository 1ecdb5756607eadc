"""Which handler gets which update: the one place handlers are registered, in order.

Commands come from the table in `bot.interface.commands`, each answered by the handler named here;
buttons are routed by the type of their payload (`bot.interface.payloads`), so a new payload kind
is routed by adding its type to one tuple.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Final

from telegram import Update
from telegram.ext import CallbackQueryHandler, ChatMemberHandler, CommandHandler, MessageHandler
from telegram.ext import filters as f

from bot.context import BotApplication, BotContext
from bot.interface import payloads
from bot.interface.commands import COMMANDS
from handlers import (
    editor,
    editor_broadcasts,
    editor_channels,
    editor_feeds,
    editor_stats,
    fallbacks,
    membership,
    reading,
    start,
    subscription,
)

Handler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]

COMMAND_HANDLERS: Final[dict[str, Handler]] = {
    "start": start.start,
    "help": start.help_command,
    "subscribe": subscription.subscribe_command,
    "language": subscription.language_command,
    "unsubscribe": subscription.unsubscribe_command,
    "latest": reading.latest_command,
    "topics": reading.topics_command,
    "archive": reading.archive_command,
    "search": reading.search_command,
    # Editor commands answer anyone: non-editors get a refusal, and the attempt is logged.
    "broadcast": editor.broadcast_command,
    "scheduled": editor_broadcasts.scheduled_command,
    "stats": editor_stats.stats_command,
    "channels": editor_channels.channels_command,
    "feeds": editor_feeds.feeds_command,
}

BUTTON_HANDLERS: Final[tuple[tuple[Handler, tuple[type, ...]], ...]] = (
    (editor.editor_button, (payloads.EditIssue, payloads.Preview, payloads.ScheduleAt)),
    (editor_broadcasts.broadcast_button, (payloads.Stop, payloads.Resume, payloads.Unschedule)),
    (editor_channels.channel_button, (payloads.RemoveChannel,)),
    (editor_feeds.feed_button, (payloads.FeedMatch, payloads.FeedPause)),
    (
        subscription.subscription_button,
        (
            payloads.Subscribe,
            payloads.SetLanguage,
            payloads.ToggleTopic,
            payloads.TopicsPage,
            payloads.TopicsDone,
        ),
    ),
)
"""Button payload types and their handlers; any other press goes to the reading handler."""

# Commands come as messages in private chats and groups and as posts in channels.
COMMAND_UPDATES: Final = f.UpdateType.MESSAGE | f.UpdateType.CHANNEL_POST


def _payload_of(kinds: tuple[type, ...]) -> Callable[[object], bool]:
    """Return a test of whether a button's data parses to one of `kinds`."""

    def matches(data: object) -> bool:
        return isinstance(data, str) and isinstance(payloads.parse(data), kinds)

    return matches


def register(application: BotApplication) -> None:
    """Register every handler; their order decides which one gets an update."""
    missing = {command.name for command in COMMANDS} ^ set(COMMAND_HANDLERS)
    if missing:
        raise RuntimeError(f"commands without a handler or handlers without a command: {missing}")
    for command in COMMANDS:
        handler = COMMAND_HANDLERS[command.name]
        application.add_handler(CommandHandler(command.name, handler, filters=COMMAND_UPDATES))
    for button_handler, kinds in BUTTON_HANDLERS:
        application.add_handler(CallbackQueryHandler(button_handler, pattern=_payload_of(kinds)))
    # Every other payload, known or not: stale or tampered buttons answer "expired" there.
    application.add_handler(CallbackQueryHandler(reading.reading_button))
    application.add_handler(
        ChatMemberHandler(membership.my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    application.add_handler(MessageHandler(f.StatusUpdate.MIGRATE, membership.group_migrated))
    # After every known command: whatever command is left is unknown.
    application.add_handler(MessageHandler(COMMAND_UPDATES & f.COMMAND, fallbacks.unknown_command))
    private = f.ChatType.PRIVATE & f.UpdateType.MESSAGE
    application.add_handler(MessageHandler(private & f.Document.ALL, editor.upload))
    # An editor asked for a date and time answers in plain text; it must not become a search.
    text = private & f.TEXT & ~f.COMMAND
    application.add_handler(MessageHandler(text, editor.schedule_text), group=-1)
    application.add_handler(MessageHandler(text, reading.search_text))
    application.add_handler(
        MessageHandler(private & ~f.TEXT & ~f.StatusUpdate.ALL, fallbacks.plain_text_hint)
    )
    application.add_error_handler(fallbacks.error_handler)
