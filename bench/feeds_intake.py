"""Benchmark: intake of 1,000 full-length posts per language, and the cost of an unchanged poll.

A local WordPress-shaped site serves three RSS feeds of N posts each (every post about
6,000 characters of HTML with headings, lists, a quote, a table, an image and links; the
translations name each other in the entries), over real HTTP on 127.0.0.1. One poll
fetches, parses, sanitizes, matches and stores all of them into a fresh SQLite file;
then unchanged polls (answered 304) are timed in CPU seconds of this process (the site
runs in the same process: its share is included).

    python -m bench.feeds_intake [--posts N] [--unchanged-polls N]
    python -m bench.feeds_intake --replies [--posts N]

With `--replies` the bot itself runs (Bot API answered in memory): /latest is timed while
idle, then while a poll of the same feeds runs beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.feeds.intake import FeedIntake
from bot.feeds.topics import load_topic_map
from bot.storage import Store
from standin.feed_posts import COMMENTARIES
from standin.feed_site import FeedSite, Post

LANGUAGES = ("be", "ru", "en")


def long_body(language: str, n: int) -> str:
    """Return about 6,000 characters of post HTML in the sample's language."""
    version = COMMENTARIES[n % len(COMMENTARIES)][language]
    blocks = [version.body]
    for part in range(6):
        blocks.append(
            f"<h3>{version.title} — {part + 1}</h3><p>{version.excerpt} "
            f'<a href="/{language}/{version.slug}/?part={part}&utm_source=feed">{version.slug}</a>'
            f"&nbsp;&laquo;{version.author}&raquo;&#8230;</p>"
            f"<ul><li>{version.category}</li><li>{version.excerpt}</li></ul>"
            f'<figure><img src="/wp-content/{n}-{part}.png" alt="{version.title}"></figure>'
        )
    return "".join(blocks)


def fill(site: FeedSite, posts: int, start: datetime) -> None:
    site.items_per_feed = posts
    site.hreflang_in_feed = True
    for n in range(posts):
        pids = {language: 10 * n + k for k, language in enumerate(LANGUAGES)}
        for k, language in enumerate(LANGUAGES):
            version = COMMENTARIES[n % len(COMMENTARIES)][language]
            site.add(
                Post(
                    pid=pids[language],
                    language=language,
                    slug=f"{version.slug}-{n}",
                    title=f"{version.title} ({n})",
                    author=version.author,
                    published=start + timedelta(minutes=10 * n + k),
                    body=long_body(language, n),
                    excerpt=version.excerpt,
                    categories=(version.category,),
                    translations={o: pid for o, pid in pids.items() if o != language},
                )
            )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def main(posts: int, unchanged_polls: int) -> None:
    start = datetime(2026, 1, 5, tzinfo=UTC)
    async with FeedSite() as site:
        fill(site, posts, start)
        sizes = [len(site.rss(language).encode()) for language in LANGUAGES]
        with tempfile.TemporaryDirectory() as tmp:
            async with await Store.open(Path(tmp) / "bench.sqlite3") as store:
                intake = FeedIntake(
                    store,
                    load_topic_map(),
                    {language: site.feed_url(language) for language in LANGUAGES},
                    interval=timedelta(minutes=15),
                    timezone=ZoneInfo("Europe/Minsk"),
                    since=start - timedelta(days=1),
                )
                rss_before = peak_rss_mb()
                wall, cpu = time.perf_counter(), time.process_time()
                reports = await intake.poll(force=True)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                stored = await store.db.scalar("SELECT count(*) FROM commentary_texts")
                commentaries = await store.db.scalar("SELECT count(*) FROM commentaries")
                print(
                    f"first poll: {sum(len(r.new) for r in reports)} posts "
                    f"({', '.join(f'{s / 1e6:.1f} MB' for s in sizes)} of RSS) in {wall:.2f} s "
                    f"wall, {cpu:.2f} s CPU; {stored} versions in {commentaries} commentaries"
                )
                print(f"peak RSS {peak_rss_mb():.0f} MB (before the poll {rss_before:.0f} MB)")
                samples = []
                for _ in range(unchanged_polls):
                    cpu = time.process_time()
                    reports = await intake.poll(force=True)
                    samples.append(time.process_time() - cpu)
                    assert all(r.outcome.value == "unchanged" for r in reports)
                samples.sort()
                per_feed = samples[len(samples) // 2] / len(LANGUAGES) * 1000
                median = samples[len(samples) // 2] * 1000
                print(
                    f"unchanged poll (304) of 3 feeds: median {median:.1f} ms CPU, "
                    f"{per_feed:.1f} ms per feed"
                )
                await intake.close()


async def replies(posts: int, rounds: int = 200) -> None:
    """Time /latest idle and while intake stores `posts` per language."""
    from bot.app import build_application, serving  # noqa: PLC0415 - only for this mode
    from bot.config import Settings  # noqa: PLC0415
    from bot.demo import import_sample_content  # noqa: PLC0415
    from bot.feeds.settings import FeedSettings  # noqa: PLC0415
    from bot.newsletter.i18n import Catalogs  # noqa: PLC0415
    from standin.in_memory import RecordingRequest, Updates  # noqa: PLC0415

    start = datetime(2026, 1, 5, tzinfo=UTC)
    async with FeedSite() as site:
        fill(site, posts, start)
        with tempfile.TemporaryDirectory() as tmp:
            database = Path(tmp) / "bench.sqlite3"
            await import_sample_content(database)
            settings = Settings(
                token="7000:BENCHTOKENBENCHTOKENBENCH",
                api_url="http://127.0.0.1:9",
                database_path=database,
                feeds=FeedSettings(
                    urls={language: site.feed_url(language) for language in LANGUAGES},
                    since=start - timedelta(days=1),
                ),
            )
            request = RecordingRequest()
            # Without the flood-limit throttle: it would time Telegram's limits, not the bot.
            built = build_application(
                settings, Catalogs.load(), request=request, rate_limited=False
            )
            async with serving(built) as application:
                updates = Updates(application.bot)

                async def latest(n: int) -> float:
                    update = updates.message(100_000 + n, "/latest")
                    began = time.perf_counter()
                    await application.process_update(update)
                    request.clear()
                    return (time.perf_counter() - began) * 1000

                idle = [await latest(n) for n in range(rounds)]
                intake = application.bot_data.feeds
                assert intake is not None
                poll = asyncio.create_task(intake.poll(force=True))
                busy: list[float] = []
                while not poll.done():
                    busy.append(await latest(len(busy)))
                    await asyncio.sleep(0.01)  # readers write now and then, not back to back
                await poll
                idle_median, busy_median = statistics.median(idle), statistics.median(busy)
                print(
                    f"/latest idle: median {idle_median:.2f} ms; during a poll of "
                    f"{3 * posts} posts: median {busy_median:.2f} ms, p95 "
                    f"{statistics.quantiles(busy, n=20)[-1]:.2f} ms ({len(busy)} updates); "
                    f"{busy_median / idle_median:.2f}x"
                )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=1000, help="posts per language")
    parser.add_argument("--unchanged-polls", type=int, default=50)
    parser.add_argument("--replies", action="store_true", help="time /latest during a poll")
    args = parser.parse_args()
    if args.replies:
        asyncio.run(replies(args.posts))
    else:
        asyncio.run(main(args.posts, args.unchanged_polls))
