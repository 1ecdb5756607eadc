"""Read weekly issues from Markdown import files, one file per issue and language.

A file starts with a front matter block (`week-start`, `week-end`, `language` between two
`---` lines) followed by commentaries. Each commentary is a level-1 `# Title` line, its
`name: value` metadata lines, a blank line, the lead paragraph and the body in Markdown.
Only this line-oriented frame is parsed here; where a heading really starts is decided by
markdown-it, so `# ` lines inside code blocks stay part of a body. Every problem found is
reported with its file and line, and `read_issue_files` returns drafts only when the
whole batch is valid, so that storing them in one transaction imports all or nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

from markdown_it import MarkdownIt
from markdown_it.token import Token

from bot.errors import ContentError, ContentErrors
from bot.newsletter.content import (
    KEY_PATTERN,
    LANGUAGES,
    CommentaryDraft,
    CommentaryText,
    IssueDraft,
    StoredContent,
)
from bot.newsletter.links import is_web_link
from bot.newsletter.telegram_html import markdown_to_html

FRONT_MATTER_NAMES: Final = ("week-start", "week-end", "language")
"""Names the front matter must give, each exactly once."""

COMMENTARY_NAMES: Final = ("key", "topic", "topic-name", "kicker", "author", "link")
"""Metadata names a commentary may give, in the order editors are asked to write them."""

REQUIRED_COMMENTARY_NAMES: Final = ("key", "topic", "topic-name", "kicker", "author")
"""Metadata every commentary must give; `link` is optional."""

MAX_LENGTHS: Final = {"title": 1000, "kicker": 200, "author": 100, "topic-name": 64}
"""Longest allowed value of the plain-text fields, in characters."""

MAX_WEEK_DAYS: Final = 7
"""Most days one issue may cover, counting both its first and its last day."""

_FENCE: Final = "---"
_FIELD: Final = re.compile(r"([^\s:]+)[ \t]*:[ \t]*(.*)")
_ISO_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_SHOWN: Final = 60
"""How much of an offending line an error message quotes."""

_PARSER: Final = MarkdownIt("commonmark", {"html": False})
"""Block structure as `markdown_to_html` sees it: CommonMark without raw HTML."""

_BLOCK_NAMES: Final = {
    "bullet_list_open": "list",
    "ordered_list_open": "list",
    "blockquote_open": "quote",
    "fence": "code block",
    "code_block": "code block",
    "heading_open": "heading",
    "hr": "horizontal rule",
    "html_block": "HTML block",
    "table_open": "table",
}


@dataclass(frozen=True, slots=True)
class _Field:
    """One `name: value` line."""

    name: str
    value: str
    line: int


@dataclass(frozen=True, slots=True)
class _Parsed:
    """A valid file's draft and the lines cross-file checks point to."""

    draft: IssueDraft
    front_matter: Mapping[str, int]
    """Line of each front matter name."""
    fields: Mapping[str, Mapping[str, int]]
    """Line of each metadata name (and of the title), by commentary key."""


def _shorten(text: str) -> str:
    """Return text short enough to quote in an error message."""
    text = text.strip()
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1].rstrip() + "…"


def _fence_is_closed(token: Token, lines: Sequence[str], offset: int) -> bool:
    """Tell whether a fenced code block ends with a closing fence line."""
    assert token.map is not None
    first, stop = token.map[0] + offset, token.map[1] + offset
    if stop - first < 2:
        return False
    last = lines[stop - 1].strip()
    marker = token.markup
    return len(last) >= len(marker) and set(last) == {marker[0]}


class _FileParser:
    """Parse one import file, collecting every problem instead of stopping at the first."""

    def __init__(self, text: str, source: str) -> None:
        """Split the text into lines the way markdown-it counts them."""
        text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        self.source = source
        self.lines = text.split("\n")
        self.errors: list[ContentError] = []
        self.body_start = 0
        self.language = ""
        self.front_matter_lines: dict[str, int] = {}
        self.commentary_lines: dict[str, dict[str, int]] = {}
        self.blocks: dict[int, Token] = {}
        """Top-level Markdown blocks after the front matter, by the index of their first line."""
        self.keys: dict[str, int] = {}
        """Line of each commentary key seen so far."""

    def error(self, line: int, message: str) -> None:
        """Record a problem at a 1-based line."""
        self.errors.append(ContentError(self.source, line, message))

    # --- name: value lines ------------------------------------------------------------------

    def read_fields(
        self, indexes: Iterable[int], names: Sequence[str], expected: str
    ) -> tuple[dict[str, _Field], bool]:
        """Read `name: value` lines, report bad ones, and tell whether any was malformed."""
        fields: dict[str, _Field] = {}
        malformed = False
        previous_malformed = False
        for index in indexes:
            text = self.lines[index].strip()
            if not text:
                previous_malformed = False
                continue
            match = _FIELD.fullmatch(text)
            if match is None:
                if not previous_malformed:
                    self.error(index + 1, f"{expected}, got '{_shorten(text)}'")
                malformed = previous_malformed = True
                continue
            previous_malformed = False
            name, value = match.group(1), match.group(2).strip()
            line = index + 1
            if name not in names:
                known = ", ".join(names)
                self.error(line, f"unknown metadata name '{name}' (expected one of: {known})")
            elif name in fields:
                first = fields[name].line
                self.error(line, f"duplicate metadata name '{name}' (first given on line {first})")
            else:
                fields[name] = _Field(name, value, line)
                if not value:
                    self.error(line, f"empty value for '{name}'")
        return fields, malformed

    # --- front matter -----------------------------------------------------------------------

    def front_matter(self) -> tuple[date, date, str] | None:
        """Parse the front matter; return its dates and language if they are valid."""
        lines = self.lines
        if lines[0].strip() != _FENCE:
            self.error(1, f"missing front matter: the file must start with a '{_FENCE}' line")
            return None
        close = next(
            (
                index
                for index in range(1, len(lines))
                if lines[index].strip() == _FENCE or lines[index].startswith("#")
            ),
            len(lines),
        )
        if close == len(lines) or lines[close].strip() != _FENCE:
            self.error(1, f"the front matter is not closed with a '{_FENCE}' line")
            close = 1
            while close < len(lines) and (
                not lines[close].strip() or _FIELD.fullmatch(lines[close].strip())
            ):
                close += 1
            self.body_start = close
        else:
            self.body_start = close + 1
        fields, _ = self.read_fields(
            range(1, close), FRONT_MATTER_NAMES, "expected 'name: value' in the front matter"
        )
        self.front_matter_lines = {name: item.line for name, item in fields.items()}
        missing = [name for name in FRONT_MATTER_NAMES if name not in fields]
        if missing:
            self.error(1, f"missing metadata in the front matter: {', '.join(missing)}")
        start = self.parse_date(fields.get("week-start"))
        end = self.parse_date(fields.get("week-end"))
        language = self.parse_language(fields.get("language"))
        if start is None or end is None:
            return None
        end_line = fields["week-end"].line
        days = (end - start).days + 1
        if end < start:
            self.error(end_line, f"week-end {end} is before week-start {start}")
            return None
        if days > MAX_WEEK_DAYS:
            self.error(
                end_line,
                f"the issue spans {days} days ({start} to {end}); "
                f"it may span at most {MAX_WEEK_DAYS}",
            )
            return None
        return None if language is None else (start, end, language)

    def parse_date(self, item: _Field | None) -> date | None:
        """Return a field's ISO date, reporting it if it is not one."""
        if item is None or not item.value:
            return None
        if _ISO_DATE.fullmatch(item.value):
            try:
                return date.fromisoformat(item.value)
            except ValueError:
                pass
        self.error(
            item.line, f"invalid date '{item.value}' for '{item.name}' (expected YYYY-MM-DD)"
        )
        return None

    def parse_language(self, item: _Field | None) -> str | None:
        """Return the field's language code, reporting it if it is not a known one."""
        if item is None or not item.value:
            return None
        if item.value not in LANGUAGES:
            known = ", ".join(LANGUAGES)
            self.error(item.line, f"unknown language '{item.value}' (expected one of: {known})")
            return None
        return item.value

    # --- commentaries -----------------------------------------------------------------------

    def commentaries(self, front_matter_found: bool) -> list[CommentaryDraft]:
        """Find the commentaries after the front matter and parse each of them."""
        start = self.body_start
        tokens = _PARSER.parse("\n".join(self.lines[start:]))
        headings: list[tuple[int, str]] = []
        blocks = self.blocks
        for index, token in enumerate(tokens):
            if token.level != 0 or token.map is None or token.nesting < 0:
                continue
            first = token.map[0] + start
            blocks[first] = token
            if token.type == "heading_open" and token.tag == "h1" and token.markup == "#":
                headings.append((first, tokens[index + 1].content.strip()))
            elif token.type == "fence" and not _fence_is_closed(token, self.lines, start):
                self.error(
                    first + 1,
                    f"code block opened here is never closed (add a '{token.markup}' line "
                    "after it)",
                )
        stop = headings[0][0] if headings else len(self.lines)
        stray = next((i for i in range(start, stop) if self.lines[i].strip()), None)
        if stray is not None and front_matter_found:
            self.error(
                stray + 1,
                "text before the first commentary (a commentary starts with a '# Title' line)",
            )
        if not headings:
            self.error(0, "no commentaries (a commentary starts with a '# Title' line)")
        drafts: list[CommentaryDraft] = []
        ends = [line for line, _ in headings[1:]]
        if headings:
            ends.append(len(self.lines))
        for position, ((heading, title), end) in enumerate(zip(headings, ends, strict=True)):
            draft = self.commentary(position, heading, title, end)
            if draft is not None:
                drafts.append(draft)
        return drafts

    def commentary(
        self,
        position: int,
        heading: int,
        title: str,
        stop: int,
    ) -> CommentaryDraft | None:
        """Parse the commentary whose `# ` line is at index `heading`, up to index `stop`."""
        errors = len(self.errors)
        line = heading + 1
        if not title:
            self.error(line, "empty title")
        self.check_length("title", title, line)
        metadata_end = heading + 1
        while metadata_end < stop and self.lines[metadata_end].strip():
            metadata_end += 1
        fields, malformed = self.read_fields(
            range(heading + 1, metadata_end),
            COMMENTARY_NAMES,
            "expected a 'name: value' metadata line or a blank line before the lead",
        )
        self.check_metadata(fields, line, no_metadata=metadata_end == heading + 1)
        key = fields["key"].value if "key" in fields else ""
        seen = self.keys
        if key and KEY_PATTERN.fullmatch(key):
            if key in seen:
                self.error(
                    fields["key"].line,
                    f"duplicate commentary key '{key}' (first used on line {seen[key]})",
                )
            else:
                seen[key] = fields["key"].line
                self.commentary_lines[key] = {"title": line} | {
                    name: item.line for name, item in fields.items()
                }
        texts = None if malformed else self.lead_and_body(metadata_end, stop, line)
        if texts is None or len(self.errors) > errors:
            return None
        lead, body = texts
        link = fields["link"].value if "link" in fields else None
        return CommentaryDraft(
            key=key,
            topic_key=fields["topic"].value,
            topic_name=fields["topic-name"].value,
            position=position,
            text=CommentaryText(
                language=self.language,
                title=title,
                kicker=fields["kicker"].value,
                author=fields["author"].value,
                lead=lead,
                body=body,
                link=link,
            ),
            line=line,
        )

    def check_metadata(self, fields: Mapping[str, _Field], line: int, no_metadata: bool) -> None:
        """Report missing metadata and values that break a rule."""
        missing = [name for name in REQUIRED_COMMENTARY_NAMES if name not in fields]
        if missing:
            hint = " (a '# ' line starts a new commentary; use '## ' for a subheading)"
            self.error(
                line, f"missing metadata: {', '.join(missing)}{hint if no_metadata else ''}"
            )
        for name in ("key", "topic"):
            item = fields.get(name)
            if item is not None and item.value and not KEY_PATTERN.fullmatch(item.value):
                self.error(
                    item.line,
                    f"invalid {name} '{item.value}' (expected up to 40 lowercase letters, "
                    "digits and hyphens, not starting with a hyphen)",
                )
        for name in ("topic-name", "kicker", "author"):
            item = fields.get(name)
            if item is not None:
                self.check_length(name, item.value, item.line)
        link = fields.get("link")
        if link is not None and link.value and not is_web_link(link.value):
            self.error(
                link.line, f"link must be an http:// or https:// URL, got '{_shorten(link.value)}'"
            )

    def check_length(self, name: str, value: str, line: int) -> None:
        """Report a value longer than its field allows."""
        limit = MAX_LENGTHS[name]
        if len(value) > limit:
            self.error(line, f"{name} is {len(value)} characters long (at most {limit})")

    def lead_and_body(self, metadata_end: int, stop: int, line: int) -> tuple[str, str] | None:
        """Return the lead and the body as Telegram HTML, reporting a missing lead."""
        lines = self.lines
        first = metadata_end
        while first < stop and not lines[first].strip():
            first += 1
        if first >= stop:
            self.error(line, "missing lead: add a paragraph after the metadata and a blank line")
            return None
        block = self.blocks.get(first)
        if block is None or block.type != "paragraph_open":
            kind = "block" if block is None else _BLOCK_NAMES.get(block.type, "block")
            self.error(first + 1, f"the lead must be a paragraph of text, not a {kind}")
            return None
        assert block.map is not None
        lead_end = block.map[1] + self.body_start
        lead = markdown_to_html("\n".join(lines[first:lead_end]))
        body_source = "\n".join(lines[lead_end:stop]).strip("\n")
        body = markdown_to_html(body_source) if body_source.strip() else ""
        return lead, body

    # --- the whole file ---------------------------------------------------------------------

    def parse(self) -> _Parsed:
        """Parse the file; raise `ContentErrors` with every problem found."""
        week = self.front_matter()
        if week is not None:
            self.language = week[2]
        found = self.lines[0].strip() == _FENCE
        commentaries = self.commentaries(front_matter_found=found)
        if self.errors or week is None:
            self.errors.sort(key=lambda error: error.line)
            raise ContentErrors(self.errors)
        start, end, language = week
        draft = IssueDraft(
            source=self.source,
            language=language,
            week_start=start,
            week_end=end,
            commentaries=tuple(commentaries),
        )
        return _Parsed(draft, self.front_matter_lines, self.commentary_lines)


def parse_issue(text: str, source: str) -> IssueDraft:
    """Parse one import file's text; raise `ContentErrors` listing every problem in it."""
    return _FileParser(text, source).parse().draft


def _read(path: Path) -> str:
    """Read a file as UTF-8; raise `ContentError` if it cannot be read or decoded."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ContentError(path.name, 0, f"cannot read the file: {exc.strerror or exc}") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start]
        raise ContentError(
            path.name, line, f"the file is not valid UTF-8 (byte 0x{byte:02x}); save it as UTF-8"
        ) from exc


def read_issue_files(paths: Iterable[Path]) -> list[IssueDraft]:
    """Parse import files and check them against each other; raise `ContentErrors` if any fail.

    The drafts come back in the order of `paths`. Nothing is returned unless every file is
    valid and the files agree with each other, so a caller storing them in one transaction
    imports either the whole batch or nothing.
    """
    errors: list[ContentError] = []
    parsed: list[_Parsed] = []
    for path in paths:
        try:
            parsed.append(_FileParser(_read(path), path.name).parse())
        except ContentError as exc:
            errors.append(exc)
        except ContentErrors as exc:
            errors.extend(exc.errors)
    errors.extend(_cross_file_errors(parsed))
    if errors:
        raise ContentErrors(errors)
    return [item.draft for item in parsed]


def _cross_file_errors(files: Sequence[_Parsed]) -> list[ContentError]:
    """Check that valid files agree with each other; return the problems found, by file."""
    order = {item.draft.source: index for index, item in reversed(list(enumerate(files)))}
    errors = [
        *_week_errors(files),
        *_commentary_errors(files),
        *_topic_name_errors(files),
        *_order_errors(files),
    ]
    return sorted(errors, key=lambda error: (order[error.source], error.line))


def _week_errors(files: Sequence[_Parsed]) -> Iterable[ContentError]:
    """Report weeks whose files disagree on week-end and languages given twice for a week."""
    weeks: dict[date, _Parsed] = {}
    languages: dict[tuple[date, str], _Parsed] = {}
    for item in files:
        draft = item.draft
        first = weeks.setdefault(draft.week_start, item)
        if first.draft.week_end != draft.week_end:
            yield ContentError(
                draft.source,
                item.front_matter["week-end"],
                f"week-end {draft.week_end} differs from week-end {first.draft.week_end} "
                f"in {first.draft.source} for the same week-start",
            )
        earlier = languages.setdefault((draft.week_start, draft.language), item)
        if earlier is not item:
            yield ContentError(
                draft.source,
                item.front_matter["language"],
                f"the week starting {draft.week_start} already has a file in language "
                f"'{draft.language}': {earlier.draft.source}",
            )


def _commentary_errors(files: Sequence[_Parsed]) -> Iterable[ContentError]:
    """Report commentary keys used in two weeks or given different topics in two files."""
    firsts: dict[str, tuple[_Parsed, CommentaryDraft]] = {}
    for item in files:
        for commentary in item.draft.commentaries:
            lines = item.fields[commentary.key]
            first, earlier = firsts.setdefault(commentary.key, (item, commentary))
            if first is item:
                continue
            where = f"{first.draft.source}:{earlier.line}"
            if first.draft.week_start != item.draft.week_start:
                yield ContentError(
                    item.draft.source,
                    lines["key"],
                    f"commentary key '{commentary.key}' is already used in the week starting "
                    f"{first.draft.week_start} ({where}); keys must be unique across weeks",
                )
            elif earlier.topic_key != commentary.topic_key:
                yield ContentError(
                    item.draft.source,
                    lines["topic"],
                    f"commentary '{commentary.key}' has topic '{commentary.topic_key}' here "
                    f"but '{earlier.topic_key}' in {where}",
                )


def _topic_name_errors(files: Sequence[_Parsed]) -> Iterable[ContentError]:
    """Report a topic named differently in two places of the same language."""
    names: dict[tuple[str, str], tuple[str, str]] = {}
    for item in files:
        for commentary in item.draft.commentaries:
            line = item.fields[commentary.key]["topic-name"]
            here = f"{item.draft.source}:{line}"
            topic = (commentary.topic_key, item.draft.language)
            name, where = names.setdefault(topic, (commentary.topic_name, here))
            if name != commentary.topic_name:
                yield ContentError(
                    item.draft.source,
                    line,
                    f"topic '{commentary.topic_key}' is named '{commentary.topic_name}' here "
                    f"but '{name}' in {where}",
                )


def _order_errors(files: Sequence[_Parsed]) -> Iterable[ContentError]:
    """Report commentaries of a week ordered differently in two languages."""
    weeks: dict[date, list[_Parsed]] = {}
    for item in files:
        earlier_files = weeks.setdefault(item.draft.week_start, [])
        keys = [commentary.key for commentary in item.draft.commentaries]
        for earlier in earlier_files:
            earlier_keys = [commentary.key for commentary in earlier.draft.commentaries]
            shared = set(keys) & set(earlier_keys)
            mine = [key for key in keys if key in shared]
            theirs = [key for key in earlier_keys if key in shared]
            wrong = next((a for a, b in zip(mine, theirs, strict=True) if a != b), None)
            if wrong is not None:
                yield ContentError(
                    item.draft.source,
                    item.fields[wrong]["title"],
                    f"commentary '{wrong}' is out of order compared with "
                    f"{earlier.draft.source} (keep the same order in every language)",
                )
                break
        earlier_files.append(item)


def parse_upload(text: str, source: str, stored: StoredContent) -> IssueDraft:
    """Parse one uploaded file and check it against what is stored; raise `ContentErrors`.

    An upload replaces one language of one week, so it must agree with the other languages
    already stored as a batch import's files agree with each other: the same week-end, the
    same topic for each commentary, the same order, keys unique across weeks; and it names
    each topic as the published issues do in its language.
    """
    parsed = _FileParser(text, source).parse()
    errors = sorted(_stored_errors(parsed, stored), key=lambda error: error.line)
    if errors:
        raise ContentErrors(errors)
    return parsed.draft


def _stored_errors(item: _Parsed, stored: StoredContent) -> Iterable[ContentError]:
    """Report where an uploaded file disagrees with the stored content."""
    draft = item.draft
    others = stored.week_languages - {draft.language}
    named = ", ".join(sorted(others))
    if others and stored.week_end is not None and stored.week_end != draft.week_end:
        yield ContentError(
            draft.source,
            item.front_matter["week-end"],
            f"week-end {draft.week_end} differs from week-end {stored.week_end} of the stored "
            f"issue of the week ({named})",
        )
    for commentary in draft.commentaries:
        lines = item.fields[commentary.key]
        known = stored.commentaries.get(commentary.key)
        if known is not None and known.week_start != draft.week_start:
            yield ContentError(
                draft.source,
                lines["key"],
                f"commentary key '{commentary.key}' already belongs to the issue of the week "
                f"starting {known.week_start}; keys must be unique across weeks",
            )
        elif known is not None and known.topic_key != commentary.topic_key:
            languages = known.languages - {draft.language}
            if languages:
                yield ContentError(
                    draft.source,
                    lines["topic"],
                    f"commentary '{commentary.key}' has topic '{commentary.topic_key}' here "
                    f"but '{known.topic_key}' in the stored version "
                    f"({', '.join(sorted(languages))})",
                )
        published = stored.topic_names.get(commentary.topic_key)
        if published is not None and published != commentary.topic_name:
            yield ContentError(
                draft.source,
                lines["topic-name"],
                f"topic '{commentary.topic_key}' is named '{commentary.topic_name}' here but "
                f"'{published}' in the published issues ({draft.language}); use the same name",
            )
    yield from _stored_order_errors(item, stored)


def _stored_order_errors(item: _Parsed, stored: StoredContent) -> Iterable[ContentError]:
    """Report the first commentary out of the order the other stored languages give."""
    draft = item.draft
    theirs = [
        known.key
        for known in sorted(stored.commentaries.values(), key=lambda known: known.position)
        if known.week_start == draft.week_start and known.languages - {draft.language}
    ]
    mine = [commentary.key for commentary in draft.commentaries if commentary.key in theirs]
    theirs = [key for key in theirs if key in mine]
    wrong = next((a for a, b in zip(mine, theirs, strict=True) if a != b), None)
    if wrong is not None:
        yield ContentError(
            draft.source,
            item.fields[wrong]["title"],
            f"commentary '{wrong}' is out of order compared with the stored versions of the "
            "week (keep the same order in every language)",
        )
