"""The newsletter's model: weekly issues made of commentaries, each in several languages.

These are plain values shared by the importer, the store and the renderer; none of them
knows about Telegram or SQL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Final, Generic, TypeVar

T = TypeVar("T")

LANGUAGES: Final = ("be", "ru", "en")
"""The languages a commentary can be published in, in the order pickers show them."""

FALLBACK_ORDER: Final[dict[str, tuple[str, ...]]] = {
    "be": ("be", "ru", "en"),
    "ru": ("ru", "en", "be"),
    "en": ("en", "ru", "be"),
}
"""Which version a reader gets when a commentary lacks their language, best first."""

MAX_SEARCH_ID: Final = 2**63 - 1
"""Stored searches get random ids from 1 to this, so no chat can guess another's."""

KEY_PATTERN: Final = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
"""Commentary and topic keys: short, lowercase, safe inside 64-byte callback data."""


@dataclass(frozen=True, slots=True)
class CommentaryText:
    """One language version of a commentary; `lead` and `body` are Telegram HTML."""

    language: str
    title: str
    kicker: str
    author: str
    lead: str
    body: str
    link: str | None = None


@dataclass(frozen=True, slots=True)
class CommentaryDraft:
    """A commentary as read from one import file, in that file's language."""

    key: str
    topic_key: str
    topic_name: str
    position: int
    text: CommentaryText
    line: int = 0
    """Line of the file where the commentary starts, for error messages."""


@dataclass(frozen=True, slots=True)
class IssueDraft:
    """One import file: one issue (a week) in one language."""

    source: str
    language: str
    week_start: date
    week_end: date
    commentaries: tuple[CommentaryDraft, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class StoredCommentary:
    """A commentary already stored, as an uploaded file of its week must respect it."""

    key: str
    week_start: date
    topic_key: str
    languages: frozenset[str]
    """The languages it has a version in."""
    position: int


@dataclass(frozen=True, slots=True)
class StoredContent:
    """What the store holds that one uploaded file (a week in one language) must agree with."""

    language: str
    week_end: date | None
    """The week-end of the stored issue of that week, if there is one."""
    week_languages: frozenset[str]
    """The languages the stored issue of that week has versions in."""
    commentaries: Mapping[str, StoredCommentary]
    """Stored commentaries by key: those the file names and those of its week."""
    topic_names: Mapping[str, str]
    """Published topic names in the file's language, by topic key."""


@dataclass(frozen=True, slots=True)
class Topic:
    """A topic with its name in one language and how many published commentaries it has."""

    key: str
    name: str
    count: int


@dataclass(frozen=True, slots=True)
class IssueInfo:
    """A weekly issue."""

    id: int
    week_start: date
    week_end: date
    published: bool


@dataclass(frozen=True, slots=True)
class CommentaryView:
    """A commentary in the best available language for a reader."""

    id: int
    key: str
    issue: IssueInfo
    topic_key: str
    topic_name: str
    language: str
    """The language of the text shown; differs from `requested_language` on fallback."""
    requested_language: str
    title: str
    kicker: str
    author: str
    lead: str
    body: str
    link: str | None

    @property
    def is_fallback(self) -> bool:
        """Return whether the text is not in the language the reader asked for."""
        return self.language != self.requested_language


@dataclass(frozen=True, slots=True)
class IssueView:
    """An issue with its commentaries in the best available language for a reader."""

    issue: IssueInfo
    commentaries: tuple[CommentaryView, ...]


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a longer list."""

    items: tuple[T, ...]
    page: int
    """Zero-based page number."""
    pages: int
    total: int

    @property
    def has_previous(self) -> bool:
        """Return whether a page comes before this one."""
        return self.page > 0

    @property
    def has_next(self) -> bool:
        """Return whether a page comes after this one."""
        return self.page + 1 < self.pages
