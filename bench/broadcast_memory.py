"""Benchmark: peak memory of a broadcast to 1,000,000 chats (target: at most 200 MB).

Fills the chats table by SQL, fixes the audience with the real `Broadcasts.start` (one
outbox row per chat) and sends it with the real `DeliveryService`/`BroadcastRun`, limits
off. By default the Bot API answers from memory in this process (no HTTP): over HTTP this
bot sends a few hundred messages a second on a 2-core machine, so a million would take
about an hour. `--http` sends to the stand-in in a child process instead, for smaller
counts. Peak RSS (VmHWM) is taken per phase, reset in between.

    python -m bench.broadcast_memory [--chats N] [--per-chat N] [--concurrency N] [--http]
        [--engine postgresql]

`--engine postgresql` stores everything on a database of a throwaway PostgreSQL server (as
the tests start one; or TEST_DATABASE_URL's); the RSS is the bot's process alone.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import resource
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bench.broadcast_pacing import EDITOR, TOKEN, check_done, fill_chats, plan_broadcast
from bot.app import build_application
from bot.config import SendLimits, Settings
from bot.delivery.compose import render_issue
from bot.newsletter.i18n import Catalogs
from bot.storage import Store
from standin.in_memory import RecordingRequest
from tests.postgres_server import PostgresServer

_STATUS = Path("/proc/self/status")


def lifetime_peak_mb() -> float:
    """Return the process's peak resident memory since it started, in MB (Linux: kB units)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb(field: str = "VmHWM") -> float:
    """Return this process's peak (VmHWM) or current (VmRSS) resident memory in MB."""
    try:
        match = re.search(rf"^{field}:\s+(\d+) kB", _STATUS.read_text(), re.MULTILINE)
    except OSError:
        match = None
    return lifetime_peak_mb() if match is None else int(match[1]) / 1024


def reset_peak() -> bool:
    """Start a new peak from the current RSS (Linux); False if the kernel does not allow it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@asynccontextmanager
async def standin_child(chats: int) -> AsyncIterator[str]:
    """Run the stand-in with `chats` open chats in a child process; yield its URL."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.broadcast_overhead",
        "--serve-standin",
        str(chats),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert child.stdout is not None
        yield (await asyncio.wait_for(child.stdout.readline(), 600)).decode().strip()
    finally:
        if child.stdin is not None:
            child.stdin.close()
        await child.wait()


async def _sample(peak: list[float]) -> None:
    while True:
        await asyncio.sleep(1.0)
        peak[0] = max(peak[0], rss_mb("VmRSS"))


async def measure(
    chats: int, per_chat: int, concurrency: int, api_url: str | None, database: Path | str
) -> None:
    """Fill, fix the audience, send; print the peak RSS and time of each phase."""
    rows: list[tuple[str, float, float]] = []  # (phase, seconds, peak MB)
    exact = reset_peak()

    started = time.perf_counter()
    async with await Store.open(database) as store:
        await fill_chats(store, chats)
        broadcast_id = await plan_broadcast(store, per_chat)
    rows.append((f"fill {chats:,} chats by SQL", time.perf_counter() - started, rss_mb()))

    settings = Settings(
        token=TOKEN,
        api_url=api_url or "http://127.0.0.1:9",
        **(
            {"database_path": database}
            if isinstance(database, Path)
            else {"postgres_url": database}
        ),
        editor_ids=frozenset({EDITOR}),
        send_limits=SendLimits(per_second=100_000, per_chat_per_second=1_000),
        send_concurrency=concurrency,
    )
    reset_peak()
    started = time.perf_counter()
    application = build_application(
        settings, Catalogs.load(), request=None if api_url else RecordingRequest(record=False)
    )
    await application.initialize()
    assert application.post_init is not None and application.post_shutdown is not None
    await application.post_init(application)
    try:
        store = application.bot_data.store
        rows.append(("start the bot", time.perf_counter() - started, rss_mb()))

        reset_peak()
        started = time.perf_counter()
        broadcast = await store.broadcasts.get(broadcast_id)
        assert broadcast is not None
        messages = await render_issue(store, application.bot_data.catalogs, broadcast.issue.id)
        total = await store.broadcasts.start(broadcast_id, messages)
        rows.append(
            (f"fix the audience: {total:,} outbox rows", time.perf_counter() - started, rss_mb())
        )

        reset_peak()
        sampled = [rss_mb("VmRSS")]
        sampler = asyncio.create_task(_sample(sampled))
        delivery = application.bot_data.delivery
        started = time.perf_counter()
        running = await store.broadcasts.get(broadcast_id)
        assert running is not None
        delivery.launch(running)
        await delivery.wait(broadcast_id)
        elapsed = time.perf_counter() - started
        sampler.cancel()
        rows.append((f"send {total:,} messages ({total / elapsed:,.0f}/s)", elapsed, rss_mb()))
        await check_done(store, broadcast_id, total)
    finally:
        await application.post_shutdown(application)
        await application.shutdown()

    engine = "SQLite" if isinstance(database, Path) else "PostgreSQL (server in its own process)"
    print(f"engine: {engine}")
    report(chats, per_chat, concurrency, api_url, rows, exact=exact, sampled=sampled[0])


def report(
    chats: int,
    per_chat: int,
    concurrency: int,
    api_url: str | None,
    rows: list[tuple[str, float, float]],
    *,
    exact: bool,
    sampled: float,
) -> None:
    """Print the phases as a table."""
    how = (
        f"over HTTP to the stand-in at {api_url} (a child process)"
        if api_url
        else "with the Bot API answered in memory in this process (no HTTP, nothing recorded)"
    )
    print(f"{chats:,} chats x {per_chat} message(s), {concurrency} concurrent sends, {how}")
    peaks = "per phase (VmHWM reset before each)" if exact else "lifetime peak (ru_maxrss)"
    print(f"peak RSS {peaks}; target <= 200 MB\n")
    print("| phase | time | peak RSS |")
    print("|---|---|---|")
    for phase, seconds, peak in rows:
        print(f"| {phase} | {seconds:.1f} s | {peak:.0f} MB |")
    print(f"\nRSS sampled each second while sending: at most {sampled:.0f} MB")
    print(f"lifetime peak of the process (ru_maxrss): {lifetime_peak_mb():.0f} MB")


def main() -> None:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=1_000_000)
    parser.add_argument("--per-chat", type=int, default=1, help="messages each chat gets")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--http", action="store_true", help="send to the stand-in in a child process"
    )
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    server = PostgresServer.from_environment() if args.engine == "postgresql" else None

    async def run() -> None:
        with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
            database: Path | str = Path(tmp) / "bench.sqlite3"
            if server is not None:
                database = await server.create_database()
            if args.http:
                async with standin_child(args.chats) as url:
                    await measure(args.chats, args.per_chat, args.concurrency, url, database)
            else:
                await measure(args.chats, args.per_chat, args.concurrency, None, database)

    try:
        asyncio.run(run())
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
