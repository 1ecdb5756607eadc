"""What publishing an issue means, in one place: visible, named and searchable at once.

Until an issue is published readers see nothing of it: not its commentaries, not its
texts in search, not the topic names its files give (those wait in `topic_name_drafts`).
Every path that publishes (the importer's `--publish`, a broadcast's start) goes through
`publish_issue` inside its own transaction.
"""

from __future__ import annotations

from bot.storage.database import Connection


async def publish_issue(conn: Connection, issue_id: int, now: str) -> bool:
    """Publish an issue inside the caller's transaction; return False if it already was."""
    changed = await conn.execute(
        "UPDATE issues SET published_at = ? WHERE id = ? AND published_at IS NULL",
        (now, issue_id),
    )
    if not changed:
        return False
    await conn.execute(
        """INSERT INTO topic_names (topic_key, language, name)
           SELECT topic_key, language, name FROM topic_name_drafts WHERE issue_id = ?
           ON CONFLICT (topic_key, language) DO UPDATE SET name = excluded.name""",
        (issue_id,),
    )
    await conn.execute("DELETE FROM topic_name_drafts WHERE issue_id = ?", (issue_id,))
    await index_issue(conn, issue_id)
    return True


async def index_issue(conn: Connection, issue_id: int) -> None:
    """Rebuild the search index of one issue: published texts only.

    Search then needs no join to hide drafts, and each engine ranks straight from its index.
    """
    await conn.execute(conn.dialect.unindex_issue(), (issue_id,))
    rows = await conn.fetchall(
        """SELECT t.id, t.title, t.kicker, t.author, t.lead, t.body, t.language
             FROM commentary_texts t
             JOIN commentaries c ON c.id = t.commentary_id
             JOIN issues i ON i.id = c.issue_id
            WHERE c.issue_id = ? AND i.published_at IS NOT NULL""",
        (issue_id,),
    )
    sql, params = conn.dialect.index_texts(rows)
    await conn.executemany(sql, params)
