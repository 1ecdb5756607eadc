"""Start, resume, stop and watch broadcasts; one pacer shared by all of them.

The service lives as long as the application: `post_init` resumes every broadcast left
'sending' by a previous process, `post_shutdown` halts the runs without cancelling them,
so the next start carries on where this one stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Final, Protocol

from telegram.ext import ExtBot

from bot.config import SendLimits
from bot.delivery.compose import render_auto, render_issue
from bot.delivery.pacing import ChatPacer, Pacer
from bot.delivery.sender import BroadcastRun, Progress
from bot.newsletter.i18n import Catalogs
from bot.operations import log_context
from bot.storage import Broadcast, BroadcastStatus, DeliveryResult, Store

log = logging.getLogger(__name__)

PROGRESS_SECONDS: Final = 3.0


class Reporter(Protocol):
    """Tells the editor how a broadcast goes."""

    async def progress(self, broadcast: Broadcast, progress: Progress) -> None:
        """Show the progress of a running broadcast."""

    async def finished(self, broadcast: Broadcast, progress: Progress) -> None:
        """Show the final report of a broadcast that ended."""

    async def halted(self, broadcast: Broadcast, progress: Progress, reason: str) -> None:
        """Say that a broadcast cannot go on for now, why, and that it will resume."""


class DeliveryService:
    """Run broadcasts in the background of the application."""

    def __init__(
        self,
        *,
        store: Store,
        bot: ExtBot[Any],
        catalogs: Catalogs,
        limits: SendLimits,
        pacer: Pacer,
        chats: ChatPacer | None = None,
        concurrency: int,
        reporter: Reporter | None = None,
        progress_seconds: float = PROGRESS_SECONDS,
    ) -> None:
        self.limits = limits
        self.pacer = pacer
        self.chats = chats or ChatPacer(limits)
        self.reporter = reporter
        self._store = store
        self._bot = bot
        self._catalogs = catalogs
        self._concurrency = concurrency
        self._progress_seconds = progress_seconds
        self._runs: dict[int, BroadcastRun] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._unrecorded: dict[int, list[DeliveryResult]] = {}
        """Outcomes of halted runs that the database refused, written when they resume."""
        self._closing = False
        self._stop_listening = store.subscriptions.on_change(self._chat_changed)

    def _chat_changed(self, chat_id: int) -> None:
        for run in self._runs.values():
            run.chat_changed(chat_id)

    async def start(self, broadcast_id: int) -> int:
        """Fix the audience of a scheduled issue broadcast and start sending it.

        An automatic delivery sends its one commentary to its one language's readers.

        Return the number of messages to send; 0 when the broadcast was no longer
        scheduled (cancelled meanwhile, or already started). Raise `AlreadyDeliveredError`
        when another broadcast delivers the issue.
        """
        broadcast = await self._store.broadcasts.get(broadcast_id)
        if broadcast is None or broadcast.status is not BroadcastStatus.SCHEDULED:
            return 0
        auto = await self._store.auto_sends.of_broadcast(broadcast_id)
        if auto is None:
            messages = await render_issue(self._store, self._catalogs, broadcast.issue.id)
            fallback = False
        else:
            messages, fallback = await render_auto(
                self._store, self._catalogs, broadcast.issue.id, auto
            )
        total = await self._store.broadcasts.start(broadcast_id, messages, fallback=fallback)
        started = await self._store.broadcasts.get(broadcast_id)
        if started is not None and started.status is BroadcastStatus.SENDING:
            log.info("Broadcast %s started: %d messages", broadcast_id, total)
            self.launch(started)
        return total

    async def resume(self) -> list[int]:
        """Carry on with every broadcast a previous process left unfinished."""
        resumed = []
        for broadcast in await self._store.broadcasts.with_status(BroadcastStatus.SENDING):
            if broadcast.id not in self._tasks:
                log.info("Resuming broadcast %s", broadcast.id)
                self.launch(broadcast)
                resumed.append(broadcast.id)
        return resumed

    async def resume_one(self, broadcast_id: int) -> bool:
        """Carry on with a stopped or halted broadcast; False if there is nothing to resume.

        A stopped broadcast sends what its stop cancelled, to the audience fixed when it
        started; what was sent is not sent again.
        """
        if broadcast_id in self._tasks:
            return False
        if unrecorded := self._unrecorded.get(broadcast_id):
            # Sent before the halt: written now, they are not sent again.
            await self._store.broadcasts.record(unrecorded)
            del self._unrecorded[broadcast_id]
        broadcast = await self._store.broadcasts.reopen(broadcast_id)
        if broadcast is None:
            return False
        log.info("Resuming broadcast %s on an editor's request", broadcast_id)
        self.launch(broadcast)
        return True

    def launch(self, broadcast: Broadcast) -> None:
        """Run a broadcast that is already 'sending' in the background."""
        run = BroadcastRun(
            broadcast_id=broadcast.id,
            kind=broadcast.kind,
            store=self._store,
            bot=self._bot,
            pacer=self.pacer,
            limits=self.limits,
            chats=self.chats,
            concurrency=self._concurrency,
        )
        self._runs[broadcast.id] = run
        self._tasks[broadcast.id] = asyncio.create_task(
            self._drive(broadcast, run), name=f"broadcast-{broadcast.id}"
        )

    async def _drive(self, broadcast: Broadcast, run: BroadcastRun) -> None:
        log_context.broadcast_id.set(broadcast.id)  # this task's log lines name it
        watcher = asyncio.create_task(self._watch(broadcast, run))
        try:
            try:
                await run.run()
            finally:
                # No progress edit may land after (and over) the report below.
                watcher.cancel()
                await asyncio.gather(watcher, return_exceptions=True)
            if run.recovered_in_flight:
                log.warning(
                    "Broadcast %s: %d messages had been handed out when the previous process "
                    "stopped; they were sent again, and those that had reached Telegram "
                    "arrived twice",
                    broadcast.id,
                    run.recovered_in_flight,
                )
            if self._closing:
                return
            if run.halted is not None:
                await self._report_halt(broadcast, run, run.halted)
                return
            status = BroadcastStatus.CANCELLED if run.stopping else BroadcastStatus.DONE
            await self._store.broadcasts.finish(broadcast.id, status)
            log.info("Broadcast %s %s", broadcast.id, status.value)
            final = await self._store.broadcasts.get(broadcast.id)
            if self.reporter is not None and final is not None:
                try:
                    await self.reporter.finished(final, run.progress)
                except Exception:  # the broadcast is over; only its report did not arrive
                    log.warning("Could not report broadcast %s", broadcast.id, exc_info=True)
        except Exception as exc:
            # The broadcast stays 'sending': the next start resumes it.
            log.exception(
                "Broadcast %s stopped on an error; it resumes at the next start", broadcast.id
            )
            if run.unrecorded:
                self._unrecorded[broadcast.id] = run.unrecorded
            if not self._closing:
                await self._report_halt(broadcast, run, run.halted or str(exc) or repr(exc))
        finally:
            self._runs.pop(broadcast.id, None)
            self._tasks.pop(broadcast.id, None)

    async def _report_halt(self, broadcast: Broadcast, run: BroadcastRun, reason: str) -> None:
        if self.reporter is None:
            return
        try:
            await self.reporter.halted(broadcast, run.progress, reason)
        except Exception:  # the editor may be unreachable too; the log has the reason
            log.warning("Could not tell the editor that broadcast %s halted", broadcast.id)

    async def _watch(self, broadcast: Broadcast, run: BroadcastRun) -> None:
        if self.reporter is None:
            return
        while True:
            await asyncio.sleep(self._progress_seconds)
            try:
                await self.reporter.progress(broadcast, run.progress)
            except Exception:  # a progress display must never stop a broadcast
                log.warning(
                    "Could not show the progress of broadcast %s", broadcast.id, exc_info=True
                )

    def stop(self, broadcast_id: int) -> bool:
        """Stop a running broadcast: what was sent stays sent, the rest is cancelled."""
        run = self._runs.get(broadcast_id)
        if run is None:
            return False
        run.stop()
        return True

    def progress(self, broadcast_id: int) -> Progress | None:
        """Return the live counts of a running broadcast."""
        run = self._runs.get(broadcast_id)
        return None if run is None else run.progress

    @property
    def running(self) -> list[int]:
        """Return the ids of the broadcasts being sent."""
        return list(self._runs)

    async def wait(self, broadcast_id: int) -> None:
        """Wait until a running broadcast ends (tests and benchmarks)."""
        task = self._tasks.get(broadcast_id)
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(task)

    def halt(self) -> None:
        """Stop every run after its sends in flight, at once; `close` then waits for them.

        For a process that is no longer the active one: nothing new may start sending.
        """
        self._closing = True
        for run in self._runs.values():
            run.stop()

    async def close(self) -> None:
        """Halt every run, leaving it to be resumed by the next process."""
        self._closing = True
        self._stop_listening()
        for run in self._runs.values():
            run.stop()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
