"""Times of scheduled broadcasts: the weekly slot, typed times, and their JobQueue jobs.

Scheduled broadcasts live in the database; each has a JobQueue job named
`broadcast-<id>`, recreated from the database at start-up, so a restart loses none and a
time that passed while the bot was down starts the broadcast at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from telegram.ext import JobQueue

from bot.config import WeeklySlot
from bot.storage import Broadcast

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


def plan(
    job_queue: JobQueue[Any] | None,
    broadcast: Broadcast,
    callback: Callable[[Any], Coroutine[Any, Any, None]],
) -> None:
    """Create (or replace) the job that starts a scheduled broadcast at its time."""
    if job_queue is None or broadcast.scheduled_at is None:
        return
    unplan(job_queue, broadcast.id)
    when = max(broadcast.scheduled_at, datetime.now(UTC) + timedelta(seconds=1))
    job_queue.run_once(callback, when=when, name=job_name(broadcast.id), data=broadcast.id)


def unplan(job_queue: JobQueue[Any] | None, broadcast_id: int) -> None:
    """Remove the job of a scheduled broadcast, if any."""
    if job_queue is None:
        return
    for job in job_queue.get_jobs_by_name(job_name(broadcast_id)):
        job.schedule_removal()
