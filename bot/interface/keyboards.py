"""Inline keyboards: language and topic pickers, read buttons and page navigation."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.interface import payloads
from bot.newsletter.content import LANGUAGES, CommentaryView, Page, Topic
from bot.newsletter.i18n import LANGUAGE_NAMES, Translator

TITLE_LIMIT = 48
"""Longest button label before it is cut with an ellipsis."""
TOPICS_PER_PAGE = 30
"""Topics one page of a topic keyboard shows, well under Telegram's 100 buttons."""


def _button(text: str, action: payloads.Action) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=payloads.encode(action))


def _short(text: str) -> str:
    return text if len(text) <= TITLE_LIMIT else text[: TITLE_LIMIT - 1].rstrip() + "…"


def languages(make: Callable[[str], payloads.Action]) -> InlineKeyboardMarkup:
    """Return a picker with one button per language, each named in itself."""
    return InlineKeyboardMarkup(
        [[_button(LANGUAGE_NAMES[code], make(code)) for code in LANGUAGES]]
    )


def _topic_page(topics: Sequence[Topic], page: int) -> tuple[Sequence[Topic], int, int]:
    """Return the topics of a page (a page past the end shows the last), the page, the pages."""
    pages = max(1, -(-len(topics) // TOPICS_PER_PAGE))
    page = min(page, pages - 1)
    return topics[page * TOPICS_PER_PAGE : (page + 1) * TOPICS_PER_PAGE], page, pages


def _pager(
    page: int, pages: int, make: Callable[[int], payloads.Action]
) -> list[list[InlineKeyboardButton]]:
    """Return a row of previous/next buttons, or no row when there is one page."""
    navigation = []
    if page > 0:
        navigation.append(_button("◀️", make(page - 1)))
    if page < pages - 1:
        navigation.append(_button("▶️", make(page + 1)))
    return [navigation] if navigation else []


def topics_picker(
    topics: Sequence[Topic], chosen: frozenset[str] | None, t: Translator, page: int = 0
) -> InlineKeyboardMarkup:
    """Return a page of the subscription's topic picker; `chosen` None means all topics."""
    shown, page, pages = _topic_page(topics, page)
    mark = "✅ " if chosen is None else "▫️ "
    rows = [[_button(mark + t.gettext("All topics"), payloads.ToggleTopic(None, page))]]
    for topic in shown:
        on = chosen is not None and topic.key in chosen
        rows.append(
            [_button(("✅ " if on else "▫️ ") + topic.name, payloads.ToggleTopic(topic.key, page))]
        )
    rows += _pager(page, pages, payloads.TopicsPage)
    rows.append([_button(t.gettext("Done"), payloads.TopicsDone())])
    return InlineKeyboardMarkup(rows)


def archive_topics(topics: Sequence[Topic], page: int = 0) -> InlineKeyboardMarkup:
    """Return a page of buttons, one per topic, opening its archive."""
    shown, page, pages = _topic_page(topics, page)
    rows = [
        [_button(f"{topic.name} ({topic.count})", payloads.ArchivePage(topic.key, 0))]
        for topic in shown
    ]
    return InlineKeyboardMarkup(rows + _pager(page, pages, payloads.TopicList))


def read_buttons(
    views: Sequence[CommentaryView], *, numbered: bool, first: int = 1
) -> list[list[InlineKeyboardButton]]:
    """Return one row per commentary with a button that sends it whole, numbered from `first`."""
    return [
        [
            _button(
                f"{number}. {_short(view.title)}" if numbered else _short(view.title),
                payloads.Read(view.id),
            )
        ]
        for number, view in enumerate(views, start=first)
    ]


def page(
    items: Page[CommentaryView],
    make: Callable[[int], payloads.Action],
) -> InlineKeyboardMarkup:
    """Return read buttons for a page's items, then previous/next buttons."""
    rows = read_buttons(items.items, numbered=True)
    navigation = []
    if items.has_previous:
        navigation.append(_button("◀️", make(items.page - 1)))
    if items.has_next:
        navigation.append(_button("▶️", make(items.page + 1)))
    if navigation:
        rows.append(navigation)
    return InlineKeyboardMarkup(rows)
