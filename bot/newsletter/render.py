"""Turn commentaries, issues and lists into Telegram HTML messages.

Every value is escaped here or was converted from Markdown by `telegram_html`; every text
that can grow is split under Telegram's 4096-character limit at paragraph boundaries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from telegram.constants import InlineKeyboardMarkupLimit

from bot.newsletter.content import CommentaryView, IssueView, Page, Topic
from bot.newsletter.i18n import LANGUAGE_NAMES, Translator
from bot.newsletter.telegram_html import (
    MESSAGE_LIMIT,
    escape,
    link_html,
    split_html,
    telegram_length,
    truncate_html,
    truncate_text,
)

MAX_BUTTONS: Final = InlineKeyboardMarkupLimit.TOTAL_BUTTON_NUMBER
"""Most buttons one inline keyboard may have."""
BLOCK_SEPARATOR: Final = "\n\n"
LIST_LEAD_LIMIT: Final = 300
"""How much of a lead a list entry shows before cutting it with an ellipsis."""
LIST_TITLE_LIMIT: Final = 200
"""How much of a title an archive or search page shows, so that a page of five fits."""
QUOTE_LIMIT: Final = 200
"""How much of what a user wrote a reply quotes, in UTF-16 units, ellipsis included."""


def quote(text: str) -> str:
    """Return user input cut to `QUOTE_LIMIT` for quoting in a reply (plain text, unescaped)."""
    return truncate_text(text, QUOTE_LIMIT)


def bold(text: str) -> str:
    """Return plain text escaped and set in bold."""
    return f"<b>{escape(text)}</b>"


def _language_name(language: str) -> str:
    return LANGUAGE_NAMES.get(language, language)


def fallback_note(view: CommentaryView, t: Translator) -> str:
    """Say that a commentary is shown in another language than the reader's."""
    return escape(
        t.gettext(
            "This commentary is not available in your language yet; "
            "here is the {language} version."
        ).format(language=_language_name(view.language))
    )


def late_version_note(view: CommentaryView, t: Translator) -> str:
    """Say that a commentary a reader got in another language is now in theirs."""
    return escape(
        t.gettext("Now in {language}: the commentary you got earlier in another language.").format(
            language=_language_name(view.language)
        )
    )


def commentary_messages(
    view: CommentaryView, t: Translator, *, note: str | None = None
) -> list[str]:
    """Render a whole commentary as one or more messages, each under the length limit.

    `note` (HTML) opens the first message, in italics.
    """
    week = t.format_week(view.issue.week_start, view.issue.week_end)
    blocks = [f"<i>{note}</i>"] if note else []
    blocks += [
        f"<b>{escape(view.topic_name)}</b> · {escape(week)}",
        f"<b>{escape(view.title)}</b>\n<i>{escape(view.kicker)}</i>\n"
        + escape(t.gettext("By {author}").format(author=view.author)),
    ]
    if view.is_fallback:
        blocks.append(f"<i>{fallback_note(view, t)}</i>")
    blocks.append(view.lead)
    if view.body:
        blocks.append(view.body)
    link = link_html(view.link, escape(t.gettext("Read on the website"))) if view.link else None
    if link is not None:
        blocks.append(link)
    return split_html("\n\n".join(blocks), MESSAGE_LIMIT)


def _entry(
    number: int,
    view: CommentaryView,
    t: Translator,
    *,
    with_week: bool,
    title_limit: int | None = None,
) -> str:
    title = escape(view.title)
    if title_limit is not None:
        title = truncate_html(title, title_limit)
    head = f"<b>{number}. {title}</b>"
    details = [f"<i>{escape(view.kicker)}</i>"]
    byline = t.gettext("By {author}").format(author=view.author)
    if with_week:
        byline += " · " + t.format_week(view.issue.week_start, view.issue.week_end)
    details.append(escape(byline))
    if view.is_fallback:
        details.append(f"<i>{fallback_note(view, t)}</i>")
    return "\n".join([head, *details])


@dataclass(frozen=True, slots=True)
class IssuePart:
    """One message of an issue's table of contents and the commentaries it lists."""

    text: str
    first: int
    """The number (from 1) of the first commentary the message lists."""
    commentaries: tuple[CommentaryView, ...]


def issue_messages(issue: IssueView, t: Translator) -> list[IssuePart]:
    """Render an issue's table of contents: week, and per commentary topic, title and lead.

    Each message lists at most `MAX_BUTTONS` commentaries, so that it can carry a read
    button for each of them.
    """
    week = t.format_week(issue.issue.week_start, issue.issue.week_end)
    count = len(issue.commentaries)
    header = "\n".join(
        [
            bold(t.gettext("Weekly commentary")),
            escape(week),
            escape(
                t.ngettext(
                    "{count} commentary in this issue",
                    "{count} commentaries in this issue",
                    count,
                ).format(count=t.format_number(count))
            ),
        ]
    )
    footer = escape(t.gettext("Tap a title below to read the whole commentary."))
    # Every part keeps room for the footer, which closes the last one.
    budget = MESSAGE_LIMIT - telegram_length(footer) - len(BLOCK_SEPARATOR)
    parts: list[IssuePart] = []
    blocks = [header]
    views: list[CommentaryView] = []
    used = telegram_length(header)
    for number, view in enumerate(issue.commentaries, start=1):
        entry = truncate_html(
            f"<u>{escape(view.topic_name)}</u>\n"
            + _entry(number, view, t, with_week=False)
            + "\n"
            + truncate_html(view.lead, LIST_LEAD_LIMIT),
            budget,
        )
        length = telegram_length(entry)
        if views and (len(views) == MAX_BUTTONS or used + len(BLOCK_SEPARATOR) + length > budget):
            parts.append(
                IssuePart(BLOCK_SEPARATOR.join(blocks), number - len(views), tuple(views))
            )
            blocks, views, used = [], [], -len(BLOCK_SEPARATOR)
        blocks.append(entry)
        views.append(view)
        used += len(BLOCK_SEPARATOR) + length
    blocks.append(footer)
    parts.append(IssuePart(BLOCK_SEPARATOR.join(blocks), count - len(views) + 1, tuple(views)))
    return parts


def topics_messages(topics: Sequence[Topic], t: Translator) -> list[str]:
    """Render the list of topics with how many commentaries each has, split under the limit."""
    if not topics:
        return [escape(t.gettext("There are no published commentaries yet."))]
    lines = [bold(t.gettext("Topics")), ""]
    for topic in topics:
        count = t.ngettext("{count} commentary", "{count} commentaries", topic.count).format(
            count=t.format_number(topic.count)
        )
        lines.append(f"• <b>{escape(topic.name)}</b> — {escape(count)}")
    lines += ["", escape(t.gettext("Choose a topic to open its archive."))]
    return split_html("\n".join(lines), MESSAGE_LIMIT)


def page_message(title: str, page: Page[CommentaryView], t: Translator) -> str:
    """Render one page of an archive or of search results."""
    counter = t.ngettext(
        "Page {page} of {pages} · {total} commentary",
        "Page {page} of {pages} · {total} commentaries",
        page.total,
    ).format(
        page=t.format_number(page.page + 1),
        pages=t.format_number(page.pages),
        total=t.format_number(page.total),
    )
    heading = truncate_html(escape(title), LIST_TITLE_LIMIT)
    blocks = [f"<b>{heading}</b>\n{escape(counter)}"]
    blocks += [
        _entry(number, view, t, with_week=True, title_limit=LIST_TITLE_LIMIT)
        for number, view in enumerate(page.items, start=1)
    ]
    return truncate_html("\n\n".join(blocks), MESSAGE_LIMIT)
