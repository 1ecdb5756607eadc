"""Web addresses: IRIs as editors write them, percent-encoded URIs as Telegram receives them.

Editors paste addresses the way browsers show them, with Cyrillic letters in the path, the
query or the domain. Every `href` the bot sends goes through `to_uri`, which keeps what is
already valid (an existing `%XX` escape stays as it is), percent-encodes the rest as UTF-8,
and writes an internationalized domain name in punycode (IDNA 2008, UTS #46 mapping).
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import quote, urlsplit, urlunsplit

import idna

WEB_SCHEMES: Final = frozenset({"http", "https"})
"""Schemes of the addresses `is_web_link` accepts."""

_KEPT: Final = "!$&'()*+,/:;=?@%"
"""Characters besides letters, digits and `-._~` that keep their meaning in a URI."""
_KEPT_IN_FRAGMENT: Final = _KEPT + "#"
_KEPT_IN_USERINFO: Final = "!$&'()*+,;=%:"
_LONE_PERCENT: Final = re.compile(r"%(?![0-9A-Fa-f]{2})")
_SPACE: Final = re.compile(r"\s")
_ASCII_LABEL: Final = re.compile(r"[A-Za-z0-9_-]{1,63}")


def _encode(text: str, kept: str) -> str:
    """Percent-encode what a URI may not contain, leaving valid escapes alone."""
    return quote(_LONE_PERCENT.sub("%25", text), safe=kept)


def _ascii_host(host: str) -> str:
    """Return a host name in ASCII; raise ValueError if it is not a valid one."""
    if host.startswith("["):
        return host  # an IPv6 literal, which `urlsplit` has checked
    try:
        if not host.isascii():
            return idna.encode(host, uts46=True).decode("ascii")
        for label in host.removesuffix(".").split("."):
            if not _ASCII_LABEL.fullmatch(label):
                raise ValueError(f"invalid host name {host!r}")
            if label[:4].lower() == "xn--":
                idna.decode(label)
    except idna.IDNAError as exc:
        raise ValueError(f"invalid domain name {host!r}: {exc}") from exc
    return host


def _netloc(netloc: str) -> str:
    """Return the authority part of an address in ASCII."""
    userinfo, at, hostport = netloc.rpartition("@")
    host, port = hostport, ""
    if not hostport.endswith("]") and ":" in hostport:
        host, _, port = hostport.rpartition(":")
    if port and not (port.isascii() and port.isdigit()):
        raise ValueError(f"invalid port {port!r}")
    userinfo = _encode(userinfo, _KEPT_IN_USERINFO) + at if at else ""
    return userinfo + _ascii_host(host) + (":" + port if port else "")


def to_uri(iri: str) -> str:
    """Return an address percent-encoded and with a punycode host; raise ValueError if bad."""
    parts = urlsplit(iri.strip())
    netloc = _netloc(parts.netloc) if parts.netloc else ""
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            _encode(parts.path, _KEPT),
            _encode(parts.query, _KEPT),
            _encode(parts.fragment, _KEPT_IN_FRAGMENT),
        )
    )


def is_web_link(value: str) -> bool:
    """Tell whether a value is an absolute http(s) address, possibly an IRI, without spaces."""
    if not value or _SPACE.search(value):
        return False
    try:
        parts = urlsplit(value)
        if parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname:
            return False
        to_uri(value)
    except ValueError:
        return False
    return True
