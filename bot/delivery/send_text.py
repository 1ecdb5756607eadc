"""Send one broadcast message and keep only its id from Telegram's answer.

`Bot.send_message` turns every answer into a full `Message` (the chat, the sender, every
entity), about a third of the CPU a broadcast send costs; the sender needs the message's
id alone. This makes the same call through the bot's own request layer: the parameters
are python-telegram-bot's, and so are the errors, which the request layer raises from
the HTTP status and the answer's `parameters` (`RetryAfter`, `Forbidden`, `BadRequest`,
`ChatMigrated`, `TimedOut`, `NetworkError`) before any answer is read. Like every
Bot API call it passes through the bot's rate limiter, if it has one, with the caller's
`rate_limit_args` (the sender's say "paced already"), so answers are counted as usual.

`RequestParameter` is python-telegram-bot's internal building block of `RequestData`
(what its own `Bot` methods use); the end-to-end broadcast tests exercise this path.
"""

from __future__ import annotations

from typing import Any, Final

from telegram import Bot
from telegram.error import TelegramError
from telegram.ext import ExtBot
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

_HTML: Final = RequestParameter("parse_mode", "HTML", None)
_NO_PREVIEW: Final = RequestParameter("link_preview_options", {"is_disabled": True}, None)
_PAID: Final = RequestParameter("allow_paid_broadcast", True, None)


async def send_html(
    bot: Bot,
    chat_id: int,
    text: str,
    *,
    paid: bool = False,
    rate_limit_args: Any = None,
) -> int:
    """Send `text` (HTML, no link preview) to a chat; return the new message's id."""
    parameters = [
        RequestParameter("chat_id", chat_id, None),
        RequestParameter("text", text, None),
        _HTML,
        _NO_PREVIEW,
    ]
    if paid:
        parameters.append(_PAID)
    url = f"{bot.base_url}/sendMessage"

    async def post() -> Any:
        return await bot.request.post(url, request_data=RequestData(parameters))

    limiter = bot.rate_limiter if isinstance(bot, ExtBot) else None
    if limiter is None:
        result = await post()
    else:
        result = await limiter.process_request(
            callback=post,
            args=(),
            kwargs={},
            endpoint="sendMessage",
            data={"chat_id": chat_id, "text": text},
            rate_limit_args=rate_limit_args,
        )
    if not isinstance(result, dict) or not isinstance(result.get("message_id"), int):
        raise TelegramError(f"sendMessage answered without a message id: {result!r}")
    return result["message_id"]
