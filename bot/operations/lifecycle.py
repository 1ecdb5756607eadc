"""The operators' side of a running bot: health server, watch job, alerts, daily backups.

`bot.app` opens it in `post_init` (`Operations.start`) and closes it in `post_shutdown`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from telegram.ext import ExtBot

from bot.config import Settings
from bot.delivery.sender import Progress
from bot.delivery.service import DeliveryService, Reporter
from bot.newsletter.i18n import N_, Catalogs
from bot.operations import metrics
from bot.operations.alerts import Alerts
from bot.operations.health_server import HealthServer
from bot.operations.readiness import BotApiCheck, BroadcastsCheck, DatabaseCheck, Readiness
from bot.storage import Broadcast, BroadcastStatus, DeliveryStatus, Store
from bot.storage.backup import BackupError, rotate_backups

if TYPE_CHECKING:
    from telegram.ext import JobQueue

log = logging.getLogger(__name__)

WATCH_SECONDS: Final = 60.0
API_DOWN_AFTER: Final = 180.0
"""Seconds without any Bot API answer before the API counts as unreachable for alerts."""

ALERT_HALTED = N_("Broadcast {id} halted: {reason}. It resumes at the next start.")
ALERT_STOPPED = N_("Broadcast {id} was stopped before its end: {sent} sent, {left} not sent.")
ALERT_FAILED = N_("Broadcast {id} ended with {failed} failed messages out of {total}.")
ALERT_DATABASE = N_("The database does not answer or refuses writes: {reason}")
ALERT_API = N_("The Bot API has not answered for {minutes} minutes: {reason}")
ALERT_BACKUP = N_("The daily backup failed: {reason}")
FAILED_SHARE: Final = 0.05
"""Share of failed messages above which a finished broadcast raises an alert."""

SUBSCRIBERS_QUERY: Final = """
SELECT language, kind, count(*) FROM chats WHERE status = 'active' GROUP BY language, kind
"""
BACKLOG_QUERY: Final = """
SELECT o.status, count(*) FROM broadcasts AS b
  JOIN outbox AS o ON o.broadcast_id = b.id AND o.status IN ('pending', 'sending')
 WHERE b.status = 'sending'
 GROUP BY o.status
"""
SUBSCRIBERS_EVERY: Final = 60.0
"""Seconds the subscriber gauges are reused: their query reads every chat, and they move slowly."""


class AlertingReporter:
    """Tell the editor as `inner` does, and raise alerts for broadcasts that went wrong."""

    def __init__(self, inner: Reporter, alerts: Alerts, text: Callable[[str], str]) -> None:
        self._inner = inner
        self._alerts = alerts
        self._text = text

    async def progress(self, broadcast: Broadcast, progress: Progress) -> None:
        """Pass the progress on."""
        await self._inner.progress(broadcast, progress)

    async def finished(self, broadcast: Broadcast, progress: Progress) -> None:
        """Alert when a broadcast was stopped or failed too often, then report it."""
        failed = progress.count(DeliveryStatus.FAILED.value)
        left = progress.total - progress.done
        if broadcast.status is BroadcastStatus.CANCELLED:
            await self._alerts.alert(
                f"broadcast-{broadcast.id}-stopped",
                self._text(ALERT_STOPPED).format(
                    id=broadcast.id, sent=progress.count(DeliveryStatus.SENT.value), left=left
                ),
            )
        elif progress.total and failed / progress.total > FAILED_SHARE:
            await self._alerts.alert(
                f"broadcast-{broadcast.id}-failed",
                self._text(ALERT_FAILED).format(
                    id=broadcast.id, failed=failed, total=progress.total
                ),
            )
        await self._inner.finished(broadcast, progress)

    async def halted(self, broadcast: Broadcast, progress: Progress, reason: str) -> None:
        """Alert that a broadcast halted, then tell the editor."""
        await self._alerts.alert(
            f"broadcast-{broadcast.id}-halted",
            self._text(ALERT_HALTED).format(id=broadcast.id, reason=reason),
        )
        await self._inner.halted(broadcast, progress, reason)


def make_alerts(bot: ExtBot[Any], settings: Settings) -> Alerts:
    """Return the alerts of this process, sent by `bot` to ALERT_CHAT_ID if it is set."""

    async def send(chat_id: int, text: str) -> object:
        return await bot.send_message(chat_id, text, parse_mode=None)

    return Alerts(send, settings.alert_chat_id)


class Operations:
    """Readiness checks, the health server, the watch job and the daily backup."""

    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        bot: ExtBot[Any],
        delivery: DeliveryService,
        alerts: Alerts,
        catalogs: Catalogs,
    ) -> None:
        self.settings = settings
        self.alerts = alerts
        self.readiness = Readiness()
        self.server: HealthServer | None = None
        self._store = store
        self._delivery = delivery
        self._text = catalogs[settings.default_language].gettext
        self._subscribers_at: float | None = None
        self.readiness.add("database", DatabaseCheck(self._probe_database))
        self.readiness.add("bot_api", BotApiCheck(bot.get_me))
        self.readiness.add("broadcasts", BroadcastsCheck(self._sending, self._running))

    async def _probe_database(self) -> None:
        # An empty IMMEDIATE transaction: the file answers and grants its write lock.
        async with self._store.db.transaction() as conn:
            await conn.execute("SELECT 1")

    async def _sending(self) -> list[int]:
        return [b.id for b in await self._store.broadcasts.with_status(BroadcastStatus.SENDING)]

    def _running(self) -> dict[int, tuple[int, int]]:
        answer = {}
        for broadcast_id in self._delivery.running:
            progress = self._delivery.progress(broadcast_id)
            if progress is not None:
                answer[broadcast_id] = (progress.done, progress.total)
        return answer

    async def refresh_gauges(self) -> None:
        """Set the scrape-time gauges: the outbox backlog from one indexed query, the
        subscribers at most once a minute, the running broadcasts from memory."""
        with metrics.timed_query("scrape"):
            rows = await self._store.db.fetchall(BACKLOG_QUERY)
        backlog = {"pending": 0, "sending": 0} | {row[0]: row[1] for row in rows}
        for status, count in backlog.items():
            metrics.OUTBOX_BACKLOG.labels(status).set(count)
        now = time.monotonic()
        if self._subscribers_at is None or now - self._subscribers_at >= SUBSCRIBERS_EVERY:
            with metrics.timed_query("subscribers"):
                rows = await self._store.db.fetchall(SUBSCRIBERS_QUERY)
            self._subscribers_at = now
            metrics.SUBSCRIBERS.clear()
            for language, kind, count in rows:
                metrics.SUBSCRIBERS.labels(language, kind).set(count)
        metrics.BROADCAST_PROGRESS.clear()
        for broadcast_id, (done, total) in self._running().items():
            metrics.BROADCAST_PROGRESS.labels(str(broadcast_id), "done").set(done)
            metrics.BROADCAST_PROGRESS.labels(str(broadcast_id), "total").set(total)

    async def start(self, job_queue: JobQueue[Any] | None) -> None:
        """Start the health server (when HEALTH_PORT is set) and the named jobs."""
        if self.settings.health_port is not None:
            server = HealthServer(self.readiness, self.refresh_gauges)
            try:
                port = await server.start(self.settings.health_host, self.settings.health_port)
            except OSError as exc:
                log.error(  # noqa: TRY400 - the reason is the whole story
                    "Could not serve health and metrics on %s:%s: %s",
                    self.settings.health_host,
                    self.settings.health_port,
                    exc,
                )
            else:
                self.server = server
                log.info(
                    "Health and metrics on http://%s:%d/healthz, /readyz, /metrics",
                    self.settings.health_host,
                    port,
                )
        if job_queue is None:
            return
        job_queue.run_repeating(
            self._watch_job, interval=WATCH_SECONDS, first=WATCH_SECONDS, name="health-watch"
        )
        if self.settings.backup_dir is not None and self.settings.postgres_url:
            log.warning("BACKUP_DIR is for the SQLite file; back PostgreSQL up with pg_dump")
        elif self.settings.backup_dir is not None:
            job_queue.run_repeating(
                self._backup_job,
                interval=timedelta(days=1),
                first=timedelta(minutes=5),
                name="daily-backup",
            )

    async def stop(self) -> None:
        """Stop the health server."""
        if self.server is not None:
            await self.server.stop()
            self.server = None

    async def _watch_job(self, _context: object) -> None:
        await self.watch()

    async def watch(self) -> None:
        """Run the checks; alert on a failing database or a Bot API silent for minutes."""
        answers = await self.readiness.run()
        database = answers.get("database")
        if database is not None and not database.ok:
            await self.alerts.alert(
                "database", self._text(ALERT_DATABASE).format(reason=database.reason)
            )
        elif database is not None:
            self.alerts.resolved("database")
        api = answers.get("bot_api")
        silent = metrics.seconds_since_api_answer()
        if api is not None and not api.ok and (silent is None or silent >= API_DOWN_AFTER):
            minutes = round((silent or API_DOWN_AFTER) / 60)
            await self.alerts.alert(
                "bot_api", self._text(ALERT_API).format(minutes=minutes, reason=api.reason)
            )
        elif api is not None and api.ok:
            self.alerts.resolved("bot_api")
        await self.alerts.retry()

    async def _backup_job(self, _context: object) -> None:
        await self.daily_backup()

    async def daily_backup(self) -> None:
        """Back up into BACKUP_DIR and keep the newest BACKUP_KEEP copies."""
        directory = self.settings.backup_dir
        assert directory is not None
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        try:
            with metrics.timed_query("backup"):
                target, removed = await asyncio.to_thread(
                    rotate_backups,
                    self.settings.database_path,
                    directory,
                    f"bot-{stamp}.sqlite3",
                    self.settings.backup_keep,
                )
        except (BackupError, OSError) as exc:
            await self.alerts.alert("backup", self._text(ALERT_BACKUP).format(reason=exc))
            return
        self.alerts.resolved("backup")
        log.info("Backed up the database to %s (%d old copies removed)", target, len(removed))
