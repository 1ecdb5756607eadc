"""A feed document read into plain entries: identity, fields, alternates and a content hash.

feedparser reads every RSS and Atom dialect; it is given the bytes and the response headers
(their charset and `Content-Location`), never a URL. A feed it calls ill-formed (`bozo`)
still counts when it yields entries: that is usually a wrong content type or encoding label.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import feedparser

from bot.errors import FeedError
from bot.feeds.html import first_paragraph, to_telegram
from bot.newsletter.content import LANGUAGES
from bot.newsletter.telegram_html import html_to_text

_LANGUAGE_SET: Final = frozenset(LANGUAGES)

TRACKING_PARAMETERS: Final = frozenset(
    {"fbclid", "gclid", "yclid", "dclid", "msclkid", "mc_cid", "mc_eid", "_ga", "igshid"}
)
"""Query parameters that say where a reader came from, not what they read (and `utm_*`)."""


def normalise(address: str) -> str:
    """Return the identity of an address: no scheme, lower-case host, no trailing slash,
    no fragment and no tracking parameters. A guid that is not an address stays as it is.

    `https://Site.example/ru/post/?utm_source=tg` and `http://site.example/ru/post` are one.
    """
    text = address.strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return text
    query = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not name.lower().startswith("utm_") and name.lower() not in TRACKING_PARAMETERS
    ]
    host = parts.netloc.lower().removesuffix(":80").removesuffix(":443")
    path = parts.path.rstrip("/")
    return "//" + urlunsplit(("", host, path, urlencode(query), "")).removeprefix("//")


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One post of one language's feed, its HTML already Telegram's."""

    language: str
    identity: str
    """The normalised guid, else the normalised link."""
    link: str | None
    title: str
    author: str
    published: datetime | None
    categories: tuple[str, ...]
    lead: str
    body: str
    alternates: Mapping[str, str]
    """Addresses of this post's translations the entry names, by language (`hreflang`)."""
    content_hash: str

    @property
    def link_identity(self) -> str | None:
        """Return the normalised link, by which translations name this post."""
        return None if self.link is None else normalise(self.link)


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """The entries of one feed document, and whether feedparser found it ill-formed."""

    entries: tuple[FeedEntry, ...]
    ill_formed: str | None = None


def _when(entry: Any) -> datetime | None:
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    if stamp is None:
        return None
    return datetime.fromtimestamp(calendar.timegm(stamp), tz=UTC)


def _alternates(entry: Any, own_language: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for link in entry.get("links", ()):
        language = (link.get("hreflang") or "").lower().split("-")[0]
        href = link.get("href")
        if link.get("rel") == "alternate" and href and language in _LANGUAGE_SET - {own_language}:
            found[language] = href
    return found


def _own_link(entry: Any, own_language: str) -> str | None:
    """Return the post's own address: feedparser's `link` may be a translation's."""
    for link in entry.get("links", ()):
        language = (link.get("hreflang") or "").lower().split("-")[0]
        if link.get("rel") == "alternate" and link.get("href") and language in ("", own_language):
            return str(link["href"])
    return entry.get("link") or None


def _content(entry: Any) -> tuple[str, str | None]:
    for item in entry.get("content", ()):
        if item.get("value", "").strip():
            return item["value"], item.get("base")
    return "", None


def content_hash(fields: Mapping[str, Any]) -> str:
    """Return the hash of what matters in an entry: an edit changes it, a re-fetch does not."""
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def read_entry(entry: Any, language: str, base: str | None) -> FeedEntry | None:
    """Turn one feedparser entry into a FeedEntry; None when it has no identity or title."""
    link = _own_link(entry, language)
    guid = entry.get("id") or None
    identity_source = guid or link
    title = entry.get("title", "")
    if "<" in title or "&" in title:
        title = html_to_text(to_telegram(title))
    title = " ".join(title.split())
    if not identity_source or not title:
        return None
    body_html, body_base = _content(entry)
    summary = entry.get("summary", "")
    if summary and body_html and summary.strip() == body_html.strip():
        summary = ""  # Atom without <summary>: feedparser repeats the content
    base = body_base or link or base
    body = to_telegram(body_html or summary, base)
    lead = to_telegram(summary, base) if summary and body_html else ""
    if not lead:
        lead = first_paragraph(body_html or summary, base)
    categories = tuple(
        dict.fromkeys(
            tag["term"].strip() for tag in entry.get("tags", ()) if tag.get("term", "").strip()
        )
    )
    author = (entry.get("author") or "").strip()
    published = _when(entry)
    alternates = _alternates(entry, language)
    digest = content_hash(
        {
            "title": title,
            "author": author,
            "link": link,
            "categories": categories,
            "lead": lead,
            "body": body,
        }
    )
    return FeedEntry(
        language=language,
        identity=normalise(identity_source),
        link=link,
        title=title,
        author=author,
        published=published,
        categories=categories,
        lead=lead,
        body=body,
        alternates=alternates,
        content_hash=digest,
    )


def parse_feed(body: bytes, headers: Mapping[str, str], url: str, language: str) -> ParsedFeed:
    """Read a feed document; raise FeedError when it yields no entries at all."""
    response_headers = {name.lower(): value for name, value in headers.items()}
    response_headers.setdefault("content-location", url)
    parsed = feedparser.parse(
        io.BytesIO(body),
        response_headers=response_headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    problem = str(parsed.get("bozo_exception") or "") if parsed.get("bozo") else None
    base = parsed.get("feed", {}).get("link") or url
    entries = []
    seen: set[str] = set()
    for raw in parsed.entries:
        entry = read_entry(raw, language, base)
        if entry is not None and entry.identity not in seen:
            seen.add(entry.identity)
            entries.append(entry)
    if not entries:
        raise FeedError(f"{url} yields no entries" + (f" ({problem})" if problem else ""))
    return ParsedFeed(tuple(entries), problem)
