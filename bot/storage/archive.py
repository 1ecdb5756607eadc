"""Issues, commentaries and topics: saving imported drafts and the readers' queries."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Final

from bot.errors import DuplicateKeyError
from bot.newsletter.content import (
    FALLBACK_ORDER,
    CommentaryText,
    IssueDraft,
    StoredCommentary,
    StoredContent,
)
from bot.storage.database import Connection, Database, Row, utcnow
from bot.storage.publication import index_issue, publish_issue
from bot.storage.records import CommentaryView, IssueInfo, IssueView, Page, Topic

# Ranks the versions of one commentary for a reader: ?1 is the first choice, ?2 and ?3 next.
# A commentary's topic is named as its own issue names it while that issue is a draft
# (previews), then as published.
_LANGUAGE_RANK: Final = "CASE {col} WHEN ?1 THEN 0 WHEN ?2 THEN 1 WHEN ?3 THEN 2 ELSE 3 END"

_VIEW_SELECT: Final = f"""
    SELECT c.id, c.key, c.topic_key, i.id AS issue_id, i.week_start, i.week_end,
           i.published_at IS NOT NULL AS published,
           t.language, t.title, t.kicker, t.author, t.lead, t.body, t.link,
           (SELECT n.name FROM (
                SELECT d.name, {_LANGUAGE_RANK.format(col="d.language")} AS rank, 0 AS later
                  FROM topic_name_drafts d
                 WHERE d.issue_id = c.issue_id AND d.topic_key = c.topic_key
                UNION ALL
                SELECT tn.name, {_LANGUAGE_RANK.format(col="tn.language")}, 1
                  FROM topic_names tn WHERE tn.topic_key = c.topic_key) AS n
             ORDER BY n.rank, n.later LIMIT 1) AS topic_name
      FROM commentaries c
      JOIN issues i ON i.id = c.issue_id
      JOIN commentary_texts t ON t.id = (
           SELECT t2.id FROM commentary_texts t2 WHERE t2.commentary_id = c.id
            ORDER BY {_LANGUAGE_RANK.format(col="t2.language")} LIMIT 1)
"""


def _issue(row: Row) -> IssueInfo:
    return IssueInfo(
        id=row["issue_id"],
        week_start=date.fromisoformat(row["week_start"]),
        week_end=date.fromisoformat(row["week_end"]),
        published=bool(row["published"]),
    )


def _view(row: Row, language: str) -> CommentaryView:
    return CommentaryView(
        id=row["id"],
        key=row["key"],
        issue=_issue(row),
        topic_key=row["topic_key"],
        topic_name=row["topic_name"],
        language=row["language"],
        requested_language=language,
        title=row["title"],
        kicker=row["kicker"],
        author=row["author"],
        lead=row["lead"],
        body=row["body"],
        link=row["link"],
    )


def _ranks(language: str) -> tuple[str, str, str]:
    first, second, third = FALLBACK_ORDER[language]
    return first, second, third


class Archive:
    """Read and write the newsletter's content."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def save_issues(self, drafts: Sequence[IssueDraft], *, publish: bool = False) -> None:
        """Store imported issues in one transaction: insert new ones, update existing ones."""
        now = utcnow()
        async with self._db.transaction() as conn:
            issue_ids = {await self._save_issue(conn, draft, now) for draft in drafts}
            for issue_id in issue_ids:
                if not (publish and await publish_issue(conn, issue_id, now)):
                    await index_issue(conn, issue_id)

    async def _save_issue(self, conn: Connection, draft: IssueDraft, now: str) -> int:
        week = draft.week_start.isoformat()
        await conn.execute(
            """INSERT INTO issues (week_start, week_end, created_at, updated_at)
               VALUES (?, ?, ?, ?)
               ON CONFLICT (week_start) DO UPDATE
                  SET week_end = excluded.week_end, updated_at = excluded.updated_at""",
            (week, draft.week_end.isoformat(), now, now),
        )
        row = await conn.fetchone("SELECT id FROM issues WHERE week_start = ?", (week,))
        assert row is not None
        issue_id: int = row[0]
        published = await conn.fetchone(
            "SELECT published_at IS NOT NULL FROM issues WHERE id = ?", (issue_id,)
        )
        # Readers see a topic's name change only when the issue that gives it is published.
        visible = published is not None and bool(published[0])
        for item in draft.commentaries:
            await conn.execute(
                "INSERT INTO topics (key) VALUES (?) ON CONFLICT DO NOTHING", (item.topic_key,)
            )
            if visible:
                await conn.execute(
                    """INSERT INTO topic_names (topic_key, language, name) VALUES (?, ?, ?)
                       ON CONFLICT (topic_key, language) DO UPDATE SET name = excluded.name""",
                    (item.topic_key, draft.language, item.topic_name),
                )
            else:
                await conn.execute(
                    """INSERT INTO topic_name_drafts (issue_id, topic_key, language, name)
                       VALUES (?, ?, ?, ?)
                       ON CONFLICT (issue_id, topic_key, language)
                       DO UPDATE SET name = excluded.name""",
                    (issue_id, item.topic_key, draft.language, item.topic_name),
                )
            existing = await conn.fetchone(
                "SELECT c.id, c.issue_id, i.week_start FROM commentaries c "
                "JOIN issues i ON i.id = c.issue_id WHERE c.key = ?",
                (item.key,),
            )
            if existing is not None and existing["issue_id"] != issue_id:
                raise DuplicateKeyError(
                    f"{draft.source}:{item.line}: commentary key {item.key!r} already belongs "
                    f"to the issue of the week starting {existing['week_start']}"
                )
            if existing is None:
                commentary_id: int = await conn.scalar(
                    "INSERT INTO commentaries (issue_id, key, topic_key, position) "
                    "VALUES (?, ?, ?, ?) RETURNING id",
                    (issue_id, item.key, item.topic_key, item.position),
                )
            else:
                commentary_id = existing["id"]
                await conn.execute(
                    "UPDATE commentaries SET topic_key = ?, position = ? WHERE id = ?",
                    (item.topic_key, item.position, commentary_id),
                )
            await save_commentary_text(conn, commentary_id, draft.language, item.text, now)
        return issue_id

    async def publish(self, week_start: date) -> IssueInfo | None:
        """Make an issue visible to readers; return it, or None if there is no such issue."""
        issue = await self.issue_by_week(week_start)
        if issue is None:
            return None
        async with self._db.transaction() as conn:
            await publish_issue(conn, issue.id, utcnow())
        return await self.issue_by_week(week_start)

    async def stored_content(self, draft: IssueDraft) -> StoredContent:
        """Return what the store holds that an uploaded file of `draft`'s week must agree with."""
        week = draft.week_start.isoformat()
        issue = await self._db.fetchone(
            "SELECT id, week_end FROM issues WHERE week_start = ?", (week,)
        )
        keys = [item.key for item in draft.commentaries]
        rows = await self._db.fetchall(
            f"""SELECT c.key, c.topic_key, c.position, i.week_start,
                       {self._db.dialect.group_concat("t.language")} AS languages
                  FROM commentaries c
                  JOIN issues i ON i.id = c.issue_id
                  LEFT JOIN commentary_texts t ON t.commentary_id = c.id
                 WHERE i.week_start = ? OR c.key IN ({",".join("?" * len(keys))})
                 GROUP BY c.id, i.week_start""",
            (week, *keys),
        )
        week_languages = await self._db.fetchall(
            "SELECT DISTINCT t.language FROM commentary_texts t "
            "JOIN commentaries c ON c.id = t.commentary_id JOIN issues i ON i.id = c.issue_id "
            "WHERE i.week_start = ?",
            (week,),
        )
        names = await self._db.fetchall(
            "SELECT topic_key, name FROM topic_names WHERE language = ?", (draft.language,)
        )
        return StoredContent(
            language=draft.language,
            week_end=None if issue is None else date.fromisoformat(issue["week_end"]),
            week_languages=frozenset(row[0] for row in week_languages),
            commentaries={
                row["key"]: StoredCommentary(
                    key=row["key"],
                    week_start=date.fromisoformat(row["week_start"]),
                    topic_key=row["topic_key"],
                    languages=frozenset((row["languages"] or "").split(",")) - {""},
                    position=row["position"],
                )
                for row in rows
            },
            topic_names={row[0]: row[1] for row in names},
        )

    async def issue_by_week(self, week_start: date) -> IssueInfo | None:
        """Return the issue of a week, published or not."""
        row = await self._db.fetchone(
            "SELECT id AS issue_id, week_start, week_end, published_at IS NOT NULL AS published "
            "FROM issues WHERE week_start = ?",
            (week_start.isoformat(),),
        )
        return None if row is None else _issue(row)

    async def unpublished_issues(self) -> list[IssueInfo]:
        """Return the issues not yet published, newest week first."""
        rows = await self._db.fetchall(
            "SELECT id AS issue_id, week_start, week_end, 0 AS published FROM issues "
            "WHERE published_at IS NULL ORDER BY week_start DESC"
        )
        return [_issue(row) for row in rows]

    async def issue_info(self, issue_id: int) -> IssueInfo | None:
        """Return an issue, published or not."""
        row = await self._db.fetchone(
            "SELECT id AS issue_id, week_start, week_end, published_at IS NOT NULL AS published "
            "FROM issues WHERE id = ?",
            (issue_id,),
        )
        return None if row is None else _issue(row)

    async def versions(self, issue_id: int) -> tuple[int, dict[str, int]]:
        """Return an issue's number of commentaries and how many exist in each language."""
        total = await self._db.scalar(
            "SELECT count(*) FROM commentaries WHERE issue_id = ?", (issue_id,)
        )
        rows = await self._db.fetchall(
            "SELECT t.language, count(*) FROM commentary_texts t "
            "JOIN commentaries c ON c.id = t.commentary_id WHERE c.issue_id = ? "
            "GROUP BY t.language",
            (issue_id,),
        )
        return total, {row[0]: row[1] for row in rows}

    async def commentary_languages(self, commentary_id: int) -> set[str]:
        """Return the languages a commentary has a version in."""
        rows = await self._db.fetchall(
            "SELECT language FROM commentary_texts WHERE commentary_id = ?", (commentary_id,)
        )
        return {row[0] for row in rows}

    async def commentary_ids(self, issue_id: int) -> dict[str, int]:
        """Return the ids of an issue's commentaries by key."""
        rows = await self._db.fetchall(
            "SELECT key, id FROM commentaries WHERE issue_id = ?", (issue_id,)
        )
        return {row[0]: row[1] for row in rows}

    async def latest_issue(self, language: str) -> IssueView | None:
        """Return the newest published issue with its commentaries for a reader."""
        issue_id = await self._db.scalar(
            "SELECT id FROM issues WHERE published_at IS NOT NULL ORDER BY week_start DESC LIMIT 1"
        )
        if issue_id is None:
            return None
        return await self.issue(issue_id, language)

    async def issue(self, issue_id: int, language: str) -> IssueView | None:
        """Return one issue with its commentaries, in the best language for a reader."""
        rows = await self._db.fetchall(
            f"{_VIEW_SELECT} WHERE c.issue_id = ?4 ORDER BY c.position",
            (*_ranks(language), issue_id),
        )
        if not rows:
            return None
        views = tuple(_view(row, language) for row in rows)
        return IssueView(issue=views[0].issue, commentaries=views)

    async def commentary(self, commentary_id: int, language: str) -> CommentaryView | None:
        """Return one published commentary for a reader, or None."""
        row = await self._db.fetchone(
            f"{_VIEW_SELECT} WHERE c.id = ?4 AND i.published_at IS NOT NULL",
            (*_ranks(language), commentary_id),
        )
        return None if row is None else _view(row, language)

    async def topics(self, language: str) -> list[Topic]:
        """Return the topics with published commentaries, with names in the reader's language."""
        rows = await self._db.fetchall(
            f"""SELECT t.key,
                       (SELECT tn.name FROM topic_names tn WHERE tn.topic_key = t.key
                         ORDER BY {_LANGUAGE_RANK.format(col="tn.language")} LIMIT 1) AS name,
                       (SELECT count(*) FROM commentaries c JOIN issues i ON i.id = c.issue_id
                         WHERE c.topic_key = t.key AND i.published_at IS NOT NULL) AS n
                  FROM topics t""",
            _ranks(language),
        )
        topics = [Topic(key=row["key"], name=row["name"], count=row["n"]) for row in rows]
        return sorted((t for t in topics if t.count), key=lambda t: t.name.casefold())

    async def topic(self, key: str, language: str) -> Topic | None:
        """Return one topic, or None if it has no published commentary."""
        for topic in await self.topics(language):
            if topic.key == key:
                return topic
        return None

    async def topic_page(
        self, topic_key: str, language: str, *, page: int, per_page: int
    ) -> Page[CommentaryView]:
        """Return a page of a topic's published commentaries, newest first."""
        total = await self._db.scalar(
            "SELECT count(*) FROM commentaries c JOIN issues i ON i.id = c.issue_id "
            "WHERE c.topic_key = ? AND i.published_at IS NOT NULL",
            (topic_key,),
        )
        # Pick the page's ids first: sorting whole views would read every text of the topic.
        ids = [
            row[0]
            for row in await self._db.fetchall(
                """SELECT c.id FROM commentaries c JOIN issues i ON i.id = c.issue_id
                    WHERE c.topic_key = ? AND i.published_at IS NOT NULL
                    ORDER BY i.week_start DESC, c.position LIMIT ? OFFSET ?""",
                (topic_key, per_page, page * per_page),
            )
        ]
        return Page(
            items=tuple(await self._views(ids, language)),
            page=page,
            pages=math.ceil(total / per_page),
            total=total,
        )

    async def search(
        self, query: str, language: str, *, page: int, per_page: int
    ) -> Page[CommentaryView]:
        """Return a page of published commentaries in `language` matching all words of `query`."""
        search = self._db.dialect.search(query, language, limit=per_page, offset=page * per_page)
        if search is None:
            return Page(items=(), page=0, pages=0, total=0)
        total = await self._db.scalar(search.count_sql, search.count_params)
        ids = [row[0] for row in await self._db.fetchall(search.page_sql, search.page_params)]
        views = await self._views(ids, language)
        return Page(
            items=tuple(views),
            page=page,
            pages=math.ceil(total / per_page),
            total=total,
        )

    async def _views(self, ids: Iterable[int], language: str) -> list[CommentaryView]:
        ordered = list(ids)
        if not ordered:
            return []
        marks = ",".join("?" for _ in ordered)
        rows = await self._db.fetchall(
            f"{_VIEW_SELECT} WHERE c.id IN ({marks})", (*_ranks(language), *ordered)
        )
        by_id = {row["id"]: _view(row, language) for row in rows}
        return [by_id[i] for i in ordered if i in by_id]


async def save_commentary_text(
    conn: Connection, commentary_id: int, language: str, text: CommentaryText, now: str
) -> None:
    """Insert or replace one language's text of a commentary."""
    await conn.execute(
        """INSERT INTO commentary_texts
               (commentary_id, language, title, kicker, author, lead, body, link, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (commentary_id, language) DO UPDATE SET
               title = excluded.title, kicker = excluded.kicker, author = excluded.author,
               lead = excluded.lead, body = excluded.body, link = excluded.link,
               updated_at = excluded.updated_at""",
        (
            commentary_id,
            language,
            text.title,
            text.kicker,
            text.author,
            text.lead,
            text.body,
            text.link,
            now,
        ),
    )
