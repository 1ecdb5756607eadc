"""The life of a broadcast, in one place: planned, sending, stopped or halted, done.

Handlers parse an editor's update, call one method here and show its answer; scheduled
jobs and the start-up restore call the same methods. Every issue broadcast starts through
`_start` — send-now, a scheduled time, a schedule restored at start-up — and corrections
through `apply_correction`. The rule that an issue is delivered at most once is the
store's (`delivers_issue` is unique, checked where the audience is fixed): no interleaving
of presses, schedules and processes can pass it, and the loser is told why.

    planned ──start──> sending ──> done
       │                 │  ╲
     cancel            stop  halt (the database refuses writes)
       │                 │      │
       v                 v      v
    cancelled         stopped ──resume──> sending
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from telegram.error import TelegramError
from telegram.ext import CallbackContext, ExtBot, JobQueue

from bot.config import Settings
from bot.delivery.corrections import CorrectionPlan, plan_correction
from bot.delivery.service import DeliveryService
from bot.editorial import scheduling
from bot.editorial.reports import editor_translator, stop_button
from bot.errors import ContentErrors, CorrectionRefused
from bot.newsletter.content import IssueDraft
from bot.newsletter.i18n import Catalogs, Translator
from bot.newsletter.importer import parse_issue, parse_upload
from bot.newsletter.telegram_html import escape
from bot.storage import (
    AlreadyDeliveredError,
    AutoPhase,
    AutoSend,
    Broadcast,
    BroadcastKind,
    BroadcastStatus,
    IssueInfo,
    StorageError,
    Store,
)

log = logging.getLogger(__name__)

EARLIEST_AHEAD: Final = timedelta(seconds=30)
LATEST_AHEAD: Final = timedelta(days=366)


@dataclass(frozen=True, slots=True)
class Editor:
    """Who acts: an editor's user id, their private chat and the language they read."""

    user_id: int
    chat_id: int
    language: str


class ScheduleOutcome(StrEnum):
    """What `schedule` did."""

    SCHEDULED = "scheduled"
    TOO_SOON = "too soon"
    TOO_LATE = "too late"
    UNAVAILABLE = "unavailable"
    """The issue is gone, or another broadcast delivers it."""


@dataclass(frozen=True, slots=True)
class Scheduled:
    """The answer to `schedule`: what happened, and the broadcast when it was planned."""

    outcome: ScheduleOutcome
    broadcast: Broadcast | None = None


def already_delivered_text(t: Translator, holder: Broadcast) -> str:
    """Say why an issue is not sent again: it is being sent, or was sent on a date."""
    week = t.format_week(holder.issue.week_start, holder.issue.week_end)
    if holder.status is BroadcastStatus.SENDING:
        return t.gettext(
            "Nothing was sent: the issue of {week} is already being sent by another broadcast."
        ).format(week=week)
    started = holder.started_at or holder.created_at
    return t.gettext(
        "Nothing was sent: the issue of {week} was already sent on {date}. "
        "Upload a corrected file to fix it."
    ).format(week=week, date=t.format_date(started.date()))


class Editorial:
    """Start, schedule, stop, resume and correct broadcasts for the editors."""

    def __init__(
        self,
        *,
        bot: ExtBot[Any],
        store: Store,
        delivery: DeliveryService,
        catalogs: Catalogs,
        settings: Settings,
        job_queue: JobQueue[Any] | None,
    ) -> None:
        self._bot = bot
        self._store = store
        self._delivery = delivery
        self._catalogs = catalogs
        self._settings = settings
        self._jobs = job_queue

    def translator(self, broadcast: Broadcast) -> Translator:
        """Return the translator of the editor who planned a broadcast."""
        return editor_translator(self._catalogs, self._settings.default_language, broadcast)

    # -- what editors ask about ------------------------------------------------------------

    async def delivery_of(self, issue_id: int) -> Broadcast | None:
        """Return the broadcast that delivers (or delivered) an issue, if one started."""
        return await self._store.broadcasts.last_delivery(issue_id)

    async def sending(self, issue_id: int) -> bool:
        """Tell whether a broadcast of the issue (itself or a correction) is being sent."""
        running = await self._store.broadcasts.with_status(BroadcastStatus.SENDING)
        return any(broadcast.issue.id == issue_id for broadcast in running)

    async def receive_upload(self, name: str, content: bytes) -> Upload:
        """Validate an uploaded issue file; store it, or prepare a correction of a sent issue."""
        archive = self._store.archive
        try:
            text = content.decode("utf-8-sig")
            draft = parse_issue(text, name)
            # The same checks as a batch import, against the languages already stored.
            draft = parse_upload(text, name, await archive.stored_content(draft))
        except UnicodeDecodeError:
            return Upload(UploadOutcome.NOT_UTF8)
        except ContentErrors as errors:
            return Upload(UploadOutcome.INVALID, errors=tuple(str(e) for e in errors.errors))
        existing = await archive.issue_by_week(draft.week_start)
        if existing is not None and await self.delivery_of(existing.id) is not None:
            return await self._correction(existing, draft)
        try:
            await archive.save_issues([draft])
        except StorageError as exc:
            return Upload(UploadOutcome.INVALID, errors=(str(exc),))
        return Upload(UploadOutcome.STORED, draft, await archive.issue_by_week(draft.week_start))

    async def _correction(self, issue: IssueInfo, draft: IssueDraft) -> Upload:
        if await self.sending(issue.id):
            # Messages not sent yet would go out with the old text and never be edited.
            return Upload(UploadOutcome.STILL_SENDING, draft, issue)
        try:
            plan = await self.plan_correction(issue.id, draft)
        except CorrectionRefused as exc:
            return Upload(UploadOutcome.REFUSED, draft, issue, refusal=exc)
        if not plan.changed:
            return Upload(UploadOutcome.UNCHANGED, draft, issue)
        return Upload(UploadOutcome.CORRECTION, draft, issue, plan=plan)

    async def available(self, issue_id: int) -> IssueInfo | None:
        """Return an issue that may still be sent or scheduled, or None."""
        issue = await self._store.archive.issue_info(issue_id)
        if issue is None or await self.delivery_of(issue_id) is not None:
            return None
        if await self._store.auto_sends.started_for_issue(issue_id):
            return None
        return issue

    # -- starting ----------------------------------------------------------------------------

    async def send_now(self, issue_id: int, editor: Editor) -> int:
        """Send an issue now; return its message count (0 when it did not start)."""
        await self._drop_planned(issue_id)
        broadcast_id = await self._store.broadcasts.create(
            issue_id,
            editor_id=editor.user_id,
            editor_chat_id=editor.chat_id,
            editor_language=editor.language,
        )
        return await self._start(broadcast_id)

    async def schedule(self, issue_id: int, editor: Editor, when: datetime) -> Scheduled:
        """Plan an issue's broadcast at a time, replacing the issue's earlier plans."""
        now = datetime.now(when.tzinfo)
        if when <= now + EARLIEST_AHEAD:
            return Scheduled(ScheduleOutcome.TOO_SOON)
        if when > now + LATEST_AHEAD:
            return Scheduled(ScheduleOutcome.TOO_LATE)
        if await self.available(issue_id) is None:
            return Scheduled(ScheduleOutcome.UNAVAILABLE)
        await self._drop_planned(issue_id)
        broadcast_id = await self._store.broadcasts.create(
            issue_id,
            editor_id=editor.user_id,
            editor_chat_id=editor.chat_id,
            editor_language=editor.language,
            scheduled_at=when,
        )
        broadcast = await self._store.broadcasts.get(broadcast_id)
        assert broadcast is not None
        scheduling.plan(self._jobs, broadcast, self.run_scheduled)
        return Scheduled(ScheduleOutcome.SCHEDULED, broadcast)

    async def run_scheduled(self, context: CallbackContext[Any, Any, Any, Any]) -> None:
        """Start the planned broadcast whose time has come (the job's callback)."""
        assert context.job is not None and isinstance(context.job.data, int)
        await self.start_planned(context.job.data)

    async def start_planned(self, broadcast_id: int) -> int:
        """Start a planned broadcast now; return its message count (0 when it did not start)."""
        return await self._start(broadcast_id)

    async def restore(self) -> tuple[int, list[int]]:
        """Plan again every scheduled broadcast and resume the unfinished ones.

        Return how many were planned and the ids of those resumed.
        """
        planned = await self._store.broadcasts.with_status(BroadcastStatus.SCHEDULED)
        for broadcast in planned:
            scheduling.plan(self._jobs, broadcast, self.run_scheduled)
        return len(planned), await self._delivery.resume()

    async def _start(self, broadcast_id: int) -> int:
        """Post the progress message and start a planned issue broadcast; the one start path.

        Return the message count; 0 when it did not start: cancelled meanwhile, or the
        issue is delivered by another broadcast (the editor is told so in place of the
        progress message).
        """
        broadcast = await self._store.broadcasts.get(broadcast_id)
        if broadcast is None or broadcast.status is not BroadcastStatus.SCHEDULED:
            return 0
        t = self.translator(broadcast)
        progress_id: int | None = None
        holder = await self.delivery_of(broadcast.issue.id)
        if await self._store.auto_sends.of_broadcast(broadcast_id) is not None:
            return await self._start_auto(broadcast, holder)
        if holder is None and await self._store.auto_sends.started_for_issue(broadcast.issue.id):
            # Its commentaries went out one by one: the whole issue again would repeat them.
            await self._store.broadcasts.cancel_scheduled(broadcast_id)
            week = t.format_week(broadcast.issue.week_start, broadcast.issue.week_end)
            text = t.gettext(
                "Nothing was sent: commentaries of the issue of {week} already went out by "
                "themselves from the website's feeds, and readers would get them twice."
            ).format(week=week)
            await self._tell(broadcast.editor_chat_id, None, text)
            return 0
        if holder is None:
            progress_id = await self._post_progress(broadcast, t)
            try:
                total = await self._delivery.start(broadcast_id)
            except AlreadyDeliveredError as exc:
                holder = exc.by
            else:
                if await self._store.broadcasts.status(broadcast_id) is BroadcastStatus.SENDING:
                    log.info("Broadcast %s: %d messages to send", broadcast_id, total)
                    return total
                # Cancelled between the press and the start.
                holder = await self.delivery_of(broadcast.issue.id)
                if holder is None:
                    text = t.gettext("Nothing was sent: the broadcast was cancelled.")
                    await self._tell(broadcast.editor_chat_id, progress_id, text)
                    return 0
        else:
            await self._store.broadcasts.cancel_scheduled(broadcast_id)
        log.warning(
            "Broadcast %s not started: issue %s is delivered by broadcast %s",
            broadcast_id,
            broadcast.issue.id,
            holder.id,
        )
        await self._tell(broadcast.editor_chat_id, progress_id, already_delivered_text(t, holder))
        return 0

    async def _start_auto(self, broadcast: Broadcast, holder: Broadcast | None) -> int:
        """Start an automatic delivery of one commentary, unless an editor sent the issue.

        No progress message: the editors saw it coming on the issue card, and its report
        arrives when it is done.
        """
        if holder is not None:
            await self._store.broadcasts.cancel_scheduled(broadcast.id)
            log.info(
                "Automatic delivery %s dropped: issue %s is delivered by broadcast %s",
                broadcast.id,
                broadcast.issue.id,
                holder.id,
            )
            return 0
        total = await self._delivery.start(broadcast.id)
        log.info("Automatic delivery %s: %d messages to send", broadcast.id, total)
        return total

    async def plan_auto(
        self, commentary_id: int, language: str, phase: AutoPhase, when: datetime, editor: Editor
    ) -> AutoSend | None:
        """Plan an automatic delivery of a commentary to one language's readers at `when`.

        A key planned before is not planned again (None). A first delivery still waiting
        is brought forward to `when` when that is earlier (its readers' own version came).
        """
        sends = self._store.auto_sends
        planned = await sends.plan(
            commentary_id,
            language,
            phase,
            when,
            editor_id=editor.user_id,
            editor_language=editor.language,
        )
        if planned is None:
            existing = await sends.get(commentary_id, language, phase)
            if existing is None or not await sends.bring_forward(existing.broadcast_id, when):
                return None
            planned = await sends.get(commentary_id, language, phase)
        assert planned is not None
        broadcast = await self._store.broadcasts.get(planned.broadcast_id)
        assert broadcast is not None
        scheduling.plan(self._jobs, broadcast, self.run_scheduled)
        return planned

    async def _post_progress(self, broadcast: Broadcast, t: Translator) -> int | None:
        try:
            progress = await self._bot.send_message(
                broadcast.editor_chat_id,
                escape(t.gettext("Preparing the broadcast…")),
                reply_markup=stop_button(t, broadcast.id),
            )
        except TelegramError as exc:
            log.warning("Could not post the progress of broadcast %s: %s", broadcast.id, exc)
            return None
        await self._store.broadcasts.set_progress_message(broadcast.id, progress.message_id)
        return progress.message_id

    async def _tell(self, chat_id: int, message_id: int | None, text: str) -> None:
        """Put `text` in place of a progress message (dropping its Stop button), or send it."""
        try:
            if message_id is not None:
                await self._bot.edit_message_text(
                    escape(text), chat_id=chat_id, message_id=message_id, reply_markup=None
                )
            else:
                await self._bot.send_message(chat_id, escape(text))
        except TelegramError as exc:
            log.warning("Could not tell editor chat %s: %s", chat_id, exc)

    async def _drop_planned(self, issue_id: int) -> None:
        """Cancel the broadcasts of an issue planned for a time: a newer plan replaces them.

        One that another editor is starting right now is left to the store, which lets
        exactly one of them deliver the issue.
        """
        broadcasts = self._store.broadcasts
        for planned in await broadcasts.with_status(BroadcastStatus.SCHEDULED):
            if (
                planned.issue.id == issue_id
                and planned.kind is BroadcastKind.ISSUE
                and planned.scheduled_at is not None
            ):
                if await broadcasts.cancel_scheduled(planned.id):
                    log.info(
                        "Broadcast %s replaced by a newer one of issue %s", planned.id, issue_id
                    )
                scheduling.unplan(self._jobs, planned.id)

    # -- while and after sending ----------------------------------------------------------

    async def cancel(self, broadcast_id: int) -> bool:
        """Cancel a planned broadcast; False if it was not planned any more.

        An automatic delivery is held with every other one of its issue still waiting;
        False when none was waiting.
        """
        broadcasts = self._store.broadcasts
        if await self._store.auto_sends.of_broadcast(broadcast_id) is not None:
            # Hold every automatic delivery of its issue still waiting, even when this one
            # (the first the card named) has gone out meanwhile.
            broadcast = await broadcasts.get(broadcast_id)
            assert broadcast is not None
            held = False
            for waiting in await self._store.auto_sends.scheduled_of_issue(broadcast.issue.id):
                if await broadcasts.cancel_scheduled(waiting.broadcast_id):
                    scheduling.unplan(self._jobs, waiting.broadcast_id)
                    held = True
            return held
        if not await broadcasts.cancel_scheduled(broadcast_id):
            return False
        scheduling.unplan(self._jobs, broadcast_id)
        return True

    def stop(self, broadcast_id: int) -> bool:
        """Stop a running broadcast; False if it is not running."""
        return self._delivery.stop(broadcast_id)

    async def resume(self, broadcast_id: int) -> bool:
        """Carry on with a stopped or halted broadcast; False if there is nothing to resume."""
        return await self._delivery.resume_one(broadcast_id)

    # -- corrections ------------------------------------------------------------------------

    async def plan_correction(self, issue_id: int, draft: IssueDraft) -> CorrectionPlan:
        """Compare a corrected file with what readers have; raise CorrectionRefused."""
        return await plan_correction(self._store, self._catalogs, issue_id, draft)

    async def apply_correction(self, issue_id: int, draft: IssueDraft, editor: Editor) -> int:
        """Store a corrected file and edit the delivered messages it changes; return how many.

        Raise CorrectionRefused when it cannot be applied by editing delivered messages.
        """
        plan = await self.plan_correction(issue_id, draft)
        await self._store.archive.save_issues([draft])
        broadcast_id = await self._store.broadcasts.create(
            issue_id,
            editor_id=editor.user_id,
            editor_chat_id=editor.chat_id,
            editor_language=editor.language,
            kind=BroadcastKind.CORRECTION,
        )
        broadcast = await self._store.broadcasts.get(broadcast_id)
        assert broadcast is not None
        await self._post_progress(broadcast, self._catalogs[editor.language])
        total = await self._store.broadcasts.start_correction(
            broadcast_id, plan.source.id, plan.changed
        )
        started = await self._store.broadcasts.get(broadcast_id)
        assert started is not None
        self._delivery.launch(started)
        return total


class UploadOutcome(StrEnum):
    """What became of an uploaded issue file."""

    STORED = "stored"
    INVALID = "invalid"
    NOT_UTF8 = "not UTF-8"
    CORRECTION = "correction"
    """The issue was delivered: the file is a correction, to confirm."""
    UNCHANGED = "unchanged"
    """The issue was delivered with this very text."""
    STILL_SENDING = "still sending"
    REFUSED = "refused"
    """A correction that cannot be applied by editing delivered messages."""


@dataclass(frozen=True, slots=True)
class Upload:
    """The answer to `receive_upload`."""

    outcome: UploadOutcome
    draft: IssueDraft | None = None
    issue: IssueInfo | None = None
    errors: tuple[str, ...] = ()
    plan: CorrectionPlan | None = None
    refusal: CorrectionRefused | None = None
