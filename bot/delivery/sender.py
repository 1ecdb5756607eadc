"""Work through one broadcast's outbox within the flood limits, classifying every answer.

A producer reads the outbox in id order (everyone's first message, then everyone's
second), skips chats that left since the audience was fixed, marks the rows 'sending' and
queues them; `concurrency` workers send them. Rows of one chat go
out in order within the chat's allowance, shared with replies (`ChatPacer`); the shared
pacer spaces all sends.

What each answer means:
    RetryAfter     pause every send for retry_after, then send the same message again
    Forbidden      the chat blocked or removed the bot: pause its subscription, skip its rest
    ChatMigrated   move the subscription and the chat's rest to the new id, send there
    BadRequest     this message fails with Telegram's reason; no blind retry
    TimedOut and other network errors
                   retry with backoff, up to MAX_ATTEMPTS, then fail with the reason

A chat's language and subscription are decided when its row is sent. A chat that left
gets nothing more. A chat that changed language before anything of the broadcast could
have reached it gets the issue in its new language instead, at once: its rows are
replaced by the new language's messages (`relanguage_chat`), and the worker sends those
in order. Once something may have reached the chat, a change of language ends its share:
nobody gets the issue in two languages, nor more of it in a language they left.

Crash safety: a row is 'sending' from just before it is handed to Telegram until its
outcome is recorded; outcomes are recorded in small batches. After a crash the rows
still 'sending' are sent again, so a recipient may get a message twice only if it was
one of at most 2 x `concurrency` rows in flight or awaiting its record at the crash:
workers hand rows to Telegram only while fewer than that are, however slow the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from telegram import LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import ExtBot

from bot.config import SendLimits
from bot.delivery.pacing import ChatPacer, Lane, Pacer
from bot.delivery.rate_limiter import BROADCAST, retry_seconds
from bot.delivery.send_text import send_html
from bot.operations import metrics
from bot.storage import BroadcastKind, DeliveryResult, DeliveryStatus, OutboxItem, Store
from bot.storage.broadcasts import Relanguaged

log = logging.getLogger(__name__)
_T = TypeVar("_T")

MAX_ATTEMPTS: Final = 5
BACKOFF: Final = (1.0, 2.0, 4.0, 8.0)
MAX_RETRY_AFTERS: Final = 20
FLUSH_SECONDS: Final = 0.1
HALT_AFTER: Final = 30.0
"""Seconds the outbox may refuse writes (disk full, read-only) before the run halts."""

GONE: Final = "the chat blocked or removed the bot"
BLOCKED: Final = "blocked"
"""Counted apart from other skips: the chat blocked or removed the bot during the broadcast."""


@dataclass
class Progress:
    """Counts of a running broadcast by (language, outcome), kept in memory."""

    total: int = 0
    total_by_language: Counter[str] = field(default_factory=Counter)
    by_language: Counter[tuple[str, str]] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)
    recent: deque[float] = field(default_factory=lambda: deque(maxlen=200))

    def add(self, language: str, outcome: str) -> None:
        """Count one finished row."""
        self.by_language[(language, outcome)] += 1
        if outcome == DeliveryStatus.SENT:
            self.recent.append(time.monotonic())

    def count(self, outcome: str, language: str | None = None) -> int:
        """Return how many rows ended with `outcome`, in one language or all."""
        return sum(
            n
            for (lang, out), n in self.by_language.items()
            if out == outcome and (language is None or lang == language)
        )

    @property
    def done(self) -> int:
        """Return how many rows have an outcome."""
        return sum(self.by_language.values())

    @property
    def languages(self) -> list[str]:
        """Return the languages the broadcast has rows in."""
        return sorted({lang for lang, _ in self.by_language} | set(self.total_by_language))

    def seconds_left(self) -> float | None:
        """Estimate the time left from the pace of the last sends."""
        if len(self.recent) < 2:
            return None
        span = self.recent[-1] - self.recent[0]
        if span <= 0:
            return None
        rate = (len(self.recent) - 1) / span
        return (self.total - self.done) / rate


def changed(language: str) -> str:
    """Say why a chat that changed its language gets nothing more of a broadcast."""
    return f"the chat changed its language to {language}"


class _Left(Exception):
    """The row's chat left the broadcast (blocked, unsubscribed, changed language)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Switch(Exception):
    """The row's chat reads another language now; nothing may have reached it yet."""

    def __init__(self, language: str) -> None:
        super().__init__(language)
        self.language = language


@dataclass(frozen=True, slots=True)
class _Outcome:
    status: DeliveryStatus
    attempts: int
    message_id: int | None = None
    error: str | None = None
    counted_as: str | None = None


class BroadcastRun:
    """Send one broadcast to the end, or until it is stopped."""

    def __init__(
        self,
        *,
        broadcast_id: int,
        kind: BroadcastKind,
        store: Store,
        bot: ExtBot[Any],
        pacer: Pacer,
        limits: SendLimits,
        chats: ChatPacer | None = None,
        concurrency: int = 16,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.broadcast_id = broadcast_id
        self.kind = kind
        self.progress = Progress()
        self._store = store
        self._bot = bot
        self._pacer = pacer
        self._chats = chats or ChatPacer(limits, clock=clock)
        self._clock = clock
        self._limits = limits
        self._concurrency = concurrency
        self._queue: asyncio.Queue[OutboxItem | None] = asyncio.Queue(maxsize=concurrency * 4)
        self._results: list[DeliveryResult] = []
        self._writing = 0
        """Outcomes in the batch being written now."""
        self._in_flight = 0
        """Rows past `_room_to_record` whose outcome is not known yet."""
        self._flushed = asyncio.Event()
        self._recorded = asyncio.Event()
        self._sending_done = False
        self._stopping = False
        self._chat_locks: dict[int, asyncio.Lock] = {}
        self._chat_users: Counter[int] = Counter()
        self._dead_chats: set[int] = set()
        self._unsent: list[OutboxItem] = []
        self._moved: dict[int, int] = {}
        self._changed: set[int] = set()
        """Chats whose subscription changed while this run was going: checked at each send."""
        self._unhanded: set[int] = set()
        """Rows this run marked 'sending' that have not been handed to Telegram."""
        self._replaced: set[int] = set()
        """Rows a language change replaced: already queued, they are dropped."""
        self._taken: set[int] = set()
        """Rows a language change created: the worker that made them sends them."""
        self._followers: set[asyncio.Task[None]] = set()
        self._workers_done = False
        self._kept: set[int] = set()
        """Chats that changed language after something may have reached them."""
        self.recovered_in_flight = 0
        self.halted: str | None = None
        """Why the run gave up while the broadcast still has rows to send, if it did."""
        # Sends already paced here are told to skip the bot's own rate limiter, if it has one.
        self._rate_limit_args = BROADCAST if bot.rate_limiter is not None else None

    def stop(self) -> None:
        """Stop after the sends in flight; the rest stays unsent."""
        self._stopping = True
        self._recorded.set()

    @property
    def unrecorded(self) -> list[DeliveryResult]:
        """Return the outcomes this run knows but could not write (after it halted)."""
        return list(self._results)

    def chat_changed(self, chat_id: int) -> None:
        """Note that a chat's language or subscription changed after its rows were claimed.

        A chat that changed language gets the issue in the new one right away, when
        nothing of it may have reached the chat yet.
        """
        self._changed.add(chat_id)
        if self.kind is BroadcastKind.ISSUE and not self._stopping and not self._workers_done:
            task = asyncio.create_task(
                self._follow_change(chat_id), name=f"broadcast-{self.broadcast_id}-chat-{chat_id}"
            )
            self._followers.add(task)
            task.add_done_callback(self._followers.discard)

    def _halt(self, reason: str) -> None:
        """Give up for now: the broadcast stays 'sending' and resumes at the next start."""
        if self.halted is None:
            self.halted = reason
            log.error(
                "Broadcast %s halted: %s; it resumes at the next start", self.broadcast_id, reason
            )
        self.stop()

    @property
    def stopping(self) -> bool:
        """Return whether a stop was asked for."""
        return self._stopping

    async def run(self) -> None:
        """Send every row of the outbox that is still to be sent."""
        counts = await self._store.broadcasts.counts(self.broadcast_id)
        for (language, status), n in counts.items():
            self.progress.total += n
            self.progress.total_by_language[language] += n
            if status not in (DeliveryStatus.PENDING, DeliveryStatus.SENDING):
                self.progress.by_language[(language, status.value)] += n
        workers = [asyncio.create_task(self._worker()) for _ in range(self._concurrency)]
        flusher = asyncio.create_task(self._flush_loop())
        try:
            await self._produce()
        finally:
            for _ in workers:
                await self._queue.put(None)
            await asyncio.gather(*workers, return_exceptions=True)
            self._workers_done = True
            await asyncio.gather(*self._followers, return_exceptions=True)
            # Not cancelled: a write cut off inside its transaction would leave it open.
            self._sending_done = True
            self._flushed.set()
            await asyncio.gather(flusher, return_exceptions=True)
            while not self._queue.empty():
                item = self._queue.get_nowait()
                if item is not None:
                    self._unsent.append(item)
            # Halted before they were handed to Telegram: back to 'pending', not ambiguous.
            self._results += [
                DeliveryResult(id=i.id, status=DeliveryStatus.PENDING, attempts=i.attempts)
                for i in self._unsent
            ]
            await self._flush()

    async def _produce(self) -> None:
        after = 0
        recovered = await self._store.broadcasts.left_sending(self.broadcast_id)
        while not self._stopping:
            items = await self._write(
                functools.partial(
                    self._store.broadcasts.claim,
                    self.broadcast_id,
                    after_id=after,
                    limit=self._concurrency * 4,
                    recovered=recovered,
                )
            )
            if not items:
                return  # the outbox is done, or the run halted
            after = items[-1].id
            ready: list[OutboxItem] = []
            for item in items:
                if item.id in self._taken:
                    continue
                if item.was_sending:
                    self.recovered_in_flight += 1
                reason = self._ineligible(item)
                if reason is None:
                    ready.append(item)
                    if not item.was_sending:
                        self._unhanded.add(item.id)
                else:
                    self._finish(
                        item, _Outcome(DeliveryStatus.SKIPPED, item.attempts, error=reason)
                    )
            for index, item in enumerate(ready):
                if self._stopping:
                    self._unsent.extend(ready[index:])
                    return
                await self._queue.put(item)

    def _ineligible(self, item: OutboxItem) -> str | None:
        """Say why a row must not be sent any more, or None."""
        if item.chat_id in self._dead_chats:
            return GONE
        if self.kind is BroadcastKind.CORRECTION:
            return None
        if item.chat_status != "active":
            return f"the chat is {item.chat_status or 'gone'}"
        return None

    async def _worker(self) -> None:
        while True:
            item = await self._queue.get()
            if item is None:
                return
            async with self._chat_turn(self._moved.get(item.chat_id, item.chat_id)):
                if item.id not in self._replaced:
                    await self._send_rows(deque([item]))

    @contextlib.asynccontextmanager
    async def _chat_turn(self, chat_id: int) -> AsyncIterator[None]:
        """Hold a chat's turn: its rows go out one at a time, in order."""
        lock = self._chat_locks.setdefault(chat_id, asyncio.Lock())
        self._chat_users[chat_id] += 1
        try:
            async with lock:
                yield
        finally:
            self._chat_users[chat_id] -= 1
            if not self._chat_users[chat_id]:
                del self._chat_users[chat_id]
                del self._chat_locks[chat_id]

    async def _follow_change(self, chat_id: int) -> None:
        """Send a chat that just changed language the issue in its new one, if it may."""
        try:
            async with self._chat_turn(chat_id):
                if self._stopping or chat_id in self._kept or chat_id in self._dead_chats:
                    return
                chat = await self._store.subscriptions.get(chat_id)
                if chat is None or chat.status != "active":
                    return  # its rows are skipped when their turn comes
                replacement = await self._relanguage(chat_id, chat.language)
                if replacement:
                    await self._send_rows(deque(replacement))
        except Exception:
            log.exception("Broadcast %s: chat %s not followed", self.broadcast_id, chat_id)

    async def _send_rows(self, rows: deque[OutboxItem]) -> None:
        """Send rows of one chat in order; a change of language replaces what is left."""
        while rows:
            await self._room_to_record()
            if self._stopping:
                self._unsent.extend(rows)
                return
            item = rows.popleft()
            self._in_flight += 1
            try:
                outcome = await self._deliver(item)
            except _Switch as switch:
                replacement = await self._relanguage(item.chat_id, switch.language)
                if replacement is not None:  # this row is gone; send the new ones instead
                    rows = deque(replacement)
                    continue
                outcome = _Outcome(
                    DeliveryStatus.SKIPPED, item.attempts, error=changed(switch.language)
                )
            except Exception as exc:
                # A bug or a broken database must not make a row vanish unrecorded.
                log.exception("Broadcast %s: row %s failed", self.broadcast_id, item.id)
                outcome = _Outcome(DeliveryStatus.FAILED, item.attempts, error=repr(exc))
            finally:
                self._in_flight -= 1
            self._finish(item, outcome)

    async def _relanguage(self, chat_id: int, language: str) -> list[OutboxItem] | None:
        """Replace a chat's rows by its new language's; None if it may have got the old.

        An empty list: nothing to replace (its rows are in that language already).
        """
        switched: Relanguaged | None = None
        try:
            switched = await self._store.broadcasts.relanguage_chat(
                self.broadcast_id, chat_id, language, unsent=self._unhanded
            )
        finally:
            if switched is None:
                self._kept.add(chat_id)
        if switched is None:
            log.info("Chat %s changed language after its first messages", chat_id)
            return None
        if not switched.replaced:
            return []
        self._replaced |= switched.replaced
        self._unhanded -= switched.replaced
        new_ids = {new.id for new in switched.items}
        self._taken |= new_ids
        self._unhanded |= new_ids
        progress = self.progress
        progress.total += len(switched.items) - len(switched.replaced)
        progress.total_by_language[switched.replaced_language] -= len(switched.replaced)
        progress.total_by_language[language] += len(switched.items)
        return switched.items

    async def _deliver(self, item: OutboxItem) -> _Outcome:  # noqa: PLR0911 - one per answer
        chat_id = self._moved.get(item.chat_id, item.chat_id)
        attempts = item.attempts
        retry_afters = 0
        while True:
            attempts += 1
            try:
                message_id = await self._paced_send(chat_id, item)
            except _Left as exc:
                return _Outcome(DeliveryStatus.SKIPPED, attempts - 1, error=exc.reason)
            except RetryAfter as exc:
                self._pacer.pause(retry_seconds(exc))
                attempts -= 1  # refused before it was sent: not an attempt
                retry_afters += 1
                if retry_afters > MAX_RETRY_AFTERS:
                    return _Outcome(DeliveryStatus.FAILED, attempts, error=exc.message)
                continue
            except Forbidden as exc:
                await self._chat_gone(chat_id, exc.message)
                return _Outcome(
                    DeliveryStatus.SKIPPED, attempts, error=exc.message, counted_as=BLOCKED
                )
            except ChatMigrated as exc:
                attempts -= 1
                chat_id = await self._chat_moved(chat_id, exc.new_chat_id)
                continue
            except BadRequest as exc:
                if self.kind is BroadcastKind.CORRECTION and "not modified" in exc.message:
                    return _Outcome(DeliveryStatus.SENT, attempts, message_id=item.target_id)
                return _Outcome(DeliveryStatus.FAILED, attempts, error=exc.message)
            except NetworkError as exc:  # TimedOut included: the message may have arrived
                if attempts >= MAX_ATTEMPTS:
                    return _Outcome(DeliveryStatus.FAILED, attempts, error=exc.message)
                await asyncio.sleep(BACKOFF[min(attempts, len(BACKOFF)) - 1])
                continue
            except TelegramError as exc:
                return _Outcome(DeliveryStatus.FAILED, attempts, error=exc.message)
            return _Outcome(DeliveryStatus.SENT, attempts, message_id=message_id)

    async def _paced_send(self, chat_id: int, item: OutboxItem) -> int:
        """Send in the chat's and the pacer's turn; raise `_Left` if the row must not go.

        A chat whose subscription changed after its rows were claimed is read again here,
        at the moment of sending: nobody gets a message in a language they left.
        """
        if chat_id in self._dead_chats:
            raise _Left(GONE)
        async with self._chats.slot(chat_id), self._pacer.slot(Lane.BULK):
            if self.kind is BroadcastKind.ISSUE and (
                chat_id in self._changed or item.chat_language != item.language
            ):
                await self._check_chat(chat_id, item)
            self._unhanded.discard(item.id)
            return await self._send(chat_id, item)

    async def _check_chat(self, chat_id: int, item: OutboxItem) -> None:
        """Raise `_Left` if a changed chat left, `_Switch` if it reads another language."""
        chat = await self._store.subscriptions.get(chat_id)
        if chat is None or chat.status != "active":
            raise _Left(f"the chat is {chat.status if chat else 'gone'}")
        if chat.language != item.language:
            if chat_id in self._kept:
                raise _Left(changed(chat.language))
            raise _Switch(chat.language)

    async def _send(self, chat_id: int, item: OutboxItem) -> int:
        preview = LinkPreviewOptions(is_disabled=True)
        if item.target_id is not None:
            edited = await self._bot.edit_message_text(
                item.text,
                chat_id=chat_id,
                message_id=item.target_id,
                parse_mode=ParseMode.HTML,
                link_preview_options=preview,
                rate_limit_args=self._rate_limit_args,
            )
            return edited.message_id if isinstance(edited, Message) else item.target_id
        return await send_html(
            self._bot,
            chat_id,
            item.text,
            paid=self._limits.paid,
            rate_limit_args=self._rate_limit_args,
        )

    async def _chat_gone(self, chat_id: int, reason: str) -> None:
        self._dead_chats.add(chat_id)
        if self.kind is BroadcastKind.ISSUE:
            await self._store.subscriptions.deactivate(chat_id, "blocked")
        log.info("Chat %s refused a broadcast message (%s); its rest is skipped", chat_id, reason)

    async def _chat_moved(self, old: int, new: int) -> int:
        log.info("Chat %s became supergroup %s; sending there", old, new)
        self._moved[old] = new
        await self._store.subscriptions.migrate(old, new)
        await self._store.broadcasts.move_chat(old, new)
        return new

    def _finish(self, item: OutboxItem, outcome: _Outcome) -> None:
        self._results.append(
            DeliveryResult(
                id=item.id,
                status=outcome.status,
                attempts=outcome.attempts,
                message_id=outcome.message_id,
                error=outcome.error,
            )
        )
        self.progress.add(item.language, outcome.counted_as or outcome.status.value)
        metrics.delivered(item.language, outcome.counted_as or outcome.status.value)
        if len(self._results) >= max(1, self._concurrency // 2):
            self._flushed.set()

    async def _room_to_record(self) -> None:
        """Wait until a row may be handed to Telegram without breaking the crash bound.

        A row counts from here until its outcome is written: in flight, then awaiting its
        record. Rows enter only while fewer than 2 x concurrency are counted, so that many
        at most can have reached Telegram unrecorded when the process dies.
        """
        while not self._stopping and (
            self._in_flight + len(self._results) + self._writing >= 2 * self._concurrency
        ):
            self._flushed.set()
            self._recorded.clear()
            await self._recorded.wait()  # set after every write, and by `stop`

    async def _flush_loop(self) -> None:
        failing_since: float | None = None
        while not self._sending_done:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._flushed.wait(), FLUSH_SECONDS)
            self._flushed.clear()
            try:
                await self._flush()
            except Exception as exc:
                # The outcomes stay queued; sends wait for them in `_room_to_record`.
                log.exception("Could not record %d outcomes; trying again", len(self._results))
                now = self._clock()
                failing_since = now if failing_since is None else failing_since
                if now - failing_since >= HALT_AFTER:
                    self._halt(f"the database refuses writes ({exc})")
                    return
                await asyncio.sleep(1.0)
            else:
                failing_since = None

    async def _write(self, write: Callable[[], Awaitable[_T]]) -> _T | None:
        """Run an outbox write, retrying for `HALT_AFTER` seconds; halt the run if it fails."""
        started = self._clock()
        while True:
            try:
                return await write()
            except Exception as exc:
                if self._clock() - started >= HALT_AFTER:
                    self._halt(f"the database refuses writes ({exc})")
                    return None
                log.warning(
                    "Broadcast %s: could not write the outbox (%s); retrying",
                    self.broadcast_id,
                    exc,
                )
                await asyncio.sleep(1.0)

    async def _flush(self) -> None:
        results, self._results = self._results, []
        self._writing = len(results)
        try:
            await self._store.broadcasts.record(results)
        except BaseException:
            self._results[:0] = results  # written by the next flush, or the final one
            raise
        finally:
            self._writing = 0
            self._recorded.set()
        self._unhanded.difference_update(result.id for result in results)
