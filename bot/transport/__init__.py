"""The HTTP layer every Bot API call of the bot goes through, chosen by `HTTP_CLIENT`."""

from __future__ import annotations

from telegram.request import BaseRequest, HTTPXRequest

from bot.transport.aiohttp_request import AiohttpRequest

__all__ = ["AiohttpRequest", "new_request"]


def new_request(
    client: str,
    *,
    connection_pool_size: int = 256,
    read_timeout: float | None = 5.0,
    write_timeout: float | None = 5.0,
    connect_timeout: float | None = 5.0,
    pool_timeout: float | None = 1.0,
) -> BaseRequest:
    """Return a request layer of the named client ('aiohttp' or 'httpx').

    The defaults are python-telegram-bot's own; getUpdates needs a pool of one.
    """
    kind: type[HTTPXRequest | AiohttpRequest]
    if client == "httpx":
        kind = HTTPXRequest
    elif client == "aiohttp":
        kind = AiohttpRequest
    else:
        raise ValueError(f"unknown HTTP client {client!r}")
    return kind(
        connection_pool_size=connection_pool_size,
        read_timeout=read_timeout,
        write_timeout=write_timeout,
        connect_timeout=connect_timeout,
        pool_timeout=pool_timeout,
    )
