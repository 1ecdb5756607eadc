"""Run the stand-in until interrupted: ``python -m standin --port 8081``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from standin.limits import FloodLimits
from standin.server import BotApiStandIn


async def _serve(arguments: argparse.Namespace) -> None:
    """Start the server, print its URL and wait forever."""
    server = BotApiStandIn(
        token=arguments.token,
        bot_username=arguments.username,
        limits=FloodLimits(enabled=arguments.flood_limits),
    )
    url = await server.start(arguments.host, arguments.port)
    print(f"Bot API stand-in listening on {url}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def main() -> None:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(description="Local Telegram Bot API stand-in")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=None, help="accept only this bot token")
    parser.add_argument("--username", default="standin_bot", help="the bot's username")
    parser.add_argument("--flood-limits", action="store_true", help="enforce Telegram's limits")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()
