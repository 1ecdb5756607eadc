"""When broadcasts start: now, at a chosen time, or at the weekly slot; jobs survive restarts.

Scheduled broadcasts live in the database; each has a JobQueue job named
`broadcast-<id>`, recreated from the database at start-up, so a restart loses none and a
time that passed while the bot was down starts the broadcast at once.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from telegram.ext import JobQueue

from bot.config import WeeklySlot
from bot.context import BotContext
from bot.editorial import start_broadcast
from bot.storage import Broadcast, BroadcastStatus, Store

log = logging.getLogger(__name__)

_LOCAL_TIME = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})")


def job_name(broadcast_id: int) -> str:
    """Return the JobQueue name of a scheduled broadcast."""
    return f"broadcast-{broadcast_id}"


def next_slot(slot: WeeklySlot, now: datetime) -> datetime:
    """Return the next occurrence of the weekly slot after `now` (in now's time zone)."""
    candidate = now.replace(hour=slot.hour, minute=slot.minute, second=0, microsecond=0)
    candidate += timedelta(days=(slot.weekday - now.weekday()) % 7)
    return candidate if candidate > now else candidate + timedelta(days=7)


def parse_local_time(text: str, zone: ZoneInfo) -> datetime | None:
    """Parse 'YYYY-MM-DD HH:MM' in the configured zone; None if it is not a valid time."""
    match = _LOCAL_TIME.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute = (int(part) for part in match.groups())
    try:
        return datetime(year, month, day, hour, minute, tzinfo=zone)
    except ValueError:
        return None


def schedule_broadcast(job_queue: JobQueue[Any] | None, broadcast: Broadcast) -> None:
    """Create (or replace) the job that starts a scheduled broadcast."""
    if job_queue is None or broadcast.scheduled_at is None:
        return
    unschedule_broadcast(job_queue, broadcast.id)
    when = max(broadcast.scheduled_at, datetime.now(UTC) + timedelta(seconds=1))
    job_queue.run_once(run_scheduled, when=when, name=job_name(broadcast.id), data=broadcast.id)


def unschedule_broadcast(job_queue: JobQueue[Any] | None, broadcast_id: int) -> None:
    """Remove the job of a scheduled broadcast, if any."""
    if job_queue is None:
        return
    for job in job_queue.get_jobs_by_name(job_name(broadcast_id)):
        job.schedule_removal()


async def restore_schedule(job_queue: JobQueue[Any] | None, store: Store) -> int:
    """Recreate the jobs of every scheduled broadcast; return how many."""
    planned = await store.broadcasts.with_status(BroadcastStatus.SCHEDULED)
    for broadcast in planned:
        schedule_broadcast(job_queue, broadcast)
    return len(planned)


async def run_scheduled(context: BotContext) -> None:
    """Start the scheduled broadcast named by the job."""
    assert context.job is not None and isinstance(context.job.data, int)
    data = context.bot_data
    await start_broadcast(
        bot=context.bot,
        store=data.store,
        delivery=data.delivery,
        catalogs=data.catalogs,
        default_language=data.settings.default_language,
        broadcast_id=context.job.data,
    )
