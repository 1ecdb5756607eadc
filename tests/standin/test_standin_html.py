"""Telegram HTML parsing: entities, references, Telegram's error reasons and UTF-16 offsets."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from standin import HtmlParseError, find_bot_commands, parse_html, utf16_len
from standin.html_entities import strip_text


def test_nested_formatting_gives_entities_sorted_by_offset() -> None:
    parsed = parse_html("<b>bold <i>both</i></b> plain <u>under</u>")

    assert parsed.text == "bold both plain under"
    assert parsed.entities == [
        {"type": "bold", "offset": 0, "length": 9},
        {"type": "italic", "offset": 5, "length": 4},
        {"type": "underline", "offset": 16, "length": 5},
    ]


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("<strong>x</strong>", "bold"),
        ("<em>x</em>", "italic"),
        ("<ins>x</ins>", "underline"),
        ("<s>x</s>", "strikethrough"),
        ("<strike>x</strike>", "strikethrough"),
        ("<del>x</del>", "strikethrough"),
        ('<span class="tg-spoiler">x</span>', "spoiler"),
        ("<tg-spoiler>x</tg-spoiler>", "spoiler"),
        ("<code>x</code>", "code"),
        ("<pre>x</pre>", "pre"),
        ("<blockquote>x</blockquote>", "blockquote"),
        ("<blockquote expandable>x</blockquote>", "expandable_blockquote"),
        ("<B>x</B>", "bold"),
    ],
)
def test_every_supported_tag_maps_to_its_entity(source: str, kind: str) -> None:
    parsed = parse_html(source)

    assert parsed.text == "x"
    assert [e["type"] for e in parsed.entities] == [kind]


def test_link_custom_emoji_and_pre_with_language_carry_their_arguments() -> None:
    parsed = parse_html(
        '<a href="https://example.org/?a=1&amp;b=2">link</a> '
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji> '
        '<pre><code class="language-python">print(1)</code></pre>'
    )

    assert parsed.text == "link 👍 print(1)"
    assert parsed.entities == [
        {"type": "text_link", "offset": 0, "length": 4, "url": "https://example.org/?a=1&b=2"},
        {
            "type": "custom_emoji",
            "offset": 5,
            "length": 2,
            "custom_emoji_id": "5368324170671202286",
        },
        {"type": "pre", "offset": 8, "length": 8, "language": "python"},
    ]


@pytest.mark.parametrize(
    "href",
    [
        "https://example.org/be/%D0%BF%D0%BE%D1%88%D1%83%D0%BA?q=a&b=%22c%22",
        "https://example.org/be/пошук?q=a",
        "https://xn----7sbabj6dd9f8f.xn--90ais/",
        "https://наша-ніва.бел/",
        "http://127.0.0.1:8080/",
        "http://[2001:db8::1]/",
        "tg://resolve?domain=news",
    ],
)
def test_links_telegram_keeps(href: str) -> None:
    parsed = parse_html(f'<a href="{html.escape(href)}">x</a>')
    assert parsed.entities == [{"type": "text_link", "offset": 0, "length": 1, "url": href}]


@pytest.mark.parametrize(
    "href",
    ["https://", "http://localhost/", "https://exa mple.org/", "https://e.org:0/", "http:e.org"],
)
def test_links_telegram_drops_leave_their_text_plain(href: str) -> None:
    parsed = parse_html(f'<a href="{html.escape(href)}">x</a>')
    assert (parsed.text, parsed.entities) == ("x", [])


def test_code_outside_pre_drops_the_language() -> None:
    assert parse_html('<code class="language-go">x</code>').entities == [
        {"type": "code", "offset": 0, "length": 1}
    ]


def test_character_references_are_decoded() -> None:
    parsed = parse_html("&lt;b&gt; &amp; &quot;q&quot; &#65;&#x42; &#128512;")

    assert parsed.text == '<b> & "q" AB 😀'
    assert parsed.entities == []


def test_empty_tags_make_no_entity() -> None:
    assert parse_html("a<b></b>c").entities == []


def test_offsets_count_utf16_code_units() -> None:
    parsed = parse_html("😀😀 <b>é</b> <i>x</i>")

    assert parsed.entities == [
        {"type": "bold", "offset": 5, "length": 1},
        {"type": "italic", "offset": 7, "length": 1},
    ]


def test_utf16_len_counts_astral_characters_twice() -> None:
    assert utf16_len("abc") == 3
    assert utf16_len("привет") == 6
    assert utf16_len("😀") == 2
    assert utf16_len("a😀b🇧🇾") == 8


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("Hello <div>x</div>", 'Unsupported start tag "div" at byte offset 6'),
        ("Привет <div>", 'Unsupported start tag "div" at byte offset 13'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ('<a href="x>y</a>', "Unclosed start tag at byte offset 0"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        (
            "<a href>x</a>",
            'Expected equal sign in declaration of an attribute of the tag "a" at byte offset 0',
        ),
        ("AT&T", 'Character "&" at byte offset 2 must be escaped as "&amp;"'),
        ("a & b", 'Character "&" at byte offset 2 must be escaped as "&amp;"'),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;" at byte offset 0'),
        ('<a href="?a=1&b=2">x</a>', 'Character "&" at byte offset 13 must be escaped as "&amp;"'),
        ("&#0;", "Invalid character reference at byte offset 0"),
        ('<tg-emoji emoji-id="abc">x</tg-emoji>', "Invalid custom emoji identifier specified"),
    ],
)
def test_malformed_html_is_refused_with_telegram_reason(source: str, reason: str) -> None:
    with pytest.raises(HtmlParseError) as raised:
        parse_html(source)

    assert str(raised.value) == reason


@given(st.text())
def test_escaped_text_parses_back_to_itself(text: str) -> None:
    parsed = parse_html(html.escape(text))

    assert parsed.text == text
    assert parsed.entities == []


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1))
def test_bold_wrapper_covers_the_whole_escaped_text(text: str) -> None:
    parsed = parse_html(f"<b>{html.escape(text)}</b>")

    assert parsed.entities == [{"type": "bold", "offset": 0, "length": utf16_len(text)}]


def test_strip_text_trims_and_shifts_entities() -> None:
    stripped = strip_text(parse_html("\n  <b>😀 x</b> tail \n"))

    assert stripped.text == "😀 x tail"
    assert stripped.entities == [{"type": "bold", "offset": 0, "length": 4}]


def test_bot_commands_are_found_with_and_without_username() -> None:
    assert find_bot_commands("/start@news_bot now /help") == [
        {"type": "bot_command", "offset": 0, "length": 15},
        {"type": "bot_command", "offset": 20, "length": 5},
    ]
    assert find_bot_commands("no commands in a/b path") == []
