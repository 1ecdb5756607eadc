"""Render a broadcast: every message of an issue in every language, in reading order."""

from __future__ import annotations

from dataclasses import replace

from bot.newsletter.content import LANGUAGES, IssueDraft
from bot.newsletter.i18n import Catalogs
from bot.newsletter.render import commentary_messages, late_version_note
from bot.storage import AutoPhase, AutoSend, CommentaryView, RenderedMessage, Store


def _overridden(view: CommentaryView, draft: IssueDraft | None) -> CommentaryView:
    """Return the view with the draft's text when the draft holds this version."""
    if draft is None or view.language != draft.language:
        return view
    for item in draft.commentaries:
        if item.key == view.key:
            text = item.text
            return replace(
                view,
                title=text.title,
                kicker=text.kicker,
                author=text.author,
                lead=text.lead,
                body=text.body,
                link=text.link,
            )
    return view


async def render_issue(
    store: Store, catalogs: Catalogs, issue_id: int, *, override: IssueDraft | None = None
) -> list[RenderedMessage]:
    """Return the messages each language's readers get, numbered in the order they go out.

    `override` replaces the stored texts of its language (a correction being previewed).
    """
    messages: list[RenderedMessage] = []
    for language in LANGUAGES:
        issue = await store.archive.issue(issue_id, language)
        if issue is None:
            continue
        seq = 0
        for stored in issue.commentaries:
            view = _overridden(stored, override)
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


async def render_auto(
    store: Store, catalogs: Catalogs, issue_id: int, send: AutoSend
) -> tuple[list[RenderedMessage], bool]:
    """Return one commentary's messages for one language's readers, and whether they fall back.

    The text is the best version stored now; a late delivery opens with its note.
    """
    issue = await store.archive.issue(issue_id, send.language)
    views = issue.commentaries if issue is not None else ()
    view = next((item for item in views if item.id == send.commentary_id), None)
    if view is None:
        return [], False
    t = catalogs[send.language]
    note = late_version_note(view, t) if send.phase is AutoPhase.LATE else None
    messages = [
        RenderedMessage(
            language=send.language,
            commentary_id=view.id,
            topic_key=view.topic_key,
            seq=seq,
            text=text,
        )
        for seq, text in enumerate(commentary_messages(view, t, note=note))
    ]
    return messages, view.is_fallback
