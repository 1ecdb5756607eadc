"""A website's HTML becomes Telegram HTML that Telegram accepts, with its structure kept."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.feeds.entries import normalise
from bot.feeds.html import first_paragraph, to_telegram
from bot.newsletter.telegram_html import html_to_text, split_html
from standin import parse_html

BASE = "https://analytics.example/be/2026/10/post/"


def accepted(html: str) -> str:
    """Return the plain text Telegram would show; fail if Telegram would refuse it."""
    for part in split_html(html):
        parse_html(part)
    return parse_html(html).text


def test_paragraphs_and_line_breaks_stay_apart() -> None:
    out = to_telegram("<p>One<br>two</p><p>Three</p><div>Four</div>")
    assert out == "One\ntwo\n\nThree\n\nFour"


def test_headings_become_bold_lines_and_inline_tags_map_to_telegram_ones() -> None:
    out = to_telegram("<h2>Title</h2><p><strong>bold</strong> <em>it</em> <del>gone</del></p>")
    assert out == "<b>Title</b>\n\n<b>bold</b> <i>it</i> <s>gone</s>"


def test_lists_become_bullets_and_numbers_nested_ones_indented() -> None:
    out = to_telegram("<ul><li>one</li><li>two<ol><li>a</li><li>b</li></ol></li></ul><p>end</p>")
    assert out == "• one\n• two\n  1. a\n  2. b\n\nend"


def test_block_quotes_stay_quotes_without_blank_lines_inside() -> None:
    out = to_telegram("<p>Before</p><blockquote><p>One</p><p>Two</p></blockquote><p>After</p>")
    assert out == "Before\n\n<blockquote>One\n\nTwo</blockquote>\n\nAfter"


def test_images_and_videos_become_links_with_their_captions() -> None:
    out = to_telegram(
        '<figure><img src="/wp-content/chart.png" alt="Tariffs by year">'
        "<figcaption>Source: ministry</figcaption></figure>"
        '<iframe src="https://video.example/embed/42" title="Interview"></iframe>',
        BASE,
    )
    assert '🖼 <a href="https://analytics.example/wp-content/chart.png">Tariffs by year</a>' in out
    assert "Source: ministry" in out
    assert '▶ <a href="https://video.example/embed/42">Interview</a>' in out
    accepted(out)


def test_tables_become_rows_of_cells() -> None:
    out = to_telegram(
        "<table><tr><th>Year</th><th>Share</th></tr><tr><td>2026</td><td>8%</td></tr></table>"
    )
    assert out == "<b>Year</b> · <b>Share</b>\n2026 · 8%"


def test_relative_links_resolve_and_iris_are_percent_encoded() -> None:
    out = to_telegram('<p><a href="../даведка/?q=мова">даведка</a></p>', BASE)
    assert out == (
        '<a href="https://analytics.example/be/2026/10/%D0%B4%D0%B0%D0%B2%D0%B5%D0%B4%D0%BA%D0%B0/'
        '?q=%D0%BC%D0%BE%D0%B2%D0%B0">даведка</a>'
    )


def test_entities_become_characters_and_text_is_escaped_once() -> None:
    out = to_telegram("<p>&laquo;Так&raquo;&nbsp;&#8212; it&#8217;s 5 &lt; 6 &amp; 7</p>")
    assert out == "«Так»\u00a0— it’s 5 &lt; 6 &amp; 7"
    assert accepted(out) == "«Так»\u00a0— it’s 5 < 6 & 7"


def test_scripts_styles_spans_and_unsafe_links_leave_only_their_safe_text() -> None:
    out = to_telegram(
        '<script>alert(1)</script><style>p{}</style><p><span style="color:red">red</span> '
        '<a href="javascript:alert(1)">click</a> <a onclick="x()" href="#top">top</a></p>'
    )
    assert out == "red click top"


def test_empty_elements_leave_no_empty_tags_or_extra_lines() -> None:
    assert to_telegram("<p>a</p><p><b></b></p><p></p><h3> </h3><p>b</p>") == "a\n\nb"


def test_first_paragraph_stops_at_the_first_block() -> None:
    assert first_paragraph("<p>Lead <b>here</b>.</p><p>More.</p>") == "Lead <b>here</b>."


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("https://site.example/ru/post/", "http://site.example/ru/post"),
        (
            "https://Site.example/ru/post/?utm_source=tg&utm_medium=x",
            "https://site.example/ru/post",
        ),
        ("https://site.example/?p=12&fbclid=abc", "http://site.example/?p=12"),
        ("https://site.example/ru/post/#comments", "https://site.example/ru/post"),
    ],
)
def test_identities_ignore_scheme_slash_fragment_and_tracking(one: str, other: str) -> None:
    assert normalise(one) == normalise(other)


def test_identities_keep_what_names_the_post() -> None:
    assert normalise("https://site.example/?p=12") != normalise("https://site.example/?p=13")
    assert normalise("urn:uuid:0f3c") == "urn:uuid:0f3c"


_TAGS = st.sampled_from(
    [
        "p",
        "div",
        "b",
        "i",
        "em",
        "strong",
        "a",
        "ul",
        "ol",
        "li",
        "h2",
        "blockquote",
        "table",
        "tr",
        "td",
        "span",
        "pre",
        "code",
        "br",
        "img",
        "font",
        "section",
    ]
)


@st.composite
def _html(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        if depth < 3 and draw(st.booleans()):
            tag = draw(_TAGS)
            attrs = (
                ' href="/x?a=1&b=<2>"'
                if tag == "a"
                else (' src="/i.png" alt="<>"' if tag == "img" else "")
            )
            parts.append(f"<{tag}{attrs}>{draw(_html(depth + 1))}</{tag}>")
        else:
            parts.append(draw(st.text(alphabet="ab <>&;#\n\u00a0«»ў", max_size=12)))
    return "".join(parts)


@settings(max_examples=200, deadline=None)
@given(_html())
def test_any_html_becomes_text_telegram_accepts(source: str) -> None:
    out = to_telegram(source, BASE)
    shown = accepted(out) if out else ""
    assert shown == html_to_text(out)
