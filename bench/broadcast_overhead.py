"""Benchmark: the broadcast engine's throughput against a bare python-telegram-bot loop.

Both send the same messages (by default 20,000: a 4-commentary issue to 5,000 chats) to the
Bot API stand-in, limits off, running in a child process on 127.0.0.1, with the same
concurrency. The engine is the real `DeliveryService` as the bot builds it (its own HTTP
layer, `HTTP_CLIENT`), with a very high send rate: it fixes the audience in the outbox,
claims and marks rows 'sending', sends, records every outcome. The bare loop is the one a
user would write: `asyncio.Semaphore` + `gather` over `bot.send_message` on a plain
`telegram.Bot` (python-telegram-bot's default HTTPXRequest), recording nothing. The same
loop on the bot's `AiohttpRequest` shows what the outbox itself costs. The three alternate
for a few rounds; ratios are taken per round, so a slower moment of the machine weighs on
all of them. The bot's process is the bottleneck (it spends one core); its CPU per message
shows what each sender costs.

    python -m bench.broadcast_overhead [--chats N] [--per-chat N] [--concurrency N]
        [--rounds N] [--http-client aiohttp|httpx] [--profile N] [--engine postgresql]

`--engine postgresql` also runs the engine on a database of a throwaway PostgreSQL server
(as the tests start one; or TEST_DATABASE_URL's) in every round, beside the SQLite one, and
shows its throughput as a share of SQLite's in the same round.

`--profile N` runs one more round of each sender under cProfile and prints its N
functions with the most time of their own.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.request import BaseRequest

from bench.broadcast_pacing import EDITOR, TOKEN, WEEK, check_done, fill_chats, plan_broadcast
from bot.app import build_application
from bot.config import HTTP_CLIENTS, SendLimits, Settings
from bot.newsletter.i18n import Catalogs
from bot.storage import Store
from bot.transport import AiohttpRequest
from standin import BotApiStandIn
from tests.postgres_server import PostgresServer


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

    @property
    def cpu_ms(self) -> float:
        """Return the CPU milliseconds per message."""
        return self.cpu / self.messages * 1e3


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
    settings: Settings, catalogs: Catalogs, per_chat: int, number: int
) -> tuple[Round, list[tuple[int, str]]]:
    """Broadcast round `number`'s issue through the real engine; return what it sent too."""
    application = build_application(settings, catalogs)
    await application.initialize()
    assert application.post_init is not None and application.post_shutdown is not None
    await application.post_init(application)
    try:
        store = application.bot_data.store
        week = WEEK + timedelta(weeks=number)
        broadcast_id = await plan_broadcast(store, per_chat, week=week)
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


async def bare_round(
    api_url: str,
    messages: list[tuple[int, str]],
    concurrency: int,
    request: BaseRequest | None = None,
) -> Round:
    """Send the same messages with a plain Bot, a semaphore and gather."""
    bot = Bot(TOKEN, base_url=f"{api_url}/bot", request=request)
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


def child_cpu(pid: int) -> float:
    """Return the CPU seconds a child process has used so far (Linux), 0 if unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _spread(values: list[float], digits: int = 2) -> str:
    """Return the median and, in brackets, the lowest and highest value."""
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{mid:,.{digits}f} ({low:,.{digits}f}-{high:,.{digits}f})"


async def profiled(label: str, top: int, run: Callable[[], Awaitable[object]]) -> None:
    """Run one sender under cProfile and print its `top` functions by own time."""
    profile = cProfile.Profile()
    profile.enable()
    try:
        await run()
    finally:
        profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats(pstats.SortKey.TIME).print_stats(top)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    body = lines[lines.index(next(x for x in lines if x.lstrip().startswith("ncalls"))) :]
    print(f"\n### {label}: the {top} functions with the most own time (cProfile)\n")
    print("\n".join(line.replace(str(Path.cwd()) + "/", "") for line in body))


async def measure(args: argparse.Namespace) -> None:
    """Alternate the three senders and print a line per round, then the medians."""
    chats, concurrency = args.chats, args.concurrency
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.broadcast_overhead",
        "--serve-standin",
        str(chats),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    rows: list[tuple[Round, Round, Round]] = []
    on_postgres: list[Round] = []
    standin_cpu = 0.0
    server = PostgresServer.from_environment() if args.engine == "postgresql" else None
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
                http_client=args.http_client,
            )
            async with await Store.open(settings.database_path) as store:
                await fill_chats(store, chats)
            postgres = None
            if server is not None:
                url = await server.create_database()
                postgres = dataclasses.replace(settings, postgres_url=url)
                async with await Store.open(url) as store:
                    await fill_chats(store, chats)
            print(
                f"{chats:,} chats x {args.per_chat} messages, {concurrency} concurrent sends, "
                f"limits off; engine on {args.http_client}; load average "
                f"{', '.join(f'{n:.2f}' for n in os.getloadavg())} on {os.cpu_count()} CPUs\n"
            )
            print(
                "| round | engine msg/s | bare PTB msg/s | bare aiohttp msg/s "
                "| engine / bare PTB | engine / bare aiohttp "
                "| CPU ms/msg: engine, bare PTB, bare aiohttp |"
                + (" engine on PostgreSQL msg/s | PostgreSQL / SQLite |" if postgres else "")
            )
            print("|---|---|---|---|---|---|---|" + ("---|---|" if postgres else ""))
            for number in range(args.rounds):
                before = child_cpu(child.pid)
                engine, messages = await engine_round(settings, catalogs, args.per_chat, number)
                bare = await bare_round(api_url, messages, concurrency)
                own = await bare_round(api_url, messages, concurrency, AiohttpRequest())
                pg_column = ""
                if postgres is not None:
                    pg, _ = await engine_round(postgres, catalogs, args.per_chat, number)
                    on_postgres.append(pg)
                    pg_column = f" {pg.rate:,.0f} | {pg.rate / engine.rate:.2f}x |"
                standin_cpu += child_cpu(child.pid) - before
                rows.append((engine, bare, own))
                print(
                    f"| {number + 1} | {engine.rate:,.0f} | {bare.rate:,.0f} | {own.rate:,.0f} "
                    f"| {engine.rate / bare.rate:.2f}x | {engine.rate / own.rate:.2f}x "
                    f"| {engine.cpu_ms:.2f}, {bare.cpu_ms:.2f}, {own.cpu_ms:.2f} |" + pg_column,
                    flush=True,
                )
            if args.profile:
                number = args.rounds
                await profiled(
                    "engine",
                    args.profile,
                    lambda: engine_round(settings, catalogs, args.per_chat, number),
                )
                await profiled(
                    "bare PTB loop",
                    args.profile,
                    lambda: bare_round(api_url, messages, concurrency),
                )
    finally:
        if child.stdin is not None:
            child.stdin.close()
        await child.wait()
        if server is not None:
            server.stop()
    summarize(rows, on_postgres, standin_cpu)


def summarize(
    rows: list[tuple[Round, Round, Round]], on_postgres: list[Round], standin_cpu: float
) -> None:
    """Print the medians over the rounds."""
    sent = sum(r.messages for row in rows for r in row) + sum(r.messages for r in on_postgres)
    engine_rates = [e.rate for e, _, _ in rows]
    print(
        f"\n{rows[0][0].messages:,} messages per sender and round, {len(rows)} rounds; "
        f"the stand-in used {standin_cpu / sent * 1e3:.2f} CPU ms per message"
    )
    print("median (lowest-highest) over the rounds:")
    print(
        f"- engine: {_spread(engine_rates, 0)} msg/s, "
        f"{_spread([e.cpu_ms for e, _, _ in rows])} CPU ms/msg"
    )
    print(
        f"- bare PTB loop: {_spread([b.rate for _, b, _ in rows], 0)} msg/s, "
        f"{_spread([b.cpu_ms for _, b, _ in rows])} CPU ms/msg"
    )
    print(
        f"- bare loop on AiohttpRequest: {_spread([o.rate for _, _, o in rows], 0)} msg/s, "
        f"{_spread([o.cpu_ms for _, _, o in rows])} CPU ms/msg"
    )
    print(
        f"- engine / bare PTB: {_spread([e.rate / b.rate for e, b, _ in rows])}x "
        "(target >= 1.0x, stretch >= 2x)"
    )
    print(f"- engine / bare on AiohttpRequest: {_spread([e.rate / o.rate for e, _, o in rows])}x")
    if on_postgres:
        print(
            f"- engine on PostgreSQL: {_spread([p.rate for p in on_postgres], 0)} msg/s, "
            f"{_spread([p.cpu_ms for p in on_postgres])} CPU ms/msg"
        )
        shares = [p.rate / e.rate for p, (e, _, _) in zip(on_postgres, rows, strict=True)]
        print(f"- PostgreSQL / SQLite: {_spread(shares)}x (target >= 0.8x)")


def main() -> None:
    """Parse the options and run the benchmark (or, internally, the stand-in child)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=5_000)
    parser.add_argument("--per-chat", type=int, default=4, help="messages each chat gets")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--http-client", choices=HTTP_CLIENTS, default=HTTP_CLIENTS[0])
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--serve-standin", type=int, metavar="CHATS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_standin is not None:
        asyncio.run(serve_standin(args.serve_standin))
    else:
        asyncio.run(measure(args))


if __name__ == "__main__":
    main()
