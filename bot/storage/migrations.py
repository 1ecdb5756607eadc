"""Schema migrations for both engines, applied in order at startup by one process at a time.

SQLite records the last one applied in `PRAGMA user_version`, PostgreSQL in the table
`schema_migrations`. A step is the DDL both engines share, written as for SQLite (the
dialect spells it for PostgreSQL), or a `Migration` that adds what each engine does its own
way. Append new steps to `MIGRATIONS`; never edit a step that has shipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bot.storage.dialect import Dialect


@dataclass(frozen=True, slots=True)
class Migration:
    """One step: shared DDL, then each engine's own."""

    shared: str
    sqlite: str = ""
    postgresql: str = ""


def migration_script(step: str | Migration, dialect: Dialect) -> str:
    """Return the whole script of one step for one engine."""
    if isinstance(step, str):
        return dialect.ddl(step)
    own = step.postgresql if dialect.is_postgresql else step.sqlite
    return f"{dialect.ddl(step.shared)}\n{own}"


MIGRATIONS: Final[tuple[str | Migration, ...]] = (
    # 1: content, readers and their subscriptions.
    Migration(
        """
    CREATE TABLE topics (
        key TEXT PRIMARY KEY
    ) WITHOUT ROWID;

    CREATE TABLE topic_names (
        topic_key TEXT NOT NULL REFERENCES topics(key) ON DELETE CASCADE,
        language TEXT NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (topic_key, language)
    ) WITHOUT ROWID;

    CREATE TABLE issues (
        id INTEGER PRIMARY KEY,
        week_start TEXT NOT NULL UNIQUE,
        week_end TEXT NOT NULL,
        published_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX issues_published_by_week ON issues(week_start) WHERE published_at IS NOT NULL;

    CREATE TABLE commentaries (
        id INTEGER PRIMARY KEY,
        issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
        key TEXT NOT NULL UNIQUE,
        topic_key TEXT NOT NULL REFERENCES topics(key),
        position INTEGER NOT NULL
    );
    CREATE INDEX commentaries_by_issue ON commentaries(issue_id, position);
    CREATE INDEX commentaries_by_topic ON commentaries(topic_key, issue_id, position);

    CREATE TABLE commentary_texts (
        id INTEGER PRIMARY KEY,
        commentary_id INTEGER NOT NULL REFERENCES commentaries(id) ON DELETE CASCADE,
        language TEXT NOT NULL,
        title TEXT NOT NULL,
        kicker TEXT NOT NULL,
        author TEXT NOT NULL,
        lead TEXT NOT NULL,
        body TEXT NOT NULL,
        link TEXT,
        updated_at TEXT NOT NULL,
        UNIQUE (commentary_id, language)
    );

    CREATE TABLE chats (
        chat_id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        title TEXT,
        language TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'none'
            CHECK (status IN ('none', 'active', 'unsubscribed', 'blocked')),
        all_topics INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX chats_by_status_language ON chats(status, language);

    CREATE TABLE chat_topics (
        chat_id INTEGER NOT NULL REFERENCES chats(chat_id) ON DELETE CASCADE ON UPDATE CASCADE,
        topic_key TEXT NOT NULL REFERENCES topics(key) ON DELETE CASCADE,
        PRIMARY KEY (chat_id, topic_key)
    ) WITHOUT ROWID;

    CREATE TABLE subscription_events (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL,
        event TEXT NOT NULL,
        language TEXT,
        at TEXT NOT NULL
    );
    CREATE INDEX subscription_events_by_time ON subscription_events(at);

    CREATE TABLE search_queries (
        id INTEGER PRIMARY KEY,
        query TEXT NOT NULL,
        language TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    """,
        sqlite="""
    -- Published texts only; `language` is indexed so that a query can say language:be.
    CREATE VIRTUAL TABLE commentary_search USING fts5(
        title, kicker, author, lead, body, language,
        tokenize = 'unicode61 remove_diacritics 2'
    );
    """,
        postgresql="""
    -- Published texts only, weighted, in each language's configuration and as written.
    CREATE TABLE commentary_search (
        id BIGINT PRIMARY KEY,
        language TEXT NOT NULL,
        headline tsvector NOT NULL,
        document tsvector NOT NULL
    );
    CREATE INDEX commentary_search_documents ON commentary_search USING GIN (document);
    """,
    ),
    # 2: broadcasts and their durable outbox.
    """
    CREATE TABLE broadcasts (
        id INTEGER PRIMARY KEY,
        issue_id INTEGER NOT NULL REFERENCES issues(id),
        kind TEXT NOT NULL DEFAULT 'issue' CHECK (kind IN ('issue', 'correction')),
        status TEXT NOT NULL
            CHECK (status IN ('scheduled', 'sending', 'done', 'cancelled')),
        editor_id INTEGER NOT NULL,
        editor_chat_id INTEGER NOT NULL,
        progress_message_id INTEGER,
        scheduled_at TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT
    );
    CREATE INDEX broadcasts_by_status ON broadcasts(status, scheduled_at);
    CREATE INDEX broadcasts_by_issue ON broadcasts(issue_id);

    -- The exact messages of a broadcast, rendered once when it is confirmed.
    CREATE TABLE broadcast_messages (
        id INTEGER PRIMARY KEY,
        broadcast_id INTEGER NOT NULL REFERENCES broadcasts(id) ON DELETE CASCADE,
        language TEXT NOT NULL,
        commentary_id INTEGER NOT NULL REFERENCES commentaries(id),
        topic_key TEXT NOT NULL,
        seq INTEGER NOT NULL,
        text TEXT NOT NULL,
        UNIQUE (broadcast_id, language, seq)
    );

    -- One row per (broadcast, chat, message part). Ids follow (seq, chat), so walking by id
    -- sends everyone's first message before anyone's second. For corrections `target_id`
    -- is the Telegram message to edit.
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        broadcast_id INTEGER NOT NULL REFERENCES broadcasts(id) ON DELETE CASCADE,
        chat_id INTEGER NOT NULL,
        language TEXT NOT NULL,
        message_ref INTEGER NOT NULL REFERENCES broadcast_messages(id),
        seq INTEGER NOT NULL,
        target_id INTEGER,
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped', 'cancelled')),
        attempts INTEGER NOT NULL DEFAULT 0,
        message_id INTEGER,
        error TEXT,
        updated_at TEXT
    );
    CREATE INDEX outbox_by_status ON outbox(broadcast_id, status, id);
    CREATE INDEX outbox_by_chat ON outbox(chat_id, broadcast_id);
    """,
    # 3: an issue is delivered at most once; a draft's topic names wait for its publication.
    """
    -- The issue a broadcast delivers, set when an issue broadcast starts. Unique: a second
    -- start of the same issue fails in the database, whatever raced it. Only the first of
    -- any earlier duplicate deliveries is marked, so the index can be built.
    ALTER TABLE broadcasts ADD COLUMN delivers_issue INTEGER;
    UPDATE broadcasts SET delivers_issue = issue_id
     WHERE id IN (SELECT min(id) FROM broadcasts
                   WHERE kind = 'issue' AND started_at IS NOT NULL GROUP BY issue_id);
    CREATE UNIQUE INDEX broadcasts_one_delivery ON broadcasts(delivers_issue);

    -- The language of the editor who planned a broadcast: its reports speak it.
    ALTER TABLE broadcasts ADD COLUMN editor_language TEXT;
    UPDATE broadcasts SET editor_language =
           (SELECT language FROM chats WHERE chats.chat_id = broadcasts.editor_chat_id);

    -- Topic names as an unpublished issue gives them; readers keep seeing `topic_names`
    -- until the issue is published, when these replace them.
    CREATE TABLE topic_name_drafts (
        issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
        topic_key TEXT NOT NULL REFERENCES topics(key) ON DELETE CASCADE,
        language TEXT NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (issue_id, topic_key, language)
    ) WITHOUT ROWID;
    """,
    # 4: stored searches belong to the chat that ran them, under random ids. The searches
    # stored so far name no chat, so none can be given to one; they are dropped (their
    # buttons answer that the list has expired, as they would within a week anyway).
    """
    DROP TABLE search_queries;

    CREATE TABLE search_queries (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL,
        query TEXT NOT NULL,
        language TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX search_queries_by_age ON search_queries(created_at);
    """,
    # 5: intake from the website's feeds: each feed's state, every post seen, told notices.
    """
    CREATE TABLE feed_state (
        language TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        etag TEXT,
        last_modified TEXT,
        body_hash TEXT,
        intake_since TEXT NOT NULL,
        last_success_at TEXT,
        last_error_at TEXT,
        last_error TEXT,
        failures INTEGER NOT NULL DEFAULT 0,
        failure_told INTEGER NOT NULL DEFAULT 0,
        next_poll_at TEXT,
        paused INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL
    );

    -- One row per post seen, by its normalised guid (else link). `state` 'archive' is a post
    -- older than the start of intake: remembered, never pushed. `edited_hash` and
    -- `edited_text` (JSON) hold an edit the site made after the issue was delivered: readers
    -- keep what they got until an editor applies it as a correction.
    CREATE TABLE feed_entries (
        id INTEGER PRIMARY KEY,
        language TEXT NOT NULL,
        identity TEXT NOT NULL,
        link TEXT,
        link_identity TEXT,
        title TEXT NOT NULL,
        published_at TEXT,
        content_hash TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('stored', 'archive')),
        commentary_id INTEGER REFERENCES commentaries(id) ON DELETE SET NULL,
        matched_by TEXT NOT NULL DEFAULT 'none'
            CHECK (matched_by IN ('none', 'feed', 'page', 'undecided', 'editor')),
        announced INTEGER NOT NULL DEFAULT 0,
        edited_hash TEXT,
        edited_text TEXT,
        first_seen_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (language, identity)
    );
    CREATE INDEX feed_entries_by_link ON feed_entries(link_identity);
    CREATE INDEX feed_entries_by_commentary ON feed_entries(commentary_id);
    CREATE INDEX feed_entries_to_announce ON feed_entries(announced) WHERE announced = 0;

    -- The translations a post names (in its feed entry or on its page), by their link.
    CREATE TABLE feed_alternates (
        entry_id INTEGER NOT NULL REFERENCES feed_entries(id) ON DELETE CASCADE,
        language TEXT NOT NULL,
        link_identity TEXT NOT NULL,
        PRIMARY KEY (entry_id, language)
    );
    CREATE INDEX feed_alternates_by_link ON feed_alternates(link_identity);

    -- What the editors were told once (an unmapped category, a feed that changed every guid).
    CREATE TABLE feed_notices (
        kind TEXT NOT NULL,
        subject TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (kind, subject)
    );
    """,
    # 6: in FEED_MODE=auto, each commentary goes to each language's readers by itself: one
    # broadcast per (commentary, readers' language, phase). 'first' is the first delivery (the
    # readers' own version, or the fallback once FALLBACK_AFTER passed); 'late' is the own
    # version sent after a fallback, with a note. The key makes each happen at most once; the
    # broadcast (scheduled, with its time) is what survives a restart.
    """
    CREATE TABLE auto_sends (
        commentary_id INTEGER NOT NULL REFERENCES commentaries(id),
        language TEXT NOT NULL,
        phase TEXT NOT NULL CHECK (phase IN ('first', 'late')),
        broadcast_id INTEGER NOT NULL UNIQUE REFERENCES broadcasts(id),
        fallback INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (commentary_id, language, phase)
    );
    """,
)
