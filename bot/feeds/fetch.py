"""Fetching a feed with conditional requests, a size cap and timeouts.

An unchanged feed costs one small request and no parsing: the last answer's `ETag` and
`Last-Modified` go back as `If-None-Match` and `If-Modified-Since`; a 304, an empty 200 (some
servers send that instead of a 304) or a 200 whose body hashes as the last one all mean
"unchanged". The bytes are handed to feedparser with the response headers, so feedparser
decodes them by the declared charset, the XML declaration or a byte-order mark.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from typing import Final

import httpx

from bot.errors import FeedError

MAX_BYTES: Final = 10 * 1024 * 1024
"""Largest feed or page the bot reads; a bigger answer is a failure, not a truncation."""

TIMEOUT: Final = httpx.Timeout(20.0, connect=10.0)
"""Per-operation limits of one request (connect, each read, each write)."""

TOTAL_TIMEOUT: Final = 60.0
"""Longest a whole fetch may take, however slowly the bytes trickle in."""

MAX_REDIRECTS: Final = 5
USER_AGENT: Final = "weekly-commentary-bot (feed intake)"


@dataclass(frozen=True, slots=True)
class Validators:
    """What the last successful answer said about itself, to ask conditionally next time."""

    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None


@dataclass(frozen=True, slots=True)
class Fetched:
    """One answer: `body` is None when the feed has not changed since `validators`."""

    url: str
    """The address the body came from, after redirects: relative links resolve against it."""
    body: bytes | None
    headers: dict[str, str]
    validators: Validators

    @property
    def changed(self) -> bool:
        """Return whether there is a new body to parse."""
        return self.body is not None


def body_hash(body: bytes) -> str:
    """Return the hash that tells an unchanged body from a changed one."""
    return hashlib.sha256(body).hexdigest()


def new_client() -> httpx.AsyncClient:
    """Return the HTTP client intake uses for feeds and posts' pages."""
    return httpx.AsyncClient(
        timeout=TIMEOUT,
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        headers={"User-Agent": USER_AGENT},
    )


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FeedError(f"{response.url} is {declared} bytes, over the {max_bytes}-byte limit")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FeedError(f"{response.url} is over the {max_bytes}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    known: Validators | None = None,
    *,
    max_bytes: int = MAX_BYTES,
    total_timeout: float = TOTAL_TIMEOUT,
) -> Fetched:
    """Fetch `url`, conditionally when `known` validators are given; raise FeedError."""
    known = known or Validators()
    headers: dict[str, str] = {}
    if known.etag:
        headers["If-None-Match"] = known.etag
    if known.last_modified:
        headers["If-Modified-Since"] = known.last_modified
    try:
        async with asyncio.timeout(total_timeout):
            async with client.stream("GET", url, headers=headers) as response:
                if response.status_code == httpx.codes.NOT_MODIFIED:
                    return Fetched(str(response.url), None, dict(response.headers), known)
                if response.status_code != httpx.codes.OK:
                    raise FeedError(f"{url} answered HTTP {response.status_code}")
                body = await _read_capped(response, max_bytes)
    except TimeoutError as exc:
        raise FeedError(f"{url} did not answer within {total_timeout:g} s") from exc
    except httpx.TooManyRedirects as exc:
        raise FeedError(f"{url} redirects more than {MAX_REDIRECTS} times") from exc
    except httpx.TimeoutException as exc:
        raise FeedError(f"{url} timed out ({type(exc).__name__})") from exc
    except httpx.HTTPError as exc:
        raise FeedError(f"{url} could not be fetched: {exc or type(exc).__name__}") from exc
    answer_headers = dict(response.headers)
    final_url = str(response.url)
    if not body.strip():
        return Fetched(final_url, None, answer_headers, known)
    digest = body_hash(body)
    validators = Validators(
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
        body_hash=digest,
    )
    if digest == known.body_hash:
        # Some servers change their headers on every answer; the body decides.
        return Fetched(final_url, None, answer_headers, known)
    return Fetched(final_url, body, answer_headers, validators)
