"""Parse Telegram's HTML subset into plain text and message entities.

The rules follow Telegram's parser: tag and attribute handling, the error reasons and the byte
offsets in them match what the Bot API answers. It is stricter in one respect: a ``&`` that
does not start a known character reference is refused instead of being kept literally, so text
that was not escaped is caught.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)

_SIMPLE_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
}

_NAMED_REFERENCES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACES = frozenset(" \t\r\n\f\v\0")
_SPECIAL = re.compile(r"[<&]")
_ATTRIBUTE_TEXT = re.compile(r"[&\"']")
_DECIMAL = frozenset("0123456789")
_HEXADECIMAL = frozenset("0123456789abcdefABCDEF")
_MAX_NESTING = 1000
_BOT_COMMAND = re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])")


_WEB_LINK = re.compile(r"(?i)https?://([^/?#]*)")
_HOST_LABEL = re.compile(r"[\w-]{1,63}")
"""A label of a host name: letters (any script), digits, ``-`` and ``_``."""


def keeps_link(href: str) -> bool:
    """Tell whether Telegram keeps a link to ``href`` rather than leaving its text plain.

    As in Telegram, an ``http(s)`` address needs a host name of at least two valid labels
    (letters of any script, digits, ``-``, ``_``) or an IP address, and a port from 1 to
    65535; the rest of it may be percent-encoded or not. A link failing these checks is
    dropped silently, without an error, and its text arrives plain. Other schemes pass.
    """
    match = _WEB_LINK.match(href)
    if match is None:
        return not re.match(r"(?i)https?:", href)
    authority = match.group(1).rpartition("@")[2]
    if authority.startswith("["):
        address, _, port = authority[1:].partition("]")
        host_ok = bool(address) and (not port or port.startswith(":"))
        port = port.removeprefix(":")
    else:
        host, _, port = authority.partition(":")
        labels = host.removesuffix(".").split(".")
        host_ok = len(labels) > 1 and all(_HOST_LABEL.fullmatch(label) for label in labels)
    if port and not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        return False
    return host_ok


class HtmlParseError(ValueError):
    """Text is not valid Telegram HTML; the message is the reason Telegram gives."""


@dataclass(frozen=True)
class ParsedText:
    """Plain text with its entities in Bot API JSON form, offsets in UTF-16 code units."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def utf16_len(text: str) -> int:
    """Return the length of ``text`` in UTF-16 code units, as Telegram counts it."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _is_name_char(char: str) -> bool:
    """Tell whether ``char`` may appear in an unquoted attribute value."""
    return (char.isascii() and char.isalnum()) or char in ".-"


@dataclass
class _OpenTag:
    tag: str
    argument: str
    offset: int


@dataclass
class _Entity:
    type: str
    offset: int
    length: int
    extra: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "offset": self.offset, "length": self.length, **self.extra}


class _HtmlParser:
    """Single-use parser over one source string."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.n = len(source)
        self.out: list[str] = []
        self.utf16 = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[_Entity] = []

    def byte_offset(self, index: int) -> int:
        return len(self.src[:index].encode("utf-8"))

    def append(self, chunk: str) -> None:
        self.out.append(chunk)
        self.utf16 += utf16_len(chunk)

    def parse(self) -> ParsedText:
        src, n, pos = self.src, self.n, 0
        while pos < n:
            match = _SPECIAL.search(src, pos)
            if match is None:
                self.append(src[pos:])
                break
            start = match.start()
            if start > pos:
                self.append(src[pos:start])
            if src[start] == "&":
                char, pos = self.decode_reference(start)
                self.append(char)
            elif start + 1 < n and src[start + 1] == "/":
                pos = self.end_tag(start)
            else:
                pos = self.start_tag(start)
        if self.stack:
            raise HtmlParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].tag}"'
            )
        self.entities.sort(key=lambda e: (e.offset, -e.length))
        return ParsedText("".join(self.out), [e.to_json() for e in self.entities])

    def decode_reference(self, begin: int) -> tuple[str, int]:
        """Decode the character reference at ``begin``; return it and the index after it."""
        src, n = self.src, self.n
        if src.startswith("&#", begin):
            index = begin + 2
            is_hex = index < n and src[index] in "xX"
            if is_hex:
                index += 1
            digits = _HEXADECIMAL if is_hex else _DECIMAL
            first = index
            while index < n and src[index] in digits:
                index += 1
            if index == first:
                raise self.unescaped_ampersand(begin)
            code = int(src[first:index], 16 if is_hex else 10)
            if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise HtmlParseError(
                    f"Invalid character reference at byte offset {self.byte_offset(begin)}"
                )
            if index < n and src[index] == ";":
                index += 1
            return chr(code), index
        index = begin + 1
        while index < n and src[index].isascii() and src[index].isalpha():
            index += 1
        name = src[begin + 1 : index]
        char = _NAMED_REFERENCES.get(name)
        terminated = index < n and src[index] == ";"
        if char is None:
            if name and terminated:
                raise HtmlParseError(
                    f'Unsupported HTML entity "&{name};" at byte offset {self.byte_offset(begin)}'
                )
            raise self.unescaped_ampersand(begin)
        return char, index + 1 if terminated else index

    def unescaped_ampersand(self, begin: int) -> HtmlParseError:
        return HtmlParseError(
            f'Character "&" at byte offset {self.byte_offset(begin)} must be escaped as "&amp;"'
        )

    def skip_spaces(self, index: int) -> int:
        while index < self.n and self.src[index] in _SPACES:
            index += 1
        return index

    def start_tag(self, begin: int) -> int:  # noqa: PLR0912 - mirrors Telegram's tag grammar
        """Parse the start tag at ``begin``; return the index after its ``>``."""
        src, n = self.src, self.n
        unclosed = HtmlParseError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        index = begin + 1
        while index < n and src[index] not in _SPACES and src[index] != ">":
            index += 1
        if index >= n:
            raise unclosed
        tag = src[begin + 1 : index].lower()
        if tag not in SUPPORTED_TAGS:
            raise HtmlParseError(
                f'Unsupported start tag "{tag}" at byte offset {self.byte_offset(begin)}'
            )
        argument = ""
        while True:
            index = self.skip_spaces(index)
            if index >= n:
                raise unclosed
            if src[index] == ">":
                break
            name_begin = index
            while index < n and src[index] not in _SPACES and src[index] not in "=>":
                index += 1
            attribute = src[name_begin:index].lower()
            if not attribute:
                raise HtmlParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset '
                    f"{self.byte_offset(begin)}"
                )
            index = self.skip_spaces(index)
            if index >= n:
                raise unclosed
            if src[index] != "=":
                if tag == "blockquote" and attribute == "expandable":
                    argument = "expandable"
                    continue
                raise HtmlParseError(
                    f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                    f"at byte offset {self.byte_offset(begin)}"
                )
            index = self.skip_spaces(index + 1)
            if index >= n:
                raise unclosed
            value, index = self.attribute_value(index, unclosed)
            if tag == "a" and attribute == "href":
                argument = value
            elif tag == "code" and attribute == "class" and value.startswith("language-"):
                argument = value.removeprefix("language-")
            elif tag == "span" and attribute == "class" and value.startswith("tg-"):
                argument = value.removeprefix("tg-")
            elif (tag == "tg-emoji" and attribute == "emoji-id") or (
                tag == "blockquote" and attribute == "expandable"
            ):
                argument = value or "expandable"
        if tag == "span" and argument != "spoiler":
            raise HtmlParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(begin)}'
            )
        if len(self.stack) >= _MAX_NESTING:
            raise HtmlParseError("Too many nested tags")
        self.stack.append(_OpenTag(tag, argument, self.utf16))
        return index + 1

    def attribute_value(self, index: int, unclosed: HtmlParseError) -> tuple[str, int]:
        """Read a quoted or bare attribute value at ``index``; return it and the next index."""
        src, n = self.src, self.n
        quote = src[index]
        if quote not in "'\"":
            first = index
            while index < n and _is_name_char(src[index]):
                index += 1
            if index >= n:
                raise unclosed
            if src[index] not in _SPACES and src[index] != ">":
                raise HtmlParseError(
                    f"Unexpected end of name token at byte offset {self.byte_offset(first)}"
                )
            return src[first:index].lower(), index
        index += 1
        parts: list[str] = []
        while True:
            match = _ATTRIBUTE_TEXT.search(src, index)
            if match is None:
                raise unclosed
            stop = match.start()
            parts.append(src[index:stop])
            if src[stop] == quote:
                return "".join(parts), stop + 1
            if src[stop] == "&":
                char, index = self.decode_reference(stop)
                parts.append(char)
            else:
                parts.append(src[stop])
                index = stop + 1

    def end_tag(self, begin: int) -> int:
        """Parse the end tag at ``begin``, record its entity; return the index after it."""
        src, n = self.src, self.n
        index = begin + 2
        while index < n and src[index] not in _SPACES and src[index] != ">":
            index += 1
        name = src[begin + 2 : index].lower()
        index = self.skip_spaces(index)
        if index >= n or src[index] != ">":
            raise HtmlParseError(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        if not self.stack:
            raise HtmlParseError(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        top = self.stack[-1]
        if name and name != top.tag:
            raise HtmlParseError(
                f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                f'expected "</{top.tag}>", found "</{name}>"'
            )
        self.stack.pop()
        self.close(top)
        return index + 1

    def close(self, top: _OpenTag) -> None:
        """Turn a closed tag into an entity unless it wraps no text."""
        length = self.utf16 - top.offset
        if length <= 0:
            return
        tag, argument, offset = top.tag, top.argument, top.offset
        simple = _SIMPLE_ENTITY_TYPES.get(tag)
        if simple is not None:
            self.entities.append(_Entity(simple, offset, length))
        elif tag == "a":
            if argument and keeps_link(argument):
                self.entities.append(_Entity("text_link", offset, length, {"url": argument}))
        elif tag == "tg-emoji":
            if not argument.isdigit():
                raise HtmlParseError("Invalid custom emoji identifier specified")
            self.entities.append(
                _Entity("custom_emoji", offset, length, {"custom_emoji_id": argument})
            )
        elif tag == "code":
            extra = {"language": argument} if argument else {}
            self.entities.append(_Entity("code", offset, length, extra))
        elif tag == "pre":
            last = self.entities[-1] if self.entities else None
            extra = {}
            if last and last.type == "code" and last.offset == offset and last.length == length:
                self.entities.pop()
                extra = last.extra
            self.entities.append(_Entity("pre", offset, length, extra))
        else:  # blockquote
            kind = "expandable_blockquote" if argument else "blockquote"
            self.entities.append(_Entity(kind, offset, length))


def parse_html(source: str) -> ParsedText:
    """Parse Telegram HTML into plain text and entities.

    Raises:
        HtmlParseError: The text is not valid Telegram HTML; the message is Telegram's reason.
    """
    parsed = _HtmlParser(source).parse()
    for entity in parsed.entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return parsed


def strip_text(parsed: ParsedText) -> ParsedText:
    """Trim surrounding whitespace as Telegram does and clip the entities to what remains."""
    text = parsed.text
    stripped = text.strip()
    if stripped == text:
        return parsed
    if not stripped:
        return ParsedText("", [])
    shift = utf16_len(text[: len(text) - len(text.lstrip())])
    end = shift + utf16_len(stripped)
    entities = []
    for entity in parsed.entities:
        start = max(entity["offset"], shift)
        stop = min(entity["offset"] + entity["length"], end)
        if stop > start:
            entities.append({**entity, "offset": start - shift, "length": stop - start})
    return ParsedText(stripped, entities)


def find_bot_commands(text: str) -> list[dict[str, Any]]:
    """Return ``bot_command`` entities for ``/command`` and ``/command@bot`` in ``text``."""
    entities = []
    for match in _BOT_COMMAND.finditer(text):
        entities.append(
            {
                "type": "bot_command",
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group()),
            }
        )
    return entities
