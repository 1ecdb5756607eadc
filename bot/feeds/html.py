"""A website's HTML to Telegram's: sanitized by nh3, then rebuilt by walking the tree.

nh3 (Rust's ammonia) decides what is safe: scripts, styles, event attributes and unknown
tags go, and its output is well-formed. A walk over that output with the standard
`html.parser` then keeps the structure readers need in the tags Telegram accepts:

- paragraphs and `div`s end in a blank line, `<br>` in a line break;
- headings become bold lines; list items become `•` or `1.` lines, indented when nested;
- block quotes stay quotes; `pre` and `code` stay code;
- images and embedded videos become a link with their caption (alt text, title or figure
  caption), tables become one line per row with ` · ` between the cells;
- relative links resolve against the post's address, and every href is percent-encoded
  (`bot.newsletter.links.to_uri`); links that are not web or mail addresses keep their text;
- entities (`&#8217;`, `&nbsp;`, `&laquo;`) become characters, and the text is escaped again
  only for `&`, `<` and `>`.

No regular expression ever looks at the HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Final
from urllib.parse import urljoin, urlsplit

import nh3

from bot.newsletter.links import to_uri
from bot.newsletter.telegram_html import escape, escape_attr

_INLINE: Final = {
    "b": "b",
    "strong": "b",
    "i": "i",
    "em": "i",
    "cite": "i",
    "u": "u",
    "ins": "u",
    "s": "s",
    "del": "s",
    "strike": "s",
    "code": "code",
}
"""Inline tags and the Telegram tag each becomes."""

_BLOCKS: Final = frozenset(
    {"p", "div", "figure", "section", "article", "header", "footer", "aside", "table", "dl"}
)
_HEADINGS: Final = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_ROW_CELLS: Final = frozenset({"td", "th"})
_SKIPPED: Final = frozenset({"script", "style", "noscript", "template", "svg", "math"})

ALLOWED_TAGS: Final = frozenset(
    {
        *_INLINE,
        *_BLOCKS,
        *_HEADINGS,
        *_ROW_CELLS,
        "a",
        "br",
        "hr",
        "ul",
        "ol",
        "li",
        "blockquote",
        "pre",
        "img",
        "iframe",
        "video",
        "source",
        "figcaption",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "caption",
        "dt",
        "dd",
    }
)
"""What nh3 keeps for the walk; everything else is unwrapped (its text stays)."""

_ATTRIBUTES: Final = {
    "a": {"href"},
    "img": {"src", "alt", "title"},
    "iframe": {"src", "title"},
    "video": {"src", "title"},
    "source": {"src"},
}
_SCHEMES: Final = frozenset({"http", "https", "mailto"})
_BULLET: Final = "•"
_INDENT: Final = "  "
_RULE: Final = "———"
_PICTURE: Final = "🖼"
_VIDEO: Final = "▶"
_CELL_SEPARATOR: Final = " · "
_HTML_SPACE: Final = str.maketrans("\t\n\r\f", "    ")
"""HTML's white space is ASCII only: a no-break space is a character to keep."""


def sanitize(html: str) -> str:
    """Return `html` with only the tags and attributes the walk understands, well-formed."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(_SKIPPED),
        attributes={tag: set(names) for tag, names in _ATTRIBUTES.items()},
        url_schemes=set(_SCHEMES),
        link_rel=None,
        strip_comments=True,
    )


def _web_address(href: str | None, base: str | None) -> str | None:
    """Return an absolute, percent-encoded address, or None if it is not a usable link."""
    if not href or not href.strip():
        return None
    address = urljoin(base, href.strip()) if base else href.strip()
    parts = urlsplit(address)
    if parts.scheme not in _SCHEMES or (parts.scheme != "mailto" and not parts.netloc):
        return None
    try:
        return to_uri(address)
    except ValueError:
        return None


def _file_name(address: str) -> str:
    path = urlsplit(address).path.rstrip("/")
    return path.rsplit("/", 1)[-1] or urlsplit(address).netloc


@dataclass
class _Open:
    tag: str
    markup: str
    emitted: bool = False


@dataclass
class _List:
    ordered: bool
    number: int = 0


@dataclass
class _Walker(HTMLParser):
    """Rebuild sanitized HTML as Telegram HTML; `first_block` stops after one paragraph."""

    base: str | None
    first_block: bool = False
    out: list[str] = field(default_factory=list)
    open_tags: list[_Open] = field(default_factory=list)
    lists: list[_List] = field(default_factory=list)
    pending_break: int = 0
    pre: int = 0
    link_depth: list[bool] = field(default_factory=list)
    cells_in_row: int = 0
    figure_media: list[str] = field(default_factory=list)
    done: bool = False
    wrote_text: bool = False

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    # -- output helpers -----------------------------------------------------------------

    def _block_break(self, lines: int = 2) -> None:
        if self.first_block and lines == 2 and self.wrote_text:
            self.done = True
        self.pending_break = max(self.pending_break, lines)

    def _emit_break(self) -> None:
        if self.pending_break and self.wrote_text:
            self.out.append("\n" * self.pending_break)
        self.pending_break = 0

    def _text(self, text: str) -> None:
        if self.done or not text:
            return
        self._emit_break()
        self._emit_opens()
        self.out.append(escape(text))
        self.wrote_text = True

    def _markup(self, markup: str) -> None:
        if not self.done:
            self._emit_break()
            self._emit_opens()
            self.out.append(markup)

    def _emit_opens(self) -> None:
        for element in self.open_tags:
            if not element.emitted:
                self.out.append(element.markup)
                element.emitted = True

    def _open(self, tag: str, markup: str | None = None) -> None:
        """Open a Telegram tag (`markup` for one with attributes) once text comes inside it.

        An element that never gets text is never written, and a break pending before it
        stays outside it.
        """
        if not self.done:
            self.open_tags.append(_Open(tag, markup or f"<{tag}>"))

    def _close(self, tag: str) -> None:
        if all(element.tag != tag for element in self.open_tags):
            return
        while self.open_tags:
            element = self.open_tags.pop()
            if element.emitted:
                self.out.append(f"</{element.tag}>")
            if element.tag == tag:
                return

    def _media(self, marker: str, address: str | None, caption: str) -> None:
        if address is None:
            if caption:
                self._text(f"{marker} {caption}")
            return
        self._block_break(1)
        label = caption or _file_name(address)
        self._text(f"{marker} ")
        self._markup(f'<a href="{escape_attr(address)}">{escape(label)}</a>')
        self.wrote_text = True
        self._block_break(1)

    # -- the walk ----------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:  # noqa: PLR0912
        values = dict(attrs)
        if tag in _INLINE and not self.pre:
            self._open(_INLINE[tag])
        elif tag == "a":
            address = _web_address(values.get("href"), self.base)
            self.link_depth.append(address is not None)
            if address is not None:
                self._open("a", f'<a href="{escape_attr(address)}">')
        elif tag == "br":
            self.pending_break = max(self.pending_break, 1)
            if not self.wrote_text:
                self.pending_break = 0
            self._emit_break_if_pre()
        elif tag in _BLOCKS or tag in ("caption", "dt", "dd", "figcaption"):
            self._block_break(1 if tag in ("dt", "dd", "figcaption") else 2)
        elif tag in _HEADINGS:
            self._block_break()
            self._open("b")
        elif tag in ("ul", "ol"):
            self._block_break(1 if self.lists else 2)
            self.lists.append(_List(ordered=tag == "ol"))
        elif tag == "li":
            self._list_item()
        elif tag == "blockquote":
            self._block_break()
            self._open("blockquote")
        elif tag == "pre":
            self._block_break()
            self._open("pre")
            self.pre += 1
        elif tag == "hr":
            self._block_break()
            self._text(_RULE)
            self._block_break()
        elif tag == "tr":
            self._block_break(1)
            self.cells_in_row = 0
        elif tag in _ROW_CELLS:
            if self.cells_in_row:
                self._text(_CELL_SEPARATOR)
            self.cells_in_row += 1
            if tag == "th":
                self._open("b")
        elif tag in ("img", "iframe", "video", "source"):
            self._embedded(tag, values)

    def _embedded(self, tag: str, values: dict[str, str | None]) -> None:
        address = _web_address(values.get("src"), self.base)
        if tag == "img":
            caption = (values.get("alt") or values.get("title") or "").strip()
            self._media(_PICTURE, address, caption)
        elif tag != "source" or address is not None:
            self._media(_VIDEO, address, (values.get("title") or "").strip())

    def _emit_break_if_pre(self) -> None:
        if self.pre:
            self._emit_break()

    def _list_item(self) -> None:
        current = self.lists[-1] if self.lists else _List(ordered=False)
        current.number += 1
        self.pending_break = max(self.pending_break, 1)
        if not self.wrote_text:
            self.pending_break = 0
        marker = f"{current.number}." if current.ordered else _BULLET
        self._text(_INDENT * max(0, len(self.lists) - 1) + marker + " ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _INLINE and not self.pre:
            self._close(_INLINE[tag])
        elif tag == "a":
            if self.link_depth and self.link_depth.pop():
                self._close("a")
        elif tag in _HEADINGS:
            self._close("b")
            self._block_break()
        elif tag in _BLOCKS or tag in ("caption", "dt", "dd", "figcaption"):
            self._block_break(1 if tag in ("dt", "dd", "figcaption") else 2)
        elif tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            self._block_break(1 if self.lists else 2)
        elif tag == "li":
            self._block_break(1)
        elif tag == "blockquote":
            self._close("blockquote")
            self._block_break()
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
            self._close("pre")
            self._block_break()
        elif tag == "th":
            self._close("b")

    def handle_data(self, data: str) -> None:
        if self.pre:
            self._text(data)
            return
        spaced = data.translate(_HTML_SPACE)
        text = " ".join(word for word in spaced.split(" ") if word)
        if not text:
            if data and self.wrote_text and not self.pending_break and not self.done:
                self.out.append(" ")
            return
        if spaced.startswith(" ") and self.wrote_text and not self.pending_break:
            text = " " + text
        if spaced.endswith(" "):
            text += " "
        self._text(text)

    def result(self) -> str:
        self.close()
        while self.open_tags:
            element = self.open_tags.pop()
            if element.emitted:
                self.out.append(f"</{element.tag}>")
        return _tidy("".join(self.out))


def _tidy(html: str) -> str:
    """Drop the spaces a walk leaves at line ends and the blank lines it leaves at the ends."""
    lines = [line.rstrip(" ") for line in html.split("\n")]
    return "\n".join(lines).strip()


def to_telegram(html: str, base: str | None = None) -> str:
    """Return a website's HTML as Telegram HTML; links resolve against `base`."""
    walker = _Walker(base)
    walker.feed(sanitize(html))
    return walker.result()


def first_paragraph(html: str, base: str | None = None) -> str:
    """Return the first paragraph of a website's HTML as Telegram HTML."""
    walker = _Walker(base, first_block=True)
    walker.feed(sanitize(html))
    return walker.result()
