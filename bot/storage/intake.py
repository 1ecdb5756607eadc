"""What intake from the website's feeds remembers: feeds' state, posts seen, notices given.

Each post is stored in one transaction together with the commentary version it becomes, so
a process killed in the middle of a poll leaves every post either fully stored or not at
all; the feed's validators are saved only after its last post, so the next poll reads the
whole feed again and recognises what it already stored by identity and hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Final

from bot.newsletter.content import CommentaryText
from bot.storage.archive import save_commentary_text
from bot.storage.database import Connection, Database, Row
from bot.storage.publication import index_issue

WEEK_DAYS: Final = 7


# A commentary that went out by itself (FEED_MODE=auto) to some readers counts as delivered.
_AUTO_DELIVERED = (
    "SELECT 1 FROM auto_sends a JOIN broadcasts b ON b.id = a.broadcast_id "
    "WHERE a.commentary_id = ? AND b.started_at IS NOT NULL"
)


class EntryState(StrEnum):
    """Whether a post became a commentary version or is only remembered."""

    STORED = "stored"
    ARCHIVE = "archive"
    """Older than the start of intake (or part of a suspicious mass): never pushed."""


class MatchedBy(StrEnum):
    """The evidence that put a post into its commentary."""

    NONE = "none"
    """A commentary of its own, nothing to decide."""
    FEED = "feed"
    PAGE = "page"
    UNDECIDED = "undecided"
    """A commentary of its own for now; the editors are asked whether it is a translation."""
    EDITOR = "editor"


@dataclass(frozen=True, slots=True)
class FeedState:
    """One language feed as intake last left it."""

    language: str
    url: str
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    intake_since: datetime
    last_success_at: datetime | None
    last_error_at: datetime | None
    last_error: str | None
    failures: int
    failure_told: bool
    next_poll_at: datetime | None
    paused: bool
    entries: int


@dataclass(frozen=True, slots=True)
class KnownEntry:
    """A post already seen."""

    id: int
    language: str
    identity: str
    content_hash: str
    state: EntryState
    commentary_id: int | None
    edited_hash: str | None


@dataclass(frozen=True, slots=True)
class NewVersion:
    """A post to store as a commentary version: where it goes and what it says."""

    language: str
    identity: str
    link: str | None
    link_identity: str | None
    title: str
    published: datetime | None
    content_hash: str
    text: CommentaryText
    topic_key: str
    topic_names: Mapping[str, str]
    week_start: date
    alternates: Mapping[str, str]
    """Normalised links of the translations the post names, by language."""
    join: int | None
    """The commentary it is a version of, or None for a commentary of its own."""
    matched_by: MatchedBy


@dataclass(frozen=True, slots=True)
class Announcement:
    """A stored post the editors have not been told about yet."""

    entry_id: int
    language: str
    title: str
    issue_id: int | None
    commentary_id: int | None
    edited_after_delivery: bool
    matched_by: MatchedBy


@dataclass(frozen=True, slots=True)
class Correction:
    """A post edited after delivery, as the corrected version of its commentary."""

    issue_id: int
    key: str
    topic_key: str
    topic_name: str
    position: int
    text: CommentaryText


@dataclass(frozen=True, slots=True)
class Candidate:
    """A commentary an unmatched post could be a translation of."""

    commentary_id: int
    title: str
    language: str


def _text_json(text: CommentaryText) -> str:
    return json.dumps(
        {
            "language": text.language,
            "title": text.title,
            "kicker": text.kicker,
            "author": text.author,
            "lead": text.lead,
            "body": text.body,
            "link": text.link,
        },
        ensure_ascii=False,
    )


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _stamp(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")


def commentary_key(language: str, identity: str) -> str:
    """Return the key of a commentary a post starts: short, stable, safe in callback data."""
    return "feed-" + hashlib.sha256(f"{language} {identity}".encode()).hexdigest()[:16]


def _state(row: Row) -> FeedState:
    return FeedState(
        language=row["language"],
        url=row["url"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        body_hash=row["body_hash"],
        intake_since=datetime.fromisoformat(row["intake_since"]),
        last_success_at=_time(row["last_success_at"]),
        last_error_at=_time(row["last_error_at"]),
        last_error=row["last_error"],
        failures=row["failures"],
        failure_told=bool(row["failure_told"]),
        next_poll_at=_time(row["next_poll_at"]),
        paused=bool(row["paused"]),
        entries=row["entries"],
    )


_STATE_SELECT: Final = (
    "SELECT s.*, (SELECT count(*) FROM feed_entries e WHERE e.language = s.language) AS entries "
    "FROM feed_state s"
)


class Intake:
    """Read and write intake's memory."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- feeds -------------------------------------------------------------------------------

    async def feed(self, language: str) -> FeedState | None:
        """Return a feed's state, or None before its first poll."""
        row = await self._db.fetchone(f"{_STATE_SELECT} WHERE s.language = ?", (language,))
        return None if row is None else _state(row)

    async def feeds(self) -> list[FeedState]:
        """Return every feed's state."""
        return [_state(row) for row in await self._db.fetchall(_STATE_SELECT)]

    async def start_feed(self, language: str, url: str, since: datetime, now: datetime) -> None:
        """Remember a feed before its first poll: posts older than `since` are archive."""
        async with self._db.transaction() as conn:
            await conn.execute(
                """INSERT INTO feed_state (language, url, intake_since, updated_at)
                   VALUES (?, ?, ?, ?)
                   ON CONFLICT (language) DO UPDATE SET url = excluded.url""",
                (language, url, _stamp(since), _stamp(now)),
            )

    async def succeeded(
        self,
        language: str,
        *,
        now: datetime,
        next_poll: datetime,
        etag: str | None,
        last_modified: str | None,
        body_hash: str | None,
    ) -> FeedState | None:
        """Record a successful poll; return the state before it (to tell a recovery)."""
        before = await self.feed(language)
        async with self._db.transaction() as conn:
            await conn.execute(
                """UPDATE feed_state SET etag = ?, last_modified = ?, body_hash = ?,
                          last_success_at = ?, failures = 0, failure_told = 0,
                          next_poll_at = ?, updated_at = ?
                    WHERE language = ?""",
                (
                    etag,
                    last_modified,
                    body_hash,
                    _stamp(now),
                    _stamp(next_poll),
                    _stamp(now),
                    language,
                ),
            )
        return before

    async def failed(
        self, language: str, error: str, *, now: datetime, next_poll: datetime
    ) -> FeedState:
        """Record a failed poll; return the state after it."""
        async with self._db.transaction() as conn:
            await conn.execute(
                """UPDATE feed_state SET failures = failures + 1, last_error = ?,
                          last_error_at = ?, next_poll_at = ?, updated_at = ?
                    WHERE language = ?""",
                (error, _stamp(now), _stamp(next_poll), _stamp(now), language),
            )
        state = await self.feed(language)
        assert state is not None
        return state

    async def told_failure(self, language: str) -> None:
        """Remember that the editors were told the feed keeps failing."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE feed_state SET failure_told = 1 WHERE language = ?", (language,)
            )

    async def set_paused(self, language: str, paused: bool, now: datetime) -> bool:
        """Pause or resume a feed; resuming restarts intake at `now` (no backlog floods).

        Return False if the feed is unknown or already so.
        """
        async with self._db.transaction() as conn:
            changed = await conn.execute(
                "UPDATE feed_state SET paused = ?, updated_at = ?, "
                "intake_since = CASE WHEN ? <> 0 THEN intake_since ELSE ? END, "
                "next_poll_at = CASE WHEN ? <> 0 THEN next_poll_at ELSE NULL END "
                "WHERE language = ? AND paused <> ?",
                (
                    int(paused),
                    _stamp(now),
                    int(paused),
                    _stamp(now),
                    int(paused),
                    language,
                    int(paused),
                ),
            )
            return bool(changed)

    # -- posts -------------------------------------------------------------------------------

    async def known(self, language: str, identities: Iterable[str]) -> dict[str, KnownEntry]:
        """Return the posts of a feed already seen, by identity."""
        wanted = list(identities)
        found: dict[str, KnownEntry] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = await self._db.fetchall(
                "SELECT id, language, identity, content_hash, state, commentary_id, edited_hash "
                "FROM feed_entries WHERE language = ? "
                f"AND identity IN ({','.join('?' * len(chunk))})",
                (language, *chunk),
            )
            for row in rows:
                found[row["identity"]] = KnownEntry(
                    id=row["id"],
                    language=row["language"],
                    identity=row["identity"],
                    content_hash=row["content_hash"],
                    state=EntryState(row["state"]),
                    commentary_id=row["commentary_id"],
                    edited_hash=row["edited_hash"],
                )
        return found

    async def linked_commentary(
        self, language: str, link_identity: str | None, alternates: Mapping[str, str]
    ) -> int | None:
        """Return the commentary the evidence links a post to, or None.

        Evidence: a stored post whose link is one of `alternates`, or a stored post that
        names this post's link among its own alternates. Only commentaries without a
        version in `language` qualify.
        """
        clauses: list[str] = []
        params: list[object] = []
        for other, link in alternates.items():
            clauses.append(
                "SELECT commentary_id FROM feed_entries WHERE language = ? AND link_identity = ?"
            )
            params += [other, link]
        if link_identity is not None:
            clauses.append(
                "SELECT e.commentary_id FROM feed_alternates a "
                "JOIN feed_entries e ON e.id = a.entry_id "
                "WHERE a.language = ? AND a.link_identity = ?"
            )
            params += [language, link_identity]
        if not clauses:
            return None
        found = await self._db.scalar(
            f"SELECT ev.commentary_id FROM ({' UNION ALL '.join(clauses)}) AS ev "
            "WHERE ev.commentary_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM commentary_texts t "
            "WHERE t.commentary_id = ev.commentary_id AND t.language = ?) LIMIT 1",
            (*params, language),
        )
        return None if found is None else int(found)

    async def remember_archive(
        self,
        *,
        language: str,
        identity: str,
        link: str | None,
        link_identity: str | None,
        title: str,
        published: datetime | None,
        content_hash: str,
        now: datetime,
    ) -> None:
        """Remember a post that is never pushed (older than intake)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                """INSERT INTO feed_entries (language, identity, link, link_identity, title,
                          published_at, content_hash, state, announced, first_seen_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, 'archive', 1, ?, ?)
                   ON CONFLICT (language, identity) DO UPDATE SET
                          content_hash = excluded.content_hash,
                          updated_at = excluded.updated_at""",
                (
                    language,
                    identity,
                    link,
                    link_identity,
                    title,
                    _stamp(published),
                    content_hash,
                    _stamp(now),
                    _stamp(now),
                ),
            )

    async def store_version(self, version: NewVersion, now: datetime) -> tuple[int, int]:
        """Store a new post and the commentary version it is, atomically; return the ids of
        the post and of the commentary."""
        async with self._db.transaction() as conn:
            commentary_id = version.join
            if commentary_id is None:
                issue_id, published = await _week_issue(conn, version.week_start, now)
                commentary_id = await _new_commentary(conn, issue_id, version)
            else:
                issue_id, published = await _issue_of(conn, commentary_id)
            await _topic_names(conn, issue_id, version.topic_key, version.topic_names, published)
            await save_commentary_text(
                conn,
                commentary_id,
                version.text.language,
                version.text,
                now.isoformat(timespec="seconds"),
            )
            entry_id: int = await conn.scalar(
                """INSERT INTO feed_entries (language, identity, link, link_identity, title,
                          published_at, content_hash, state, commentary_id, matched_by,
                          first_seen_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, 'stored', ?, ?, ?, ?) RETURNING id""",
                (
                    version.language,
                    version.identity,
                    version.link,
                    version.link_identity,
                    version.title,
                    _stamp(version.published),
                    version.content_hash,
                    commentary_id,
                    version.matched_by.value,
                    _stamp(now),
                    _stamp(now),
                ),
            )
            if version.alternates:
                await conn.executemany(
                    "INSERT INTO feed_alternates (entry_id, language, link_identity) "
                    "VALUES (?, ?, ?)",
                    [(entry_id, language, link) for language, link in version.alternates.items()],
                )
            if published:
                await index_issue(conn, issue_id)
        return entry_id, commentary_id

    async def delivered(self, commentary_id: int) -> bool:
        """Tell whether the issue holding a commentary was delivered (or is being), or the
        commentary itself went out by itself to some readers."""
        return bool(
            await self._db.scalar(
                f"SELECT 1 FROM commentaries c JOIN broadcasts b ON b.delivers_issue = c.issue_id "
                f"WHERE c.id = ? UNION ALL {_AUTO_DELIVERED}",
                (commentary_id, commentary_id),
            )
        )

    async def undecided(self, commentary_id: int) -> bool:
        """Tell whether a post of a commentary waits for the editors to say what it is."""
        return bool(
            await self._db.scalar(
                "SELECT 1 FROM feed_entries WHERE commentary_id = ? AND matched_by = 'undecided'",
                (commentary_id,),
            )
        )

    async def update_version(
        self, known: KnownEntry, text: CommentaryText, content_hash: str, now: datetime
    ) -> bool:
        """Take a post's edit: update the draft, or, once delivered, only note the edit.

        Return True if the stored text changed.
        """
        async with self._db.transaction() as conn:
            delivered = known.commentary_id is not None and bool(
                await conn.scalar(
                    "SELECT 1 FROM commentaries c JOIN broadcasts b "
                    f"ON b.delivers_issue = c.issue_id WHERE c.id = ? UNION ALL {_AUTO_DELIVERED}",
                    (known.commentary_id, known.commentary_id),
                )
            )
            if known.commentary_id is None or delivered:
                await conn.execute(
                    "UPDATE feed_entries SET edited_hash = ?, edited_text = ?, announced = 0, "
                    "updated_at = ? WHERE id = ?",
                    (content_hash, _text_json(text), _stamp(now), known.id),
                )
                return False
            await save_commentary_text(
                conn, known.commentary_id, text.language, text, now.isoformat(timespec="seconds")
            )
            await conn.execute(
                "UPDATE feed_entries SET content_hash = ?, title = ?, announced = 0, "
                "updated_at = ? WHERE id = ?",
                (content_hash, text.title, _stamp(now), known.id),
            )
            issue_id, published = await _issue_of(conn, known.commentary_id)
            if published:
                await index_issue(conn, issue_id)
            return True

    async def to_announce(self) -> list[Announcement]:
        """Return the stored posts the editors were not told about, oldest first."""
        rows = await self._db.fetchall(
            """SELECT e.id, e.language, e.title, e.commentary_id, c.issue_id,
                      e.edited_hash IS NOT NULL AS edited, e.matched_by
                 FROM feed_entries e LEFT JOIN commentaries c ON c.id = e.commentary_id
                WHERE e.announced = 0 ORDER BY e.id"""
        )
        return [
            Announcement(
                entry_id=row["id"],
                language=row["language"],
                title=row["title"],
                issue_id=row["issue_id"],
                commentary_id=row["commentary_id"],
                edited_after_delivery=bool(row["edited"]),
                matched_by=MatchedBy(row["matched_by"]),
            )
            for row in rows
        ]

    async def announced(self, entry_ids: Sequence[int]) -> None:
        """Remember that the editors were told about these posts."""
        async with self._db.transaction() as conn:
            await conn.executemany(
                "UPDATE feed_entries SET announced = 1 WHERE id = ?", [(i,) for i in entry_ids]
            )

    async def candidates(self, entry_id: int) -> list[Candidate]:
        """Return the commentaries of a post's week without a version in its language."""
        rows = await self._db.fetchall(
            """SELECT c.id, t.title, t.language
                 FROM feed_entries e
                 JOIN commentaries own ON own.id = e.commentary_id
                 JOIN commentaries c ON c.issue_id = own.issue_id AND c.id <> own.id
                 JOIN commentary_texts t ON t.commentary_id = c.id
                WHERE e.id = ?
                  AND NOT EXISTS (SELECT 1 FROM commentary_texts x
                                   WHERE x.commentary_id = c.id AND x.language = e.language)
                ORDER BY c.position, t.language""",
            (entry_id,),
        )
        seen: dict[int, Candidate] = {}
        for row in rows:
            seen.setdefault(row[0], Candidate(row[0], row[1], row[2]))
        return list(seen.values())

    async def entry(self, entry_id: int) -> KnownEntry | None:
        """Return one stored post."""
        row = await self._db.fetchone(
            "SELECT id, language, identity, content_hash, state, commentary_id, edited_hash "
            "FROM feed_entries WHERE id = ?",
            (entry_id,),
        )
        if row is None:
            return None
        return KnownEntry(
            id=row["id"],
            language=row["language"],
            identity=row["identity"],
            content_hash=row["content_hash"],
            state=EntryState(row["state"]),
            commentary_id=row["commentary_id"],
            edited_hash=row["edited_hash"],
        )

    async def correction(self, entry_id: int) -> Correction | None:
        """Return the edit a post received after delivery, ready to offer as a correction."""
        row = await self._db.fetchone(
            """SELECT e.edited_text, c.issue_id, c.key, c.topic_key, c.position, e.language,
                      coalesce((SELECT n.name FROM topic_names n WHERE n.topic_key = c.topic_key
                                 AND n.language = e.language), c.topic_key) AS topic_name
                 FROM feed_entries e JOIN commentaries c ON c.id = e.commentary_id
                WHERE e.id = ? AND e.edited_text IS NOT NULL""",
            (entry_id,),
        )
        if row is None:
            return None
        return Correction(
            issue_id=row["issue_id"],
            key=row["key"],
            topic_key=row["topic_key"],
            topic_name=row["topic_name"],
            position=row["position"],
            text=CommentaryText(**json.loads(row["edited_text"])),
        )

    async def mark_undecided(self, entry_id: int) -> None:
        """Leave a post's match to the editors."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE feed_entries SET matched_by = 'undecided' WHERE id = ?", (entry_id,)
            )

    async def decide(self, entry_id: int, same_as: int | None) -> bool:
        """Apply an editor's decision on an unmatched post: a translation of `same_as`, or a
        commentary of its own (None). Return False when it can no longer be applied: the post
        is decided, the issue is delivered, or `same_as` already has its language. The post
        is to be announced again, as decided."""
        async with self._db.transaction() as conn:
            row = await conn.fetchone(
                "SELECT e.language, e.commentary_id, c.issue_id FROM feed_entries e "
                "JOIN commentaries c ON c.id = e.commentary_id "
                "WHERE e.id = ? AND e.matched_by = 'undecided'",
                (entry_id,),
            )
            if row is None:
                return False
            language, own, issue_id = row["language"], row["commentary_id"], row["issue_id"]
            if same_as is None:
                await conn.execute(
                    "UPDATE feed_entries SET matched_by = 'editor', announced = 0 WHERE id = ?",
                    (entry_id,),
                )
                return True
            if await conn.scalar("SELECT 1 FROM broadcasts WHERE delivers_issue = ?", (issue_id,)):
                return False
            fits = await conn.scalar(
                "SELECT 1 FROM commentaries c WHERE c.id = ? AND c.issue_id = ? AND NOT EXISTS "
                "(SELECT 1 FROM commentary_texts t WHERE t.commentary_id = c.id "
                "AND t.language = ?)",
                (same_as, issue_id, language),
            )
            if not fits:
                return False
            await conn.execute(
                "UPDATE commentary_texts SET commentary_id = ? WHERE commentary_id = ?",
                (same_as, own),
            )
            await conn.execute(
                "UPDATE feed_entries SET commentary_id = ?, matched_by = 'editor', announced = 0 "
                "WHERE commentary_id = ?",
                (same_as, own),
            )
            await conn.execute("DELETE FROM commentaries WHERE id = ?", (own,))
            return True

    async def notice_once(self, kind: str, subject: str, now: datetime) -> bool:
        """Return True the first time a notice is given, False ever after."""
        async with self._db.transaction() as conn:
            added = await conn.execute(
                "INSERT INTO feed_notices (kind, subject, at) VALUES (?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (kind, subject, _stamp(now)),
            )
            return bool(added)


async def _week_issue(conn: Connection, week_start: date, now: datetime) -> tuple[int, bool]:
    """Return the issue of a week (and whether it is published), creating it when its
    first commentary arrives."""
    week_end = week_start + timedelta(days=WEEK_DAYS - 1)
    await conn.execute(
        """INSERT INTO issues (week_start, week_end, created_at, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (week_start) DO NOTHING""",
        (week_start.isoformat(), week_end.isoformat(), _stamp(now), _stamp(now)),
    )
    row = await conn.fetchone(
        "SELECT id, published_at IS NOT NULL FROM issues WHERE week_start = ?",
        (week_start.isoformat(),),
    )
    assert row is not None
    return int(row[0]), bool(row[1])


async def _issue_of(conn: Connection, commentary_id: int) -> tuple[int, bool]:
    row = await conn.fetchone(
        "SELECT c.issue_id, i.published_at IS NOT NULL FROM commentaries c "
        "JOIN issues i ON i.id = c.issue_id WHERE c.id = ?",
        (commentary_id,),
    )
    assert row is not None
    return int(row[0]), bool(row[1])


async def _new_commentary(conn: Connection, issue_id: int, version: NewVersion) -> int:
    await conn.execute(
        "INSERT INTO topics (key) VALUES (?) ON CONFLICT DO NOTHING", (version.topic_key,)
    )
    commentary_id: int = await conn.scalar(
        "INSERT INTO commentaries (issue_id, key, topic_key, position) "
        "SELECT CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), "
        "coalesce(max(position), 0) + 1 FROM commentaries WHERE issue_id = ? "
        "RETURNING id",
        (
            issue_id,
            commentary_key(version.language, version.identity),
            version.topic_key,
            issue_id,
        ),
    )
    return commentary_id


async def _topic_names(
    conn: Connection,
    issue_id: int,
    topic_key: str,
    names: Mapping[str, str],
    published: bool,
) -> None:
    """Name a topic as the issue gives it: drafts until published, as `Archive` does."""
    await conn.execute("INSERT INTO topics (key) VALUES (?) ON CONFLICT DO NOTHING", (topic_key,))
    if published:
        await conn.executemany(
            "INSERT INTO topic_names (topic_key, language, name) VALUES (?, ?, ?) "
            "ON CONFLICT (topic_key, language) DO NOTHING",
            [(topic_key, language, name) for language, name in names.items()],
        )
    else:
        await conn.executemany(
            "INSERT INTO topic_name_drafts (issue_id, topic_key, language, name) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (issue_id, topic_key, language) DO NOTHING",
            [(issue_id, topic_key, language, name) for language, name in names.items()],
        )
