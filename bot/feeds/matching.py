"""Which posts of the three language feeds are one commentary, by the evidence the site gives.

The rule, best evidence first; a post is linked to another only on evidence, never on a
guess (similar titles, the same author or the same day are not evidence):

1. The entry itself names its translations: `hreflang` alternates in the feed entry.
2. Else the post's own page does: its `<link rel="alternate" hreflang="…">` tags (Polylang
   and WPML write them), fetched once per new entry with the feed's timeouts and size cap.
3. Either way the evidence counts in both directions: a stored post whose alternates name
   the new one is its translation too.
4. Else the post starts a commentary of its own, and when the same week holds commentaries
   without a version in its language, the editors get a card to decide: "same commentary
   as …" or "a commentary of its own".
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx

from bot.feeds.fetch import fetch
from bot.newsletter.content import LANGUAGES


class _AlternateLinks(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.found: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link":
            return
        values = {name: value or "" for name, value in attrs}
        rel = values.get("rel", "").lower().split()
        language = values.get("hreflang", "").lower().split("-")[0]
        href = values.get("href", "").strip()
        if "alternate" in rel and language in LANGUAGES and href:
            self.found.setdefault(language, urljoin(self.base, href))


def page_alternates(html: str, base: str) -> dict[str, str]:
    """Return the translations a post's page names, by language."""
    parser = _AlternateLinks(base)
    parser.feed(html)
    parser.close()
    return parser.found


async def fetch_page_alternates(client: httpx.AsyncClient, url: str) -> dict[str, str]:
    """Fetch a post's page and return the translations it names; raise FeedError."""
    page = await fetch(client, url)
    if page.body is None:
        return {}
    charset = httpx.Headers(page.headers).get("content-type", "")
    encoding = "utf-8"
    if "charset=" in charset:
        encoding = charset.split("charset=", 1)[1].split(";")[0].strip() or "utf-8"
    try:
        text = page.body.decode(encoding, errors="replace")
    except LookupError:
        text = page.body.decode("utf-8", errors="replace")
    return page_alternates(text, page.url)
