"""One poll of the website's feeds: fetch, read, match and store, then tell the editors.

Feeds are fetched side by side (a hanging one delays no other) and their posts stored one
language after another, Belarusian first, so matching sees the same order every time. A
feed that fails is retried after an exponential backoff, capped at `MAX_BACKOFF`; what is
stored is never touched by a failure.

No floods: posts dated before the start of intake (the first poll, `FEED_SINCE`, or the
last resume) are remembered as archive and never pushed, and a poll in which most posts
look new but are dated before the feed's last successful poll (a site that changed every
guid) stores them all as archive and alerts the editors instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Final, Protocol
from zoneinfo import ZoneInfo

import httpx

from bot.errors import FeedError
from bot.feeds.entries import FeedEntry, normalise, parse_feed
from bot.feeds.fetch import Fetched, Validators, fetch, new_client
from bot.feeds.matching import fetch_page_alternates
from bot.feeds.topics import TopicMap
from bot.newsletter.content import LANGUAGES, CommentaryText
from bot.storage import Store
from bot.storage.intake import (
    Announcement,
    EntryState,
    FeedState,
    KnownEntry,
    MatchedBy,
    NewVersion,
)

log = logging.getLogger(__name__)

MAX_BACKOFF: Final = timedelta(hours=4)
FAILURES_BEFORE_ALERT: Final = 3
"""Consecutive failures after which the editors are told (and told again on recovery)."""
DUE_SLACK: Final = timedelta(seconds=30)
"""A feed due this soon is polled now rather than a whole interval later."""
MIGRATION_MINIMUM: Final = 3
"""Fewest new-looking posts that can make a poll look like a site migration."""


class FeedOutcome(StrEnum):
    """What one feed's poll found."""

    UNCHANGED = "unchanged"
    CHANGED = "changed"
    FAILED = "failed"
    PAUSED = "paused"
    NOT_DUE = "not due"


@dataclass
class FeedReport:
    """What one feed's poll found and did (or, checking, would do)."""

    language: str
    url: str
    outcome: FeedOutcome
    new: list[str] = field(default_factory=list)
    """Titles of posts stored as new commentary versions."""
    changed: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    error: str | None = None
    ill_formed: str | None = None
    migration: bool = False


class IntakeListener(Protocol):
    """Who hears about intake: the editors' side implements it (`bot.feeds.desk`)."""

    async def announce(self, items: Sequence[Announcement]) -> None:
        """New and changed posts of one batch, stored and not yet told."""

    async def failing(self, state: FeedState) -> None:
        """A feed failed several times in a row."""

    async def recovered(self, state: FeedState) -> None:
        """A feed the editors were told about works again."""

    async def unmapped(self, language: str, category: str, title: str) -> None:
        """A category no topic lists, seen for the first time."""

    async def migration(self, language: str, count: int) -> None:
        """A mass of new-looking, old-dated posts was held back."""


def week_start(moment: datetime, timezone: ZoneInfo) -> date:
    """Return the Monday of the week (in `timezone`) a moment falls in."""
    local = moment.astimezone(timezone).date()
    return local - timedelta(days=local.weekday())


def backoff(interval: timedelta, failures: int) -> timedelta:
    """Return how long to wait after `failures` consecutive failures."""
    return min(interval * (2 ** min(failures, 20)), MAX_BACKOFF)


def _text(entry: FeedEntry, kicker: str) -> CommentaryText:
    return CommentaryText(
        language=entry.language,
        title=entry.title,
        kicker=kicker,
        author=entry.author,
        lead=entry.lead,
        body=entry.body,
        link=entry.link,
    )


def _kicker(entry: FeedEntry, topic_name: str) -> str:
    return ", ".join(entry.categories[:3]) or topic_name


class FeedIntake:
    """Poll the configured feeds and keep the store and the editors up to date."""

    def __init__(
        self,
        store: Store,
        topics: TopicMap,
        feeds: Mapping[str, str],
        *,
        interval: timedelta,
        timezone: ZoneInfo,
        since: datetime | None = None,
        listener: IntakeListener | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        client: httpx.AsyncClient | None = None,
        total_timeout: float | None = None,
    ) -> None:
        self._store = store
        self._topics = topics
        self.feeds = {language: feeds[language] for language in LANGUAGES if feeds.get(language)}
        self._interval = interval
        self._timezone = timezone
        self._since = since
        self._listener = listener
        self._clock = clock
        self._client = client
        self._owns_client = client is None
        self._total_timeout = total_timeout
        self._lock = asyncio.Lock()
        self._own: list[tuple[int, int, str, FeedReport]] = []
        """Posts of the running poll that started a commentary of their own."""

    async def close(self) -> None:
        """Close the HTTP client intake opened."""
        if self._client is not None and self._owns_client:
            await self._client.aclose()
            self._client = None

    @property
    def client(self) -> httpx.AsyncClient:
        """Return the HTTP client, opening it on first use."""
        if self._client is None:
            self._client = new_client()
        return self._client

    async def _fetch(self, url: str, known: Validators) -> Fetched:
        if self._total_timeout is None:
            return await fetch(self.client, url, known)
        return await fetch(self.client, url, known, total_timeout=self._total_timeout)

    # -- polling -------------------------------------------------------------------------------

    async def poll(self, *, force: bool = False) -> list[FeedReport]:
        """Poll the feeds that are due (every unpaused one with `force`), store what is new
        and tell the editors once for the whole batch."""
        async with self._lock:
            now = self._clock()
            states: dict[str, FeedState] = {}
            for language, url in self.feeds.items():
                state = await self._store.intake.feed(language)
                if state is None or state.url != url:
                    await self._store.intake.start_feed(language, url, self._since or now, now)
                    state = await self._store.intake.feed(language)
                assert state is not None
                states[language] = state
            due = [
                language
                for language, state in states.items()
                if not state.paused
                and (force or state.next_poll_at is None or state.next_poll_at <= now + DUE_SLACK)
            ]
            fetched = await asyncio.gather(
                *(
                    self._fetch(self.feeds[language], _validators(states[language]))
                    for language in due
                ),
                return_exceptions=True,
            )
            reports = []
            for language in self.feeds:
                if language not in due:
                    outcome = (
                        FeedOutcome.PAUSED if states[language].paused else FeedOutcome.NOT_DUE
                    )
                    reports.append(FeedReport(language, self.feeds[language], outcome))
                    continue
                answer = fetched[due.index(language)]
                reports.append(await self._take(states[language], answer, now))
            await self._ask_about_unmatched()
            await self._announce()
            return reports

    async def _take(
        self, state: FeedState, answer: Fetched | BaseException, now: datetime
    ) -> FeedReport:
        report = FeedReport(state.language, state.url, FeedOutcome.UNCHANGED)
        if isinstance(answer, BaseException):
            reason = (
                answer if isinstance(answer, FeedError) else f"{type(answer).__name__}: {answer}"
            )
            await self._failed(state, str(reason), report, now)
            return report
        try:
            if answer.body is not None:
                # Reading a big feed takes a while: in a thread, the bot keeps answering.
                parsed = await asyncio.to_thread(
                    parse_feed, answer.body, answer.headers, answer.url, state.language
                )
                report.outcome = FeedOutcome.CHANGED
                report.ill_formed = parsed.ill_formed
                await self._store_entries(state, parsed.entries, report, now)
        except FeedError as exc:
            await self._failed(state, str(exc), report, now)
            return report
        validators = answer.validators
        before = await self._store.intake.succeeded(
            state.language,
            now=now,
            next_poll=now + self._interval,
            etag=validators.etag,
            last_modified=validators.last_modified,
            body_hash=validators.body_hash,
        )
        if before is not None and before.failure_told and self._listener is not None:
            log.info("Feed %s works again after %d failures", state.language, before.failures)
            await self._listener.recovered(before)
        return report

    async def _failed(
        self, state: FeedState, error: str, report: FeedReport, now: datetime
    ) -> None:
        wait = backoff(self._interval, state.failures + 1)
        after = await self._store.intake.failed(
            state.language, error, now=now, next_poll=now + wait
        )
        report.outcome = FeedOutcome.FAILED
        report.error = error
        log.warning(
            "Feed %s failed (%d in a row), next try in %s: %s",
            state.language,
            after.failures,
            wait,
            error,
        )
        if after.failures >= FAILURES_BEFORE_ALERT and not after.failure_told:
            await self._store.intake.told_failure(state.language)
            if self._listener is not None:
                await self._listener.failing(after)

    # -- storing ------------------------------------------------------------------------------

    async def _store_entries(
        self, state: FeedState, entries: Sequence[FeedEntry], report: FeedReport, now: datetime
    ) -> None:
        known = await self._store.intake.known(state.language, (e.identity for e in entries))
        unseen = [entry for entry in entries if entry.identity not in known]
        if self._looks_like_migration(state, entries, unseen):
            report.migration = True
            for entry in unseen:
                await self._archive(entry, report, now)
            log.warning(
                "Feed %s: %d of %d posts look new but are old; none is pushed",
                state.language,
                len(unseen),
                len(entries),
            )
            if self._listener is not None:
                await self._listener.migration(state.language, len(unseen))
            return
        for entry in entries:
            seen = known.get(entry.identity)
            if seen is not None:
                await self._take_known(seen, entry, report, now)
            elif entry.published is None or entry.published >= state.intake_since:
                if state.last_success_at is None and entry.published is None:
                    await self._archive(entry, report, now)  # undated on the first poll
                else:
                    await self._store_new(entry, report, now)
            else:
                await self._archive(entry, report, now)

    def _looks_like_migration(
        self, state: FeedState, entries: Sequence[FeedEntry], unseen: Sequence[FeedEntry]
    ) -> bool:
        if state.last_success_at is None or len(unseen) < MIGRATION_MINIMUM:
            return False
        if len(unseen) * 2 <= len(entries):
            return False
        old = [
            e for e in unseen if e.published is not None and e.published < state.last_success_at
        ]
        return len(old) * 2 > len(unseen)

    async def _archive(self, entry: FeedEntry, report: FeedReport, now: datetime) -> None:
        await self._store.intake.remember_archive(
            language=entry.language,
            identity=entry.identity,
            link=entry.link,
            link_identity=entry.link_identity,
            title=entry.title,
            published=entry.published,
            content_hash=entry.content_hash,
            now=now,
        )
        report.archived.append(entry.title)

    async def _take_known(
        self, seen: KnownEntry, entry: FeedEntry, report: FeedReport, now: datetime
    ) -> None:
        if seen.state is EntryState.ARCHIVE or entry.content_hash in (
            seen.content_hash,
            seen.edited_hash,
        ):
            return
        choice = self._topics.choose(entry.categories)
        text = _text(entry, _kicker(entry, choice.names[entry.language]))
        await self._store.intake.update_version(seen, text, entry.content_hash, now)
        report.changed.append(entry.title)

    async def _store_new(self, entry: FeedEntry, report: FeedReport, now: datetime) -> None:
        alternates = {lang: normalise(url) for lang, url in entry.alternates.items()}
        # A translation stored earlier may name this post (on its page or in its entry):
        # that is evidence too, read from the page when this entry names nothing itself.
        matched_by = MatchedBy.FEED if alternates else MatchedBy.PAGE
        join = await self._store.intake.linked_commentary(
            entry.language, entry.link_identity, alternates
        )
        if join is None and not alternates and entry.link:
            try:
                found = await fetch_page_alternates(self.client, entry.link)
            except FeedError as exc:
                log.info("No translations read from the page of %s: %s", entry.link, exc)
                found = {}
            alternates = {
                lang: normalise(url) for lang, url in found.items() if lang != entry.language
            }
            matched_by = MatchedBy.PAGE
            join = await self._store.intake.linked_commentary(
                entry.language, entry.link_identity, alternates
            )
        choice = self._topics.choose(entry.categories)
        published = entry.published or now
        version = NewVersion(
            language=entry.language,
            identity=entry.identity,
            link=entry.link,
            link_identity=entry.link_identity,
            title=entry.title,
            published=entry.published,
            content_hash=entry.content_hash,
            text=_text(entry, _kicker(entry, choice.names[entry.language])),
            topic_key=choice.key,
            topic_names=choice.names,
            week_start=week_start(published, self._timezone),
            alternates=alternates,
            join=join,
            matched_by=matched_by if join is not None else MatchedBy.NONE,
        )
        entry_id, commentary_id = await self._store.intake.store_version(version, now)
        report.new.append(entry.title)
        if join is None:
            self._own.append((entry_id, commentary_id, entry.title, report))
        for category in choice.unmapped:
            if await self._store.intake.notice_once("category", category.casefold(), now):
                log.info("Feed %s: category %r maps to no topic", entry.language, category)
                if self._listener is not None:
                    await self._listener.unmapped(entry.language, category, entry.title)

    async def _ask_about_unmatched(self) -> None:
        """Leave each post that started a commentary of its own so, and ask the editors when
        its week holds commentaries it could be a translation of.

        Run after every feed of the poll is stored: translations of the same poll have
        joined by then, and only posts still alone are asked about.
        """
        asked: set[int] = set()
        # Latest first, and one question per pair: asking about the English post whether it
        # is the Belarusian one's translation also settles the Belarusian post.
        for entry_id, commentary_id, title, report in reversed(self._own):
            if commentary_id in asked:
                continue
            candidates = await self._store.intake.candidates(entry_id)
            if candidates:
                await self._store.intake.mark_undecided(entry_id)
                report.unmatched.append(title)
                asked.update(candidate.commentary_id for candidate in candidates)
        self._own.clear()

    async def _announce(self) -> None:
        items = await self._store.intake.to_announce()
        if not items:
            return
        if self._listener is not None:
            await self._listener.announce(items)
        await self._store.intake.announced([item.entry_id for item in items])

    # -- for operators and editors ----------------------------------------------------------

    async def check(self) -> list[FeedReport]:
        """Fetch and read every feed once and say what a poll would store; change nothing."""
        reports = []
        for language, url in self.feeds.items():
            state = await self._store.intake.feed(language)
            report = FeedReport(language, url, FeedOutcome.UNCHANGED)
            try:
                answer = await self._fetch(url, Validators())
                if answer.body is None:
                    reports.append(report)
                    continue
                parsed = parse_feed(answer.body, answer.headers, answer.url, language)
            except FeedError as exc:
                report.outcome, report.error = FeedOutcome.FAILED, str(exc)
                reports.append(report)
                continue
            report.outcome, report.ill_formed = FeedOutcome.CHANGED, parsed.ill_formed
            known = await self._store.intake.known(language, (e.identity for e in parsed.entries))
            since = state.intake_since if state else (self._since or self._clock())
            for entry in parsed.entries:
                seen = known.get(entry.identity)
                if seen is None:
                    dated_new = entry.published is not None and entry.published >= since
                    (report.new if dated_new else report.archived).append(entry.title)
                    if dated_new and not entry.alternates:
                        report.unmatched.append(entry.title)
                elif seen.state is EntryState.STORED and entry.content_hash not in (
                    seen.content_hash,
                    seen.edited_hash,
                ):
                    report.changed.append(entry.title)
            reports.append(report)
        return reports

    async def decide(self, entry_id: int, same_as: int | None) -> bool:
        """Apply an editor's answer about an unmatched post (see `Intake.decide`), then tell
        the editors about it again as a stored post: in auto mode that plans its sending.

        Return False when the answer can no longer be applied.
        """
        async with self._lock:
            if not await self._store.intake.decide(entry_id, same_as):
                return False
            await self._announce()
            return True

    async def set_paused(self, language: str, paused: bool) -> bool:
        """Pause or resume one feed; False if it is unknown or already so."""
        return await self._store.intake.set_paused(language, paused, self._clock())


def _validators(state: FeedState) -> Validators:
    return Validators(state.etag, state.last_modified, state.body_hash)
