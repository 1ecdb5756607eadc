"""Render a broadcast: every message of an issue in every language, in reading order."""

from __future__ import annotations

from bot.content import LANGUAGES
from bot.i18n import Catalogs
from bot.render import commentary_messages
from bot.storage import RenderedMessage, Store


async def render_issue(store: Store, catalogs: Catalogs, issue_id: int) -> list[RenderedMessage]:
    """Return the messages each language's readers get, numbered in the order they go out."""
    messages: list[RenderedMessage] = []
    for language in LANGUAGES:
        issue = await store.archive.issue(issue_id, language)
        if issue is None:
            continue
        seq = 0
        for view in issue.commentaries:
            for text in commentary_messages(view, catalogs[language]):
                messages.append(
                    RenderedMessage(
                        language=language,
                        commentary_id=view.id,
                        topic_key=view.topic_key,
                        seq=seq,
                        text=text,
                    )
                )
                seq += 1
    return messages
