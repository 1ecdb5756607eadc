"""Benchmark: how fast readers are answered while a broadcast runs, and what it costs it.

The real bot (polling, in this process) broadcasts a synthetic issue to 1,500 private
chats against the Bot API stand-in enforcing Telegram's limits (30/s overall, 1/s per
chat after a burst of 3). Simulated readers outside the audience, and the editor, use the
bot meanwhile at a steady pace: /help, /latest (several messages), /language and a press
of a language button (an edit), the editor's /stats. Each answer is timed from the update
to the arrival of its last part at the stand-in.

    python -m bench.reply_latency [--chats N] [--per-chat N] [--every SECONDS]

Phases: readers with no broadcast (idle), the broadcast alone (its own rate), the
broadcast with the readers (busy), then a burst of 300 readers writing at once.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from bench.broadcast_pacing import (
    EDITOR,
    TOKEN,
    WEEK,
    chat_rows,
    check_done,
    fill_chats,
    issue_drafts,
)
from bot.app import build_application, running
from bot.config import SendLimits, Settings
from bot.storage import Store
from standin import BotApiStandIn, FloodLimits, SentMessage

READERS = range(3_000_001, 3_000_021)
"""Twenty readers using the bot during the broadcast (not in its audience)."""
CROWD = range(4_000_001, 4_000_301)
"""Three hundred readers who all write at once."""
KINDS = ("/help", "/latest", "read button", "/language", "language button", "editor /stats")
"""What the readers do; "read button" asks for a whole commentary that comes in two parts."""


@dataclass
class Bench:
    """The stand-in and what the readers have seen."""

    standin: BotApiStandIn
    audience: set[int]
    parts: dict[str, int]

    def broadcast_arrivals(self) -> list[float]:
        return sorted(m.sent_at for c in self.audience for m in self.standin.messages(c))

    async def until(self, condition: Callable[[], bool], timeout: float = 60) -> None:  # noqa: ASYNC109
        await self.standin.wait_for(condition, timeout=timeout)

    async def ask(self, user: int, kind: str) -> float:
        """Have a user do one thing; return the seconds until the whole answer arrived."""
        standin = self.standin
        if kind == "read button":
            card = next(
                m
                for m in reversed(standin.messages(user))
                if m.buttons and not any(data.startswith("lang:") for data in m.callback_data)
            )
            before = len(standin.messages(user))
            asked = time.monotonic()
            standin.press_button(user, user, card.message_id, card.callback_data[0])
            want = before + self.parts.get(kind, 1)
            await self.until(lambda: len(standin.messages(user)) >= want)
            return standin.messages(user)[want - 1].sent_at - asked
        if kind == "language button":
            picker = next(
                m for m in reversed(standin.messages(user)) if "lang:en" in m.callback_data
            )
            versions = picker.edit_count
            asked = time.monotonic()
            standin.press_button(user, user, picker.message_id, "lang:en")
            await self.until(lambda: picker.edit_count > versions)
            return picker.history[-1].replaced_at - asked
        before = len(self.replies(user))
        asked = time.monotonic()
        standin.send_text(user, user, kind.removeprefix("editor "))
        want = before + self.parts.get(kind, 1)
        await self.until(lambda: len(self.replies(user)) >= want)
        return self.replies(user)[want - 1].sent_at - asked

    def replies(self, user: int) -> list[SentMessage]:
        """Return the bot's messages in a user's chat."""
        return self.standin.messages(user)


async def plan_issue(store: Store, commentaries: int) -> int:
    """Store the synthetic issue, its first commentary long enough for two messages."""
    drafts = []
    for draft in issue_drafts(commentaries):
        first = draft.commentaries[0]
        long_text = replace(first.text, body="\n\n".join([first.text.body] * 6))
        drafts.append(
            replace(draft, commentaries=(replace(first, text=long_text), *draft.commentaries[1:]))
        )
    await store.archive.save_issues(drafts)
    issue_id = await store.db.scalar(
        "SELECT id FROM issues WHERE week_start = ?", (WEEK.isoformat(),)
    )
    return await store.broadcasts.create(issue_id, editor_id=EDITOR, editor_chat_id=EDITOR)


def summary(values: list[float]) -> tuple[float, float, float]:
    """Return p50, p95 and max of some durations."""
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95, ordered[-1]


def rate(arrivals: list[float], start: float, end: float) -> float:
    """Return the arrivals per second between two moments."""
    return sum(1 for at in arrivals if start <= at < end) / (end - start)


async def readers_loop(
    bench: Bench, until: float, every: float, latencies: dict[str, list[float]]
) -> None:
    """Have the readers and the editor act in turn, one action every `every` seconds."""
    actions = [
        action
        for user in READERS
        for action in [*((user, kind) for kind in KINDS[:5]), (EDITOR, "editor /stats")]
    ]
    tasks: list[asyncio.Task[None]] = []
    busy: set[int] = set()
    index = 0

    async def one(user: int, kind: str) -> None:
        busy.add(user)
        try:
            latencies[kind].append(await bench.ask(user, kind))
        finally:
            busy.discard(user)

    next_at = time.monotonic()
    while time.monotonic() < until:
        user, kind = actions[index % len(actions)]
        if user in busy:  # its previous answer is still coming: it waits for it
            await asyncio.sleep(0.01)
            continue
        index += 1
        tasks.append(asyncio.create_task(one(user, kind)))
        next_at += every
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    await asyncio.gather(*tasks)


async def measure(  # noqa: PLR0915 - the phases in order, one after the other
    chats: int, per_chat: int, every: float, phase: float
) -> None:
    """Run the phases and print the tables."""
    with tempfile.TemporaryDirectory(prefix="bench-replies-") as tmp:
        database = Path(tmp) / "bench.sqlite3"
        async with await Store.open(database) as store:
            await fill_chats(store, chats)
            broadcast_id = await plan_issue(store, per_chat)
        limits = FloodLimits(enabled=True, chat_burst=SendLimits().burst_per_chat)
        async with BotApiStandIn(token=TOKEN, limits=limits) as standin:
            standin.add_user(EDITOR, "Editor", language_code="en", started=True)
            for chat_id, _ in chat_rows(chats):
                standin.add_user(chat_id, f"Reader {chat_id}", language_code=None, started=True)
            for user in (*READERS, *CROWD):
                standin.add_user(user, f"Reader {user}", language_code="en", started=True)
            settings = Settings(
                token=TOKEN,
                api_url=standin.url,
                database_path=database,
                editor_ids=frozenset({EDITOR}),
                send_limits=SendLimits(),
            )
            async with running(build_application(settings)) as application:
                delivery = application.bot_data.delivery
                store = application.bot_data.store
                # /latest needs a published issue: the broadcast publishes it, so the idle
                # phase comes last. Each answer's parts are counted once, untimed.
                bench = Bench(standin, {c for c, _ in chat_rows(chats)}, {})
                idle: dict[str, list[float]] = defaultdict(list)
                busy: dict[str, list[float]] = defaultdict(list)
                started = time.monotonic()
                total = await delivery.start(broadcast_id)
                await bench.until(lambda: len(bench.broadcast_arrivals()) >= 1)
                alone_from = time.monotonic() + 1.0
                await asyncio.sleep(phase / 2 + 1.0)
                alone_to = time.monotonic()
                for user in READERS:
                    await bench.ask(user, "/language")
                for kind in ("/help", "/latest", "read button", "editor /stats"):
                    user = EDITOR if kind.startswith("editor") else READERS[0]
                    before = len(bench.replies(user))
                    await bench.ask(user, kind)
                    await asyncio.sleep(3.0)
                    bench.parts[kind] = len(bench.replies(user)) - before
                busy_from = time.monotonic()
                await readers_loop(bench, busy_from + phase, every, busy)
                busy_to = time.monotonic()
                crowd_from = time.monotonic()
                crowd_times = await asyncio.gather(*(bench.ask(u, "/help") for u in CROWD))
                crowd_to = max(crowd_from + t for t in crowd_times)
                await delivery.wait(broadcast_id)
                elapsed = time.monotonic() - started
                await check_done(store, broadcast_id, total)
                idle_from = time.monotonic()
                await readers_loop(bench, idle_from + phase * 2 / 3, every, idle)
            arrivals = bench.broadcast_arrivals()
            refused = standin.stats.too_many_requests
            refused_by_chat = dict(standin.stats.too_many_requests_by_chat)
            reader_messages = sum(
                1
                for user in (*READERS, EDITOR)
                for m in standin.messages(user)
                if busy_from <= m.sent_at < busy_to
            ) + sum(
                1
                for user in (*READERS, EDITOR)
                for m in standin.messages(user)
                for v in m.history
                if busy_from <= v.replaced_at < busy_to
            )
    alone = rate(arrivals, alone_from, alone_to)
    with_readers = rate(arrivals, busy_from + 1.0, busy_to)
    under_crowd = rate(arrivals, crowd_from, crowd_to)
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(
        f"{chats:,} private chats x {total // chats} messages = {total:,} in {elapsed:.1f} s;"
        f" stand-in limits {limits.per_second}/s, 1/s per chat after a burst of 3"
    )
    print(
        f"readers: {len(READERS)} readers and the editor, one action every {every:g} s; "
        f"answers in parts: {bench.parts}"
    )
    print(f"load average at the end: {load} on {os.cpu_count()} CPUs\n")
    print("| reply | idle p50 / p95 / max | during the broadcast p50 / p95 / max | n busy |")
    print("|---|---|---|---|")
    for kind in KINDS:
        i, b = summary(idle[kind]), summary(busy[kind])
        print(
            f"| {kind} | {i[0]:.2f} / {i[1]:.2f} / {i[2]:.2f} s "
            f"| {b[0]:.2f} / {b[1]:.2f} / {b[2]:.2f} s | {len(busy[kind])} |"
        )
    c = summary(list(crowd_times))
    print(
        f"| /help, 300 readers at once | | {c[0]:.2f} / {c[1]:.2f} / {c[2]:.2f} s | {len(CROWD)} |"
    )
    print("\n| broadcast | messages/s | vs alone | target |")
    print("|---|---|---|---|")
    print(f"| alone | {alone:.1f} | 1.00x | |")
    print(f"| with the readers | {with_readers:.1f} | {with_readers / alone:.3f}x | >= 0.95x |")
    print(
        f"| during the burst of 300 ({crowd_to - crowd_from:.1f} s) | {under_crowd:.1f} "
        f"| {under_crowd / alone:.3f}x | >= 0.5x |"
    )
    share = reader_messages / (busy_to - busy_from) / SendLimits().overall_rate
    print(f"\nreaders' share of the overall rate while busy: {share:.1%}")
    print(f"429 answers: {refused} {refused_by_chat or ''}")


def main() -> None:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=1_500)
    parser.add_argument("--per-chat", type=int, default=2, help="messages each chat gets")
    parser.add_argument("--every", type=float, default=1.25, help="seconds between actions")
    parser.add_argument("--phase", type=float, default=60.0, help="seconds of the busy phase")
    args = parser.parse_args()
    asyncio.run(measure(args.chats, args.per_chat, args.every, args.phase))


if __name__ == "__main__":
    main()
