"""A local stand-in for the Telegram Bot API, for end-to-end tests, demos and benchmarks.

``BotApiStandIn`` is an aiohttp server on 127.0.0.1 that answers the Bot API methods the
newsletter bot uses (``getMe``, ``getUpdates``, webhooks, ``sendMessage``, edits, deletes,
callback answers, commands, chat and member lookups, documents and files) with the JSON shapes,
HTTP statuses and error descriptions Telegram gives. Tests act as users through control
methods (in process, or over HTTP under ``/_control/``) and read back what every chat received.

What it imitates: Telegram's HTML parse mode with its error texts, UTF-16 length limits, chat
states (blocked by a user, bot removed from a group, group upgraded to a supergroup), flood
limits as sliding windows (off unless enabled), and injected faults (errors, slow answers,
dropped connections, random failures from a seeded generator).

Limits: one bot per server; only HTML among parse modes (Markdown is refused); no media other
than documents; no inline mode, payments, forum topics or reactions; group privacy mode is not
modelled (the bot sees every group message); webhook updates go out one at a time; webhook
URLs may be plain ``http://``; state lives in memory and is lost on stop.
"""

from standin.client import ControlClient
from standin.errors import ApiError, ControlError
from standin.faults import Fault, FaultRule
from standin.html_entities import (
    HtmlParseError,
    ParsedText,
    find_bot_commands,
    parse_html,
    utf16_len,
)
from standin.limits import FloodLimiter, FloodLimits
from standin.model import CallbackAnswer, MessageVersion, SentMessage, Stats
from standin.server import BotApiStandIn

__all__ = [
    "ApiError",
    "BotApiStandIn",
    "CallbackAnswer",
    "ControlClient",
    "ControlError",
    "Fault",
    "FaultRule",
    "FloodLimiter",
    "FloodLimits",
    "HtmlParseError",
    "MessageVersion",
    "ParsedText",
    "SentMessage",
    "Stats",
    "find_bot_commands",
    "parse_html",
    "utf16_len",
]
