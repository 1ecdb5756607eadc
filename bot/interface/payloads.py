"""Inline-button payloads: compact, at most 64 bytes, and meaningful after a restart.

Every payload is `<kind>:<fields>` and names only durable things (a language, a topic key,
a commentary id, a stored search id, a page number), so a button keeps working when the
bot restarts. `parse` returns None for anything it does not recognise; handlers treat that,
and payloads naming things that no longer exist, as an expired list.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from telegram.constants import InlineKeyboardButtonLimit

from bot.newsletter.content import KEY_PATTERN, LANGUAGES, MAX_SEARCH_ID

MAX_BYTES: Final = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA
MAX_PAGE: Final = 100_000


@dataclass(frozen=True, slots=True)
class Subscribe:
    """Subscribe the chat in a language."""

    language: str


@dataclass(frozen=True, slots=True)
class SetLanguage:
    """Change the chat's language."""

    language: str


@dataclass(frozen=True, slots=True)
class ToggleTopic:
    """Add a topic to, or remove it from, the chat's subscription; None means all topics.

    `page` is the page of the picker the button is on, kept when the picker is redrawn.
    """

    topic_key: str | None
    page: int = 0


@dataclass(frozen=True, slots=True)
class TopicsPage:
    """Show another page of the subscription's topic picker."""

    page: int


@dataclass(frozen=True, slots=True)
class TopicsDone:
    """Close the topic picker."""


@dataclass(frozen=True, slots=True)
class TopicList:
    """Show another page of the buttons that open the topics' archives."""

    page: int


@dataclass(frozen=True, slots=True)
class ArchivePage:
    """Show a page of a topic's archive."""

    topic_key: str
    page: int


@dataclass(frozen=True, slots=True)
class SearchPage:
    """Show a page of a stored search."""

    search_id: int
    page: int


@dataclass(frozen=True, slots=True)
class Read:
    """Send a whole commentary."""

    commentary_id: int


class IssueAction(StrEnum):
    """What an editor can do with an issue from its card; the value goes into the payload."""

    PICK = "pick"
    SEND = "send"
    """Ask to confirm sending now."""
    GO = "go"
    """Confirmed: send now."""
    SCHEDULE = "sched"
    CANCEL = "cancel"
    FIX = "fix"
    """Apply the correction just uploaded."""


@dataclass(frozen=True, slots=True)
class EditIssue:
    """An editor's action on an issue: open, send, confirm, schedule, cancel, correct."""

    action: IssueAction
    issue_id: int


@dataclass(frozen=True, slots=True)
class Preview:
    """Send the editor an issue exactly as readers of one language will get it."""

    issue_id: int
    language: str


@dataclass(frozen=True, slots=True)
class ScheduleAt:
    """Schedule an issue's broadcast at a Unix time."""

    issue_id: int
    timestamp: int


@dataclass(frozen=True, slots=True)
class Stop:
    """Stop a running broadcast."""

    broadcast_id: int


@dataclass(frozen=True, slots=True)
class Resume:
    """Carry on with a stopped or halted broadcast."""

    broadcast_id: int


@dataclass(frozen=True, slots=True)
class Unschedule:
    """Cancel a scheduled broadcast."""

    broadcast_id: int


@dataclass(frozen=True, slots=True)
class RemoveChannel:
    """Stop mirroring broadcasts to a channel."""

    chat_id: int


@dataclass(frozen=True, slots=True)
class FeedMatch:
    """An editor's answer about a website post no evidence matched: a translation of a
    commentary (`commentary_id`), or a commentary of its own (None)."""

    entry_id: int
    commentary_id: int | None


@dataclass(frozen=True, slots=True)
class FeedPause:
    """Pause (True) or resume (False) one language's feed."""

    language: str
    paused: bool


Action = (
    Subscribe
    | SetLanguage
    | ToggleTopic
    | TopicsPage
    | TopicsDone
    | TopicList
    | ArchivePage
    | SearchPage
    | Read
    | EditIssue
    | Preview
    | ScheduleAt
    | Stop
    | Resume
    | Unschedule
    | RemoveChannel
    | FeedMatch
    | FeedPause
)


def encode(action: Action) -> str:  # noqa: PLR0912 - one case per payload kind
    """Return the payload of an action; raise ValueError if it would exceed 64 bytes."""
    match action:
        case Subscribe(language):
            data = f"sub:{language}"
        case SetLanguage(language):
            data = f"lang:{language}"
        case ToggleTopic(topic_key, page):
            data = f"tt:{topic_key or '*'}" + (f":{page}" if page else "")
        case TopicsPage(page):
            data = f"tp:{page}"
        case TopicsDone():
            data = "td:"
        case TopicList(page):
            data = f"tl:{page}"
        case ArchivePage(topic_key, page):
            data = f"ar:{topic_key}:{page}"
        case SearchPage(search_id, page):
            data = f"sr:{search_id}:{page}"
        case Read(commentary_id):
            data = f"rd:{commentary_id}"
        case EditIssue(verb, issue_id):
            data = f"ei:{verb.value}:{issue_id}"
        case Preview(issue_id, language):
            data = f"pv:{issue_id}:{language}"
        case ScheduleAt(issue_id, timestamp):
            data = f"at:{issue_id}:{timestamp}"
        case Stop(broadcast_id):
            data = f"st:{broadcast_id}"
        case Resume(broadcast_id):
            data = f"rs:{broadcast_id}"
        case Unschedule(broadcast_id):
            data = f"us:{broadcast_id}"
        case RemoveChannel(chat_id):
            data = f"rc:{chat_id}"
        case FeedMatch(entry_id, commentary_id):
            data = f"fm:{entry_id}:{commentary_id or 0}"
        case FeedPause(language, paused):
            data = f"fp:{language}:{int(paused)}"
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def _number(text: str, limit: int) -> int | None:
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    value = int(text)
    return value if value <= limit else None


def _signed(text: str) -> int | None:
    number = _number(text.removeprefix("-"), 2**62)
    return None if number is None else (-number if text.startswith("-") else number)


_BROADCAST_ACTIONS: Final[dict[str, type[Stop | Resume | Unschedule]]] = {
    "st": Stop,
    "rs": Resume,
    "us": Unschedule,
}


_ISSUE_ACTIONS: Final = frozenset(action.value for action in IssueAction)


def _parse_feed_action(kind: str, fields: list[str]) -> Action | None:
    if kind == "fm" and len(fields) == 2:
        entry_id, commentary_id = _number(fields[0], 2**62), _number(fields[1], 2**62)
        if entry_id is None or commentary_id is None:
            return None
        return FeedMatch(entry_id, commentary_id or None)
    if kind == "fp" and len(fields) == 2 and fields[0] in LANGUAGES and fields[1] in ("0", "1"):
        return FeedPause(fields[0], fields[1] == "1")
    return None


def _parse_editor(kind: str, fields: list[str]) -> Action | None:
    first = _number(fields[0], 2**62)
    if kind == "ei" and len(fields) == 2 and fields[0] in _ISSUE_ACTIONS:
        issue_id = _number(fields[1], 2**62)
        return None if issue_id is None else EditIssue(IssueAction(fields[0]), issue_id)
    if kind == "pv" and len(fields) == 2 and first is not None and fields[1] in LANGUAGES:
        return Preview(first, fields[1])
    if kind == "at" and len(fields) == 2 and first is not None:
        timestamp = _number(fields[1], 2**40)
        return None if timestamp is None else ScheduleAt(first, timestamp)
    if kind in _BROADCAST_ACTIONS and len(fields) == 1 and first is not None:
        return _BROADCAST_ACTIONS[kind](first)
    if kind == "rc" and len(fields) == 1:
        chat_id = _signed(fields[0])
        return None if chat_id is None else RemoveChannel(chat_id)
    return None


def parse(data: str | None) -> Action | None:  # noqa: PLR0911, PLR0912 - one case per payload kind
    """Return the action a payload stands for, or None if it is malformed."""
    if not data or len(data.encode()) > MAX_BYTES or ":" not in data:
        return None
    kind, _, rest = data.partition(":")
    fields = rest.split(":")
    if kind in ("ei", "pv", "at", "st", "rs", "us", "rc"):
        return _parse_editor(kind, fields)
    if kind in ("fm", "fp"):
        return _parse_feed_action(kind, fields)
    if kind in ("sub", "lang") and len(fields) == 1 and fields[0] in LANGUAGES:
        return Subscribe(fields[0]) if kind == "sub" else SetLanguage(fields[0])
    if kind == "tt" and len(fields) in (1, 2):
        page = _number(fields[1], MAX_PAGE) if len(fields) == 2 else 0
        if page is None or (len(fields) == 2 and not page):
            return None  # the first page is written without a number
        if fields[0] == "*":
            return ToggleTopic(None, page)
        return ToggleTopic(fields[0], page) if KEY_PATTERN.match(fields[0]) else None
    if kind in ("tp", "tl") and len(fields) == 1:
        page = _number(fields[0], MAX_PAGE)
        if page is None:
            return None
        return TopicsPage(page) if kind == "tp" else TopicList(page)
    if kind == "td" and rest == "":
        return TopicsDone()
    if kind == "ar" and len(fields) == 2 and KEY_PATTERN.match(fields[0]):
        page = _number(fields[1], MAX_PAGE)
        return None if page is None else ArchivePage(fields[0], page)
    if kind == "sr" and len(fields) == 2:
        search_id, page = _number(fields[0], MAX_SEARCH_ID), _number(fields[1], MAX_PAGE)
        return None if search_id is None or page is None else SearchPage(search_id, page)
    if kind == "rd" and len(fields) == 1:
        commentary_id = _number(fields[0], 2**62)
        return None if commentary_id is None else Read(commentary_id)
    return None
