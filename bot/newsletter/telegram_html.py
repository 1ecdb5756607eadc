"""Telegram's HTML subset: conversion from Markdown, length counting, splitting, truncation.

Telegram accepts messages with `parse_mode="HTML"` written in a small subset of HTML and
checks the length of the text *after* entity parsing, in UTF-16 code units, against a limit
of 4096 (1024 for captions). Every function here shares one small tokenizer that follows
Telegram's own parser: tags with attributes, the entities `&lt;` `&gt;` `&amp;` `&quot;`
and numeric references (the semicolon is optional), everything else literal text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Final

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode
from telegram.constants import MessageLimit

from bot.newsletter.links import to_uri

MESSAGE_LIMIT: Final = MessageLimit.MAX_TEXT_LENGTH
"""Longest text of one message, in UTF-16 code units after entity parsing."""

CAPTION_LIMIT: Final = 1024
"""Longest caption of a media message, counted the same way."""

MIN_LIMIT: Final = 16
"""Smallest limit `split_html` accepts; smaller parts would be useless."""

SUPPORTED_TAGS: Final = frozenset(
    {
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
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)
"""Tag names Telegram's HTML parser accepts."""

SAFE_LINK_SCHEMES: Final = frozenset({"http", "https", "mailto", "tg"})
"""URL schemes `markdown_to_html` turns into links; other links keep their text only."""

# --- Tokenizer -------------------------------------------------------------------------------

_TAG: Final = re.compile(
    r"""<(/?)([A-Za-z][A-Za-z0-9-]*)"""
    r"""(?:\s+[^\s=<>"'/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'<>]+))?)*\s*>"""
)
_ENTITY: Final = re.compile(r"&(?:#([0-9]+)|#x([0-9A-Fa-f]+)|(lt|gt|amp|quot)(?![A-Za-z]));?")
_NAMED_ENTITIES: Final = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_MAX_DEC_DIGITS: Final = 7  # Telegram keeps longer numeric references as literal text
_MAX_HEX_DIGITS: Final = 6

_TEXT: Final = 0
_OPEN: Final = 1
_CLOSE: Final = 2


_Token = tuple[int, str, str, int]
"""One piece of Telegram HTML: the text between tags, an opening or a closing tag.

The fields are the kind; the markup reproducing the token (for text always safe to send);
the decoded text, or the lower-cased name of a tag; the offset in the plain text.
"""


def _decode_entity(match: re.Match[str]) -> str:
    """Return the character an entity stands for, or the entity itself if it is literal."""
    decimal, hexadecimal, named = match.groups()
    if named is not None:
        return _NAMED_ENTITIES[named]
    if decimal is not None:
        if len(decimal) > _MAX_DEC_DIGITS:
            return match.group(0)
        code = int(decimal)
    else:
        if len(hexadecimal) > _MAX_HEX_DIGITS:
            return match.group(0)
        code = int(hexadecimal, 16)
    if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return match.group(0)
    return chr(code)


def _decode_text(raw: str) -> str:
    """Decode the entities of text that contains no tags."""
    return _ENTITY.sub(_decode_entity, raw) if "&" in raw else raw


def _tokenize(html: str) -> tuple[list[_Token], str]:
    """Split Telegram HTML into tokens and return them with the plain text."""
    tokens: list[_Token] = []
    append = tokens.append
    pieces: list[str] = []
    offset = 0
    last = 0
    for match in _TAG.finditer(html):
        begin = match.start()
        if begin > last:
            raw = html[last:begin]
            value = _decode_text(raw)
            append((_TEXT, raw.replace("<", "&lt;") if "<" in raw else raw, value, offset))
            pieces.append(value)
            offset += len(value)
        last = match.end()
        slash, name = match.groups()
        append((_CLOSE if slash else _OPEN, match.group(0), name.lower(), offset))
    if last < len(html):
        raw = html[last:]
        value = _decode_text(raw)
        append((_TEXT, raw.replace("<", "&lt;") if "<" in raw else raw, value, offset))
        pieces.append(value)
    return tokens, "".join(pieces)


def _utf16_length(text: str) -> int:
    """Count UTF-16 code units: characters outside the BMP take two."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# --- Public helpers --------------------------------------------------------------------------


def escape(text: str) -> str:
    """Escape text for Telegram HTML (`&`, `<`, `>`; quotes stay as they are)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_attr(text: str) -> str:
    """Escape text for a double-quoted attribute value of Telegram HTML."""
    return escape(text).replace('"', "&quot;")


def link_html(address: str, inner_html: str) -> str | None:
    """Return a link to an address (an IRI is encoded), or None if it is not a valid one."""
    try:
        href = to_uri(address)
    except ValueError:
        return None
    return f'<a href="{escape_attr(href)}">{inner_html}</a>'


def html_to_text(html: str) -> str:
    """Return the plain text of Telegram HTML: tags removed, entities decoded."""
    if "&" not in html:
        return _TAG.sub("", html)
    # Text between tags is decoded piece by piece: removing a tag must not join an entity.
    # The pattern has two groups, so every third item of the split is text.
    return "".join(map(_decode_text, _TAG.split(html)[::3]))


def telegram_length(html: str) -> int:
    """Return the length Telegram checks against its limit, in UTF-16 code units."""
    return _utf16_length(html_to_text(html))


# --- Splitting -------------------------------------------------------------------------------

_SENTENCE_END: Final = re.compile(r"[.!?…]+[\"'»”’)\]]*(?=\s)")
_NON_SPACE: Final = re.compile(r"\S")
_LITERAL_TAGS: Final = frozenset({"a", "code", "pre", "tg-emoji"})
"""Elements whose content an appended ellipsis must not become part of."""
_TRUNCATE_TRAILING: Final = ",;:.-–—"


def _skip_space(plain: str, position: int) -> int:
    """Return the first offset at or after `position` that is not whitespace."""
    match = _NON_SPACE.search(plain, position)
    return len(plain) if match is None else match.start()


def _fit(plain: str, start: int, limit: int, astral: bool) -> int:
    """Return the largest end such that plain[start:end] takes at most `limit` units."""
    end = min(len(plain), start + limit)
    if not astral:
        return end
    excess = _utf16_length(plain[start:end]) - limit
    while excess > 0:
        # Dropping excess // 2 characters drops at most `excess` units: never too many.
        end -= max(1, excess // 2)
        excess = _utf16_length(plain[start:end]) - limit
    return end


def _joins_previous(plain: str, position: int) -> bool:
    """Tell whether a cut before plain[position] would tear a visible character apart."""
    char = plain[position]
    before = plain[position - 1]
    if before == "\u200d" or char == "\u200d" or "\ufe00" <= char <= "\ufe0f":
        return True
    if "\U0001f3fb" <= char <= "\U0001f3ff" or "\U000e0020" <= char <= "\U000e007f":
        return True
    if "\U0001f1e6" <= char <= "\U0001f1ff" and "\U0001f1e6" <= before <= "\U0001f1ff":
        run = 0
        index = position - 1
        while index >= 0 and "\U0001f1e6" <= plain[index] <= "\U0001f1ff":
            run += 1
            index -= 1
        return run % 2 == 1
    return unicodedata.category(char) in ("Mn", "Mc", "Me")


def _hard_cut(plain: str, start: int, end: int) -> int:
    """Return a cut at or before `end` that does not split a visible character."""
    cut = end
    while cut > start + 1 and _joins_previous(plain, cut):
        cut -= 1
    return cut if cut > start + 1 or not _joins_previous(plain, cut) else end


def _choose_cut(plain: str, start: int, end: int, atomic: list[tuple[int, int]]) -> int:
    """Pick where the part starting at `start` and fitting up to `end` should end."""
    if end >= len(plain):
        return len(plain)
    # A boundary of a preferred kind is taken only if it keeps the part at least half full.
    floor = start + (end - start) // 2
    cut = plain.rfind("\n\n", start, end + 2)
    if cut <= floor:
        cut = plain.rfind("\n", start, end + 1)
    if cut <= floor:
        cut = -1
        for match in _SENTENCE_END.finditer(plain, start, end + 1):
            cut = match.end()
    if cut <= floor:
        cut = plain.rfind(" ", start, end + 1)
    if cut <= floor:
        cut = _hard_cut(plain, start, end)
    for first, last in atomic:
        if first < cut < last:
            cut = first if first > start else last
            break
    return cut


def _atomic_spans(tokens: list[_Token]) -> list[tuple[int, int]]:
    """Return plain-text spans that must not be cut: the content of custom emoji."""
    spans: list[tuple[int, int]] = []
    opened: list[int] = []
    for kind, _, value, start in tokens:
        if value != "tg-emoji" or kind == _TEXT:
            continue
        if kind == _OPEN:
            opened.append(start)
        elif opened:
            first = opened.pop()
            if not opened:
                spans.append((first, start))
    return spans


def _apply_tag(stack: list[tuple[str, str]], kind: int, raw: str, name: str) -> str:
    """Update the stack of open elements with a tag and return the markup to emit."""
    if kind == _OPEN:
        stack.append((name, raw))
        return raw
    for depth in range(len(stack) - 1, -1, -1):
        if stack[depth][0] == name:
            closed = stack[depth:]
            del stack[depth:]
            return _closing(closed)
    return ""


def _closing(stack: list[tuple[str, str]]) -> str:
    """Return the closing tags of every open element, innermost first."""
    return "".join(f"</{name}>" for name, _ in reversed(stack))


class _Renderer:
    """Walk the tokens once, rendering consecutive plain-text ranges as fragments."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.stack: list[tuple[str, str]] = []

    def render(self, start: int, end: int) -> str:
        """Return plain[start:end] as HTML with the open elements reopened, not yet closed."""
        tokens = self.tokens
        count = len(tokens)
        stack = self.stack
        index = self.index
        while index < count:
            kind, raw, value, first = tokens[index]
            if kind == _TEXT:
                if first + len(value) > start:
                    break
            elif first > start:
                break
            else:
                _apply_tag(stack, kind, raw, value)
            index += 1
        out = [opening for _, opening in stack]
        while index < count:
            kind, raw, value, first = tokens[index]
            if first >= end:
                break
            if kind != _TEXT:
                out.append(_apply_tag(stack, kind, raw, value))
                index += 1
                continue
            stop = first + len(value)
            if first >= start and stop <= end:
                out.append(raw)
            else:
                out.append(escape(value[max(start - first, 0) : end - first]))
            if stop > end:
                break
            index += 1
        self.index = index
        return "".join(out)


def _check_limit(limit: int) -> None:
    """Reject limits too small to hold a meaningful part."""
    if limit < MIN_LIMIT:
        raise ValueError(f"limit must be at least {MIN_LIMIT}, got {limit}")


@lru_cache(maxsize=128)
def _split(html: str, limit: int) -> tuple[str, ...]:
    """Split stripped Telegram HTML into parts; cached because broadcasts repeat texts."""
    tokens, plain = _tokenize(html)
    if not plain.strip():
        return ()
    if _utf16_length(plain) <= limit:
        return (html,)
    astral = _utf16_length(plain) != len(plain)
    atomic = _atomic_spans(tokens)
    renderer = _Renderer(tokens)
    parts: list[str] = []
    start = _skip_space(plain, 0)
    while start < len(plain):
        cut = _choose_cut(plain, start, _fit(plain, start, limit, astral), atomic)
        end = start + len(plain[start:cut].rstrip())
        parts.append(renderer.render(start, end) + _closing(renderer.stack))
        start = _skip_space(plain, cut)
    return tuple(parts)


def split_html(html: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split Telegram HTML into well-formed parts of at most `limit` UTF-16 units each.

    Cuts prefer, in this order, paragraph breaks, line breaks, sentence ends, spaces and
    only then the inside of a word; a preferred boundary is used when it keeps the part at
    least half full. Elements open at a cut are closed and reopened in the next part.
    Blank input gives an empty list.
    """
    _check_limit(limit)
    return list(_split(html.strip(), limit))


def truncate_html(html: str, limit: int, ellipsis: str = "…") -> str:
    """Return the beginning of Telegram HTML that fits `limit`, ending with `ellipsis`.

    The text is returned stripped but otherwise unchanged when it already fits. The
    ellipsis is plain text (it is escaped) and is placed inside formatting such as bold
    or a quote, but outside links and code.
    """
    html = html.strip()
    if telegram_length(html) <= limit:
        return html
    budget = limit - _utf16_length(ellipsis)
    if budget < 1:
        raise ValueError(f"limit {limit} leaves no room for the text before the ellipsis")
    tokens, plain = _tokenize(html)
    start = _skip_space(plain, 0)
    end = _fit(plain, start, budget, _utf16_length(plain) != len(plain))
    if end <= start:
        return escape(ellipsis)
    cut = _choose_cut(plain, start, end, _atomic_spans(tokens))
    kept = plain[start:cut].rstrip()
    trimmed = kept.rstrip(_TRUNCATE_TRAILING).rstrip()
    renderer = _Renderer(tokens)
    body = renderer.render(start, start + len(trimmed or kept))
    stack = renderer.stack
    split_at = next(
        (depth for depth, (name, _) in enumerate(stack) if name in _LITERAL_TAGS), len(stack)
    )
    return body + _closing(stack[split_at:]) + escape(ellipsis) + _closing(stack[:split_at])


def truncate_text(text: str, limit: int, ellipsis: str = "…") -> str:
    """Return plain text cut to `limit` UTF-16 units, ending with `ellipsis` when cut.

    The text is stripped; a cut prefers a word boundary and never splits a character.
    """
    return html_to_text(truncate_html(escape(text), limit, ellipsis))


# --- Markdown --------------------------------------------------------------------------------

_SCHEME: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_INLINE_TAGS: Final = {"strong": "b", "em": "i", "s": "s"}
_BREAKS: Final = {"softbreak": " ", "hardbreak": "\n"}
_LISTS: Final = frozenset({"bullet_list", "ordered_list"})
_RULE: Final = "———"
_BULLET: Final = "• "
_INDENT: Final = "  "
_LINE_START: Final = re.compile(r"(?<=\n)(?=[^\n])")


def _new_parser() -> MarkdownIt:
    """Create a CommonMark parser with strikethrough and raw HTML disabled."""
    parser = MarkdownIt("commonmark", {"html": False}).enable("strikethrough")
    # Every link is parsed; the renderer keeps only safe schemes and shows the rest as text.
    parser.validateLink = lambda url: True  # type: ignore[method-assign]
    # Destinations come through as written; `links.to_uri` encodes every href in one place.
    parser.normalizeLink = lambda url: url  # type: ignore[method-assign]
    return parser


_PARSER: Final = _new_parser()


def _is_safe_link(url: str) -> bool:
    """Tell whether a URL uses a scheme Telegram links may point to."""
    match = _SCHEME.match(url)
    return match is not None and match.group(1).lower() in SAFE_LINK_SCHEMES


class _MarkdownRenderer:
    """Render a markdown-it syntax tree as Telegram HTML."""

    def __init__(self) -> None:
        self.open_tags: dict[str, int] = {}
        self.in_link = False
        self.in_quote = False

    def blocks(self, nodes: list[SyntaxTreeNode], depth: int = 0) -> list[str]:
        """Render block nodes, dropping the ones that come out empty."""
        rendered = (self.block(node, depth) for node in nodes)
        return [text for text in rendered if text]

    def block(self, node: SyntaxTreeNode, depth: int) -> str:
        """Render one block node."""
        kind = node.type
        if kind in _LISTS:
            return self.list_block(node, depth)
        if kind in ("code_block", "fence"):
            return self.code_block(node)
        if kind == "blockquote":
            return self.blockquote(node, depth)
        if kind == "heading":
            return self.wrap("b", node)
        if kind == "hr":
            return _RULE
        # Paragraphs hold one inline node; anything else unexpected is rendered as its text.
        return self.inline(node).strip()

    def blockquote(self, node: SyntaxTreeNode, depth: int) -> str:
        """Render a quote; quotes inside quotes merge into the outer one (Telegram rule)."""
        if self.in_quote:
            return "\n\n".join(self.blocks(node.children, depth))
        self.in_quote = True
        try:
            inner = "\n\n".join(self.blocks(node.children, depth))
        finally:
            self.in_quote = False
        return f"<blockquote>{inner}</blockquote>" if inner else ""

    def code_block(self, node: SyntaxTreeNode) -> str:
        """Render a fenced or indented code block as `<pre>`."""
        code = escape(node.content.rstrip("\n"))
        words = node.info.split() if node.type == "fence" else []
        if words:
            return f'<pre><code class="language-{escape_attr(words[0])}">{code}</code></pre>'
        return f"<pre>{code}</pre>"

    def list_block(self, node: SyntaxTreeNode, depth: int) -> str:
        """Render a list as one line per item, nested lists indented by level."""
        indent = _INDENT * depth
        ordered = node.type == "ordered_list"
        number = int(str(node.attrs.get("start", 1))) if ordered else 0
        lines: list[str] = []
        for item in node.children:
            marker = f"{number}. " if ordered else _BULLET
            number += 1
            head = indent + marker
            rest: list[str] = []
            for position, child in enumerate(item.children):
                if child.type in _LISTS:
                    nested = self.list_block(child, depth + 1)
                    if nested:
                        rest.append(nested)
                    continue
                text = self.block(child, depth + 1)
                if not text:
                    continue
                continuation = indent + _INDENT
                if child.type not in ("code_block", "fence"):
                    text = _LINE_START.sub(continuation, text)
                if position == 0:
                    head += text
                else:
                    rest.append(continuation + text)
            lines.append("\n".join([head.rstrip(), *rest]))
        return "\n".join(lines)

    def wrap(self, tag: str, node: SyntaxTreeNode) -> str:
        """Render children inside `tag`, without nesting a tag inside itself."""
        level = self.open_tags.get(tag, 0)
        self.open_tags[tag] = level + 1
        try:
            inner = self.inline_children(node)
        finally:
            self.open_tags[tag] = level
        if level or not inner:
            return inner
        return f"<{tag}>{inner}</{tag}>"

    def inline_children(self, node: SyntaxTreeNode) -> str:
        """Render the inline content below a node."""
        return "".join(self.inline(child) for child in node.children)

    def link(self, url: str, node: SyntaxTreeNode) -> str:
        """Render a link, or only its text if its scheme is unsafe or it sits in a link."""
        if self.in_link:
            return self.inline_children(node)
        self.in_link = True
        try:
            inner = self.inline_children(node)
        finally:
            self.in_link = False
        if not _is_safe_link(url):
            return inner
        return link_html(url, inner or escape(url)) or inner

    def inline(self, node: SyntaxTreeNode) -> str:
        """Render one inline node."""
        kind = node.type
        if kind in _BREAKS:
            return _BREAKS[kind]
        if kind == "code_inline":
            return f"<code>{escape(node.content)}</code>"
        if kind in _INLINE_TAGS:
            return self.wrap(_INLINE_TAGS[kind], node)
        if kind in ("link", "image"):
            return self.link(str(node.attrs.get("href" if kind == "link" else "src", "")), node)
        return self.inline_children(node) if node.children else escape(node.content)


def markdown_to_html(source: str) -> str:
    """Convert Markdown (CommonMark with strikethrough) to Telegram HTML."""
    tree = SyntaxTreeNode(_PARSER.parse(source))
    return "\n\n".join(_MarkdownRenderer().blocks(tree.children)).strip()
