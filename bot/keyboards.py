"""Inline keyboards: language and topic pickers, read buttons and page navigation."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.content import LANGUAGES
from bot.i18n import LANGUAGE_NAMES, Translator
from bot.storage import CommentaryView, Page, Topic

TITLE_LIMIT = 48
"""Longest button label before it is cut with an ellipsis."""


def _button(text: str, action: callbacks.Action) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.encode(action))


def _short(text: str) -> str:
    return text if len(text) <= TITLE_LIMIT else text[: TITLE_LIMIT - 1].rstrip() + "…"


def languages(make: Callable[[str], callbacks.Action]) -> InlineKeyboardMarkup:
    """Return a picker with one button per language, each named in itself."""
    return InlineKeyboardMarkup(
        [[_button(LANGUAGE_NAMES[code], make(code)) for code in LANGUAGES]]
    )


def topics_picker(
    topics: Sequence[Topic], chosen: frozenset[str] | None, t: Translator
) -> InlineKeyboardMarkup:
    """Return the subscription's topic picker; `chosen` None means all topics."""
    mark = "✅ " if chosen is None else "▫️ "
    rows = [[_button(mark + t.gettext("All topics"), callbacks.ToggleTopic(None))]]
    for topic in topics:
        on = chosen is not None and topic.key in chosen
        rows.append(
            [_button(("✅ " if on else "▫️ ") + topic.name, callbacks.ToggleTopic(topic.key))]
        )
    rows.append([_button(t.gettext("Done"), callbacks.TopicsDone())])
    return InlineKeyboardMarkup(rows)


def archive_topics(topics: Sequence[Topic]) -> InlineKeyboardMarkup:
    """Return one button per topic opening its archive."""
    return InlineKeyboardMarkup(
        [
            [_button(f"{topic.name} ({topic.count})", callbacks.ArchivePage(topic.key, 0))]
            for topic in topics
        ]
    )


def read_buttons(
    views: Sequence[CommentaryView], *, numbered: bool
) -> list[list[InlineKeyboardButton]]:
    """Return one row per commentary with a button that sends it whole."""
    return [
        [
            _button(
                f"{number}. {_short(view.title)}" if numbered else _short(view.title),
                callbacks.Read(view.id),
            )
        ]
        for number, view in enumerate(views, start=1)
    ]


def page(
    items: Page[CommentaryView],
    make: Callable[[int], callbacks.Action],
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
