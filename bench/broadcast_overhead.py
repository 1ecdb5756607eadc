"""Benchmark: the broadcast engine's throughput against a bare python-telegram-bot loop.

Both send the same messages (by default 20,000: a 4-commentary issue to 5,000 chats) to the
Bot API stand-in, limits off, running in a child process on 127.0.0.1, over the same HTTP
stack (python-telegram-bot's HTTPXRequest with the same connection pool) and with the same
concurrency. The engine is the real `DeliveryService` with a very high send rate: it fixes
the audience in the outbox, claims rows, marks them 'sending', sends, records every outcome.
The bare loop is `asyncio.Semaphore` + `gather` over `bot.send_message`, recording nothing.
The two alternate for a few rounds (engine, then bare, in each); the ratio is taken per
round, so a slower moment of the machine weighs on both. The bot's process is the
bottleneck (it spends one core); its CPU per message shows what each sender costs.

    python -m bench.broadcast_overhead [--chats N] [--per-chat N] [--concurrency N] [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.request import HTTPXRequest

from bench.broadcast_pacing import EDITOR, TOKEN, check_done, fill_chats, plan_broadcast
from bot.app import build_application
from bot.config import SendLimits, Settings
from bot.newsletter.i18n import Catalogs
from bot.storage import Store
from standin import BotApiStandIn

POOL = 256
"""Connections of the HTTP pool, for both senders (python-telegram-bot's default)."""


@dataclass(frozen=True)
class Round:
    """One timed run of one sender."""

    messages: int
    seconds: float
    cpu: float
    """CPU seconds this process used, for the bot's own work per message."""

    @property
    def rate(self) -> float:
        """Return messages per second."""
        return self.messages / self.seconds


async def serve_standin(chats: int) -> None:
    """Child process: serve the stand-in with `chats` open private chats until stdin closes."""
    async with BotApiStandIn(token=TOKEN) as standin:
        standin.add_user(EDITOR, "Editor", started=True)
        for chat_id in range(1, chats + 1):
            standin.add_user(chat_id, f"Reader {chat_id}", language_code=None, started=True)
        print(standin.url, flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)


async def engine_round(
    settings: Settings, catalogs: Catalogs, per_chat: int
) -> tuple[Round, list[tuple[int, str]]]:
    """Broadcast the issue once more through the real engine; return what it sent too."""
    application = build_application(
        settings, catalogs, request=HTTPXRequest(connection_pool_size=POOL)
    )
    await application.initialize()
    assert application.post_init is not None and application.post_shutdown is not None
    await application.post_init(application)
    try:
        store = application.bot_data.store
        broadcast_id = await plan_broadcast(store, per_chat)
        delivery = application.bot_data.delivery
        cpu = time.process_time()
        started = time.perf_counter()
        total = await delivery.start(broadcast_id)
        await delivery.wait(broadcast_id)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
        await check_done(store, broadcast_id, total)
        sent = await outbox_messages(store, broadcast_id)
    finally:
        await application.post_shutdown(application)
        await application.shutdown()
    return Round(total, elapsed, cpu), sent


async def bare_round(api_url: str, messages: list[tuple[int, str]], concurrency: int) -> Round:
    """Send the same messages with a plain Bot, a semaphore and gather."""
    bot = Bot(TOKEN, base_url=f"{api_url}/bot", request=HTTPXRequest(connection_pool_size=POOL))
    preview = LinkPreviewOptions(is_disabled=True)
    async with bot:
        gate = asyncio.Semaphore(concurrency)

        async def send(chat_id: int, text: str) -> None:
            async with gate:
                await bot.send_message(
                    chat_id, text, parse_mode=ParseMode.HTML, link_preview_options=preview
                )

        cpu = time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(send(chat_id, text) for chat_id, text in messages))
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
    return Round(len(messages), elapsed, cpu)


async def outbox_messages(store: Store, broadcast_id: int) -> list[tuple[int, str]]:
    """Return what the engine sent, in the engine's order (everyone's first, then second...)."""
    rows = await store.db.fetchall(
        "SELECT o.chat_id, m.text FROM outbox o JOIN broadcast_messages m ON m.id = o.message_ref"
        " WHERE o.broadcast_id = ? ORDER BY o.id",
        (broadcast_id,),
    )
    return [(row[0], row[1]) for row in rows]


def _line(name: str, rounds: list[Round]) -> str:
    rates = ", ".join(f"{r.rate:,.0f}" for r in rounds)
    median = statistics.median(r.rate for r in rounds)
    cpu_per_message = statistics.median(r.cpu / r.messages for r in rounds) * 1e6
    return f"| {name} | {median:,.0f} msg/s | {rates} | {cpu_per_message:,.0f} us |"


def child_cpu(pid: int) -> float:
    """Return the CPU seconds a child process has used so far (Linux), 0 if unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(chats: int, per_chat: int, concurrency: int, rounds: int) -> None:
    """Alternate the two senders and print the table."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.broadcast_overhead",
        "--serve-standin",
        str(chats),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    engine: list[Round] = []
    bare: list[Round] = []
    standin_cpu = 0.0
    try:
        assert child.stdout is not None and child.stdin is not None
        api_url = (await asyncio.wait_for(child.stdout.readline(), 120)).decode().strip()
        catalogs = Catalogs.load()
        with tempfile.TemporaryDirectory(prefix="bench-overhead-") as tmp:
            settings = Settings(
                token=TOKEN,
                api_url=api_url,
                database_path=Path(tmp) / "bench.sqlite3",
                editor_ids=frozenset({EDITOR}),
                send_limits=SendLimits(per_second=100_000, per_chat_per_second=1_000),
                send_concurrency=concurrency,
            )
            async with await Store.open(settings.database_path) as store:
                await fill_chats(store, chats)
            for _ in range(rounds):
                before = child_cpu(child.pid)
                result, messages = await engine_round(settings, catalogs, per_chat)
                engine.append(result)
                bare.append(await bare_round(api_url, messages, concurrency))
                standin_cpu += child_cpu(child.pid) - before
    finally:
        if child.stdin is not None:
            child.stdin.close()
        await child.wait()
    ratios = [e.rate / b.rate for e, b in zip(engine, bare, strict=True)]
    sent = sum(r.messages for r in engine + bare)
    print(
        f"{engine[0].messages:,} messages to {chats:,} chats, {concurrency} concurrent sends, "
        f"HTTPXRequest pool {POOL} for both, limits off, {rounds} rounds; the stand-in in a "
        f"child process used {standin_cpu / sent * 1e6:,.0f} us CPU per message\n"
    )
    print("| sender | median | every round (msg/s) | CPU of the bot's process per message |")
    print("|---|---|---|---|")
    print(_line("engine (outbox: claim, mark, record)", engine))
    print(_line("bare PTB loop (records nothing)", bare))
    print(
        f"\nengine / bare throughput, per round: {', '.join(f'{r:.2f}' for r in ratios)}; "
        f"median {statistics.median(ratios):.2f}x (target >= 1.0x)"
    )


def main() -> None:
    """Parse the options and run the benchmark (or, internally, the stand-in child)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=5_000)
    parser.add_argument("--per-chat", type=int, default=4, help="messages each chat gets")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve-standin", type=int, metavar="CHATS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_standin is not None:
        asyncio.run(serve_standin(args.serve_standin))
    else:
        asyncio.run(measure(args.chats, args.per_chat, args.concurrency, args.rounds))


if __name__ == "__main__":
    main()
