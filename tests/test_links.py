"""Addresses as editors write them (IRIs) and as Telegram receives them (URIs)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.newsletter.links import is_web_link, to_uri


@pytest.mark.parametrize(
    ("iri", "uri"),
    [
        (
            'https://example.org/be/пошук?q=a&b="c"',
            "https://example.org/be/%D0%BF%D0%BE%D1%88%D1%83%D0%BA?q=a&b=%22c%22",
        ),
        ("https://example.org/a%20b?q=%22c%22", "https://example.org/a%20b?q=%22c%22"),
        ("https://example.org/100%?off=5%x", "https://example.org/100%25?off=5%25x"),
        ("https://наша-ніва.бел/", "https://xn----7sbabj6dd9f8f.xn--90ais/"),
        (
            "https://Bücher.de:8080/#Глава 2",
            "https://xn--bcher-kva.de:8080/#%D0%93%D0%BB%D0%B0%D0%B2%D0%B0%202",
        ),
        ("https://ed:pä@example.org/", "https://ed:p%C3%A4@example.org/"),
        ("http://[2001:db8::1]:80/x<y>", "http://[2001:db8::1]:80/x%3Cy%3E"),
        ("mailto:ed@example.com", "mailto:ed@example.com"),
        ("tg://resolve?domain=news", "tg://resolve?domain=news"),
        ("https://e.com/a?b=1&c=2#d", "https://e.com/a?b=1&c=2#d"),
    ],
)
def test_to_uri_encodes_what_a_uri_may_not_hold(iri: str, uri: str) -> None:
    assert to_uri(iri) == uri
    assert to_uri(uri) == uri  # encoding twice changes nothing


@pytest.mark.parametrize(
    "value",
    [
        "",
        "www.example.org/page",
        "ftp://example.org/file",
        "https://",
        "https://exa mple.org/",
        "https://example.org/a b",
        "https://example.org:80a/",
        "https://xn--.org/",
        "https://a\u200db.org/",
    ],
)
def test_is_web_link_refuses_what_is_no_web_address(value: str) -> None:
    assert not is_web_link(value)


@given(st.text(max_size=40))
def test_to_uri_gives_ascii_without_spaces_or_quotes(path: str) -> None:
    uri = to_uri("https://example.org/" + path)
    assert uri.isascii()
    assert not any(char in uri for char in ' "<>\\^`{|}') and uri.isprintable()
    assert to_uri(uri) == uri
