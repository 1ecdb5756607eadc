"""A local website shaped like a WordPress site with translations, for intake tests and demos.

`FeedSite` serves, on 127.0.0.1, one feed per language (`/{language}/feed/`: RSS 2.0 as
WordPress writes it, with `guid ?p=ID`, `dc:creator`, categories, an excerpt and
`content:encoded`; or Atom with `<updated>`) and each post's page (`/{language}/{slug}/`)
carrying `<link rel="alternate" hreflang>` tags to its translations, as Polylang writes them.
ETag and Last-Modified are site-wide, as WordPress sends them, and answered with a 304.

Tests change it between polls: add, edit or remove posts, and make a feed misbehave (`mode`):
a 200 with an empty body, broken XML, windows-1251, a hang, an oversized answer, a 503.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from enum import StrEnum
from types import TracebackType
from xml.sax.saxutils import escape, quoteattr

from aiohttp import web


class Mode(StrEnum):
    """How a feed answers."""

    NORMAL = "normal"
    EMPTY = "empty"
    BROKEN = "broken"
    """Ill-formed XML that yields nothing."""
    CP1251 = "cp1251"
    HANG = "hang"
    HUGE = "huge"
    ERROR = "error"
    ATOM = "atom"


@dataclass
class Post:
    """One post in one language."""

    pid: int
    language: str
    slug: str
    title: str
    author: str
    published: datetime
    body: str
    """The post's HTML, as `content:encoded` carries it."""
    excerpt: str = ""
    categories: tuple[str, ...] = ()
    translations: dict[str, int] = field(default_factory=dict)
    """Post ids of the translations, by language (what the page's hreflang links name)."""
    modified: datetime | None = None


@dataclass
class FeedSite:
    """The website; start it with `async with FeedSite() as site`."""

    posts: dict[int, Post] = field(default_factory=dict)
    modes: dict[str, Mode] = field(default_factory=dict)
    hreflang_in_feed: bool = False
    """Also name the translations in each feed entry (`atom:link rel=alternate hreflang`)."""
    hang_seconds: float = 30.0
    items_per_feed: int = 10
    """How many of the newest posts a feed carries (WordPress's default is 10)."""
    requests: list[tuple[str, str]] = field(default_factory=list)
    """(path, If-None-Match) of every request, in order."""
    _runner: web.AppRunner | None = None
    _url: str | None = None
    _revision: int = 0

    @property
    def url(self) -> str:
        """Return the root URL, e.g. ``http://127.0.0.1:8082``."""
        if self._url is None:
            raise RuntimeError("the site is not started")
        return self._url

    def feed_url(self, language: str) -> str:
        """Return a language's feed address."""
        return f"{self.url}/{language}/feed/"

    def post_url(self, post: Post) -> str:
        """Return a post's page address (with its Cyrillic slug as an IRI)."""
        return f"{self.url}/{post.language}/{post.slug}/"

    def add(self, post: Post) -> Post:
        """Publish a post (or replace the one with its id)."""
        self.posts[post.pid] = post
        self._revision += 1
        return post

    def edit(self, pid: int, **changes: object) -> None:
        """Change a post's fields."""
        post = self.posts[pid]
        for name, value in changes.items():
            setattr(post, name, value)
        self._revision += 1

    def remove(self, pid: int) -> None:
        """Take a post off the site."""
        del self.posts[pid]
        self._revision += 1

    # -- documents ----------------------------------------------------------------------

    def _guid(self, post: Post) -> str:
        return f"{self.url}/?p={post.pid}"

    def _alternate_links(self, post: Post, tag: str) -> str:
        links = []
        for language, pid in post.translations.items():
            other = self.posts.get(pid)
            if other is not None:
                href = quoteattr(self.post_url(other))
                links.append(f'<{tag} rel="alternate" hreflang="{language}" href={href}/>')
        return "".join(links)

    def rss(self, language: str, encoding: str = "UTF-8") -> str:
        """Return a language's RSS 2.0 feed as WordPress writes it, newest first."""
        items = []
        for post in self._latest(language):
            categories = "".join(
                f"<category><![CDATA[{name}]]></category>" for name in post.categories
            )
            alternates = self._alternate_links(post, "atom:link") if self.hreflang_in_feed else ""
            items.append(
                f"""<item>
  <title>{escape(post.title)}</title>
  <link>{escape(self.post_url(post))}</link>
  <dc:creator><![CDATA[{post.author}]]></dc:creator>
  <pubDate>{format_datetime(post.published)}</pubDate>
  {categories}
  <guid isPermaLink="false">{escape(self._guid(post))}</guid>{alternates}
  <description><![CDATA[{post.excerpt}]]></description>
  <content:encoded><![CDATA[{post.body}]]></content:encoded>
</item>"""
            )
        return f"""<?xml version="1.0" encoding="{encoding}"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
  <title>Weekly analysis ({language})</title>
  <link>{self.url}/{language}/</link>
  <language>{language}</language>
  {"".join(items)}
</channel>
</rss>"""

    def atom(self, language: str) -> str:
        """Return a language's Atom feed (`/feed/atom/` of WordPress)."""
        entries = []
        for post in self._latest(language):
            updated = (post.modified or post.published).isoformat()
            categories = "".join(f"<category term={quoteattr(c)}/>" for c in post.categories)
            alternates = self._alternate_links(post, "link") if self.hreflang_in_feed else ""
            entries.append(
                f"""<entry>
  <author><name>{escape(post.author)}</name></author>
  <title type="html">{escape(post.title)}</title>
  <link rel="alternate" type="text/html" href={quoteattr(self.post_url(post))}/>{alternates}
  <id>{escape(self._guid(post))}</id>
  <updated>{updated}</updated>
  <published>{post.published.isoformat()}</published>
  {categories}
  <summary type="html">{escape(post.excerpt)}</summary>
  <content type="html" xml:base={quoteattr(self.post_url(post))}>{escape(post.body)}</content>
</entry>"""
            )
        return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{language}">
  <title>Weekly analysis ({language})</title>
  <id>{self.url}/{language}/</id>
  <updated>{datetime.now(UTC).isoformat()}</updated>
  {"".join(entries)}
</feed>"""

    def _latest(self, language: str) -> list[Post]:
        posts = [p for p in self.posts.values() if p.language == language]
        return sorted(posts, key=lambda p: p.published, reverse=True)[: self.items_per_feed]

    def page(self, post: Post) -> str:
        """Return a post's page with its hreflang alternates."""
        return f"""<!DOCTYPE html><html lang="{post.language}"><head><meta charset="utf-8">
<title>{escape(post.title)}</title>
<link rel="canonical" href={quoteattr(self.post_url(post))}>
{self._alternate_links(post, "link")}
</head><body><article>{post.body}</article></body></html>"""

    # -- serving ------------------------------------------------------------------------

    def _validators(self) -> tuple[str, str]:
        digest = hashlib.sha256(f"{self._revision}".encode()).hexdigest()[:16]
        return f'"{digest}"', format_datetime(datetime(2026, 1, 1, tzinfo=UTC), usegmt=True)

    async def _feed(self, request: web.Request) -> web.StreamResponse:  # noqa: PLR0911
        language = request.match_info["language"]
        etag, modified = self._validators()
        self.requests.append((request.path, request.headers.get("If-None-Match", "")))
        mode = self.modes.get(language, Mode.NORMAL)
        if mode is Mode.HANG:
            await asyncio.sleep(self.hang_seconds)
        if mode is Mode.ERROR:
            return web.Response(status=503, text="Service Unavailable")
        if mode is Mode.EMPTY:
            return web.Response(status=200, body=b"", content_type="application/rss+xml")
        if mode is Mode.BROKEN:
            return web.Response(
                body=b"<?xml version='1.0'?><rss><channel><item><title>unterminated",
                content_type="application/rss+xml",
            )
        if mode is Mode.HUGE:
            filler = b"<!-- " + b"x" * (11 * 1024 * 1024) + b" -->"
            return web.Response(body=self.rss(language).encode() + filler)
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        headers = {"ETag": etag, "Last-Modified": modified}
        if mode is Mode.CP1251:
            body = self.rss(language, "windows-1251").encode("cp1251", errors="xmlcharrefreplace")
            headers["Content-Type"] = "application/rss+xml; charset=windows-1251"
            return web.Response(body=body, headers=headers)
        if mode is Mode.ATOM:
            headers["Content-Type"] = "application/atom+xml; charset=UTF-8"
            return web.Response(body=self.atom(language).encode(), headers=headers)
        headers["Content-Type"] = "application/rss+xml; charset=UTF-8"
        return web.Response(body=self.rss(language).encode(), headers=headers)

    async def _page(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((request.path, ""))
        language, slug = request.match_info["language"], request.match_info["slug"]
        for post in self.posts.values():
            if post.language == language and post.slug == slug:
                return web.Response(text=self.page(post), content_type="text/html")
        raise web.HTTPNotFound

    async def start(self) -> str:
        """Listen on a free loopback port and return the root URL."""
        app = web.Application()
        app.router.add_get("/{language}/feed/", self._feed)
        app.router.add_get("/{language}/{slug}/", self._page)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(runner, sock).start()
        self._runner = runner
        self._url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        return self._url

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FeedSite:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()
