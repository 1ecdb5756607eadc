"""Small builders of content drafts for tests."""

from __future__ import annotations

from datetime import date, timedelta

from bot.newsletter.content import CommentaryDraft, CommentaryText, IssueDraft


def text(
    language: str, title: str, *, body: str = "<p>Body</p>", link: str | None = None
) -> CommentaryText:
    """Return a commentary version with predictable fields."""
    return CommentaryText(
        language=language,
        title=title,
        kicker=f"Kicker of {title}",
        author="Ales Autar",
        lead=f"Lead of {title}.",
        body=body.replace("<p>", "").replace("</p>", ""),
        link=link,
    )


def issue(
    week_start: date,
    language: str,
    items: list[tuple[str, str, str]],
    *,
    body: str = "Body",
) -> IssueDraft:
    """Return an issue draft; `items` are (key, topic key, title) triples."""
    return IssueDraft(
        source=f"issue-{week_start}.{language}.md",
        language=language,
        week_start=week_start,
        week_end=week_start + timedelta(days=6),
        commentaries=tuple(
            CommentaryDraft(
                key=key,
                topic_key=topic,
                topic_name=f"{topic.title()} ({language})",
                position=position,
                text=text(language, title, body=body),
                line=position * 10 + 5,
            )
            for position, (key, topic, title) in enumerate(items)
        ),
    )
