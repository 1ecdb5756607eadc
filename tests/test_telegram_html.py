"""Tests of Telegram HTML conversion, counting, splitting and truncation."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.newsletter.telegram_html import (
    escape,
    escape_attr,
    html_to_text,
    markdown_to_html,
    split_html,
    telegram_length,
    truncate_html,
    truncate_text,
)

# --- A strict checker of Telegram HTML, written independently of the module ------------------

ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "b": set(),
    "strong": set(),
    "i": set(),
    "em": set(),
    "u": set(),
    "ins": set(),
    "s": set(),
    "strike": set(),
    "del": set(),
    "span": {"class"},
    "tg-spoiler": set(),
    "a": {"href"},
    "code": {"class"},
    "pre": set(),
    "blockquote": {"expandable"},
    "tg-emoji": {"emoji-id"},
}
ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
ATTRIBUTE = re.compile(r' ([a-z-]+)(?:="([^"<>]*)")?')
ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")


def decode_entity(body: str) -> str:
    """Decode the body of an entity the checker accepted."""
    if body in ENTITIES:
        return ENTITIES[body]
    return chr(int(body[2:], 16) if body.startswith("#x") else int(body[1:]))


def check_tag(inner: str, stack: list[str], *, no_self_nesting: bool) -> None:
    """Check one opening tag (without its angle brackets) and push it."""
    name, _, rest = inner.partition(" ")
    assert name in ALLOWED_ATTRIBUTES, f"unsupported tag {name!r}"
    attributes = ATTRIBUTE.findall(" " + rest) if rest else []
    assert "".join(f" {a}" + (f'="{v}"' if v else "") for a, v in attributes) == (
        " " + rest if rest else ""
    ), f"malformed attributes in {inner!r}"
    for attribute, value in attributes:
        assert attribute in ALLOWED_ATTRIBUTES[name], f"attribute {attribute} on {name}"
        assert "&" not in ENTITY.sub("", value), f"bare & in attribute {value!r}"
    if name == "span":
        assert attributes == [("class", "tg-spoiler")]
    if name == "a":
        assert [a for a, _ in attributes] == ["href"]
    if stack:
        assert stack[-1] != "code", "tags inside code"
        assert stack[-1] != "pre" or name == "code", "tags other than code inside pre"
    if name == "blockquote":
        assert "blockquote" not in stack, "nested blockquote"
    if no_self_nesting:
        assert name not in stack, f"{name} inside {name}"
    stack.append(name)


def strict_text(html: str, *, no_self_nesting: bool = False) -> str:
    """Return the plain text of Telegram HTML, failing on anything Telegram would reject."""
    stack: list[str] = []
    out: list[str] = []
    position = 0
    while position < len(html):
        char = html[position]
        if char == "<":
            close = html.find(">", position)
            assert close != -1, "unclosed tag"
            inner = html[position + 1 : close]
            if inner.startswith("/"):
                assert stack, f"unexpected end tag {inner!r}"
                assert stack.pop() == inner[1:], f"mismatched end tag {inner!r}"
            else:
                check_tag(inner, stack, no_self_nesting=no_self_nesting)
            position = close + 1
        elif char == "&":
            match = ENTITY.match(html, position)
            assert match, f"bare & at {position}: {html[position : position + 10]!r}"
            out.append(decode_entity(match.group(1)))
            position = match.end()
        else:
            assert char != ">", "bare >"
            assert not 0xD800 <= ord(char) <= 0xDFFF, "lone surrogate"
            out.append(char)
            position += 1
    assert not stack, f"unclosed {stack}"
    return "".join(out)


def utf16(text: str) -> int:
    """Count UTF-16 code units the slow, obvious way."""
    return sum(2 if ord(char) > 0xFFFF else 1 for char in text)


def assert_valid_split(html: str, parts: list[str], limit: int) -> None:
    """Check the parts of a split against the original text."""
    original = strict_text(html)
    position = 0
    for part in parts:
        assert part == part.strip()
        text = strict_text(part)
        assert text.strip(), f"empty part {part!r}"
        if len(parts) > 1:
            assert text == text.strip(), f"whitespace at the edge of {part!r}"
        assert utf16(text) <= limit
        while (
            position < len(original)
            and original[position].isspace()
            and not original.startswith(text, position)
        ):
            position += 1
        assert original.startswith(text, position), "part text does not continue the original"
        position += len(text)
    assert not original[position:].strip(), "text lost at the end"


# --- Escaping and counting -------------------------------------------------------------------


def test_escape_text_and_attributes() -> None:
    assert escape('a < b && c > "d"') == 'a &lt; b &amp;&amp; c &gt; "d"'
    assert escape_attr('x"<&>') == "x&quot;&lt;&amp;&gt;"


@pytest.mark.parametrize(
    ("html", "length"),
    [
        ("", 0),
        ("plain", 5),
        ("Прывітанне", 10),
        ("😀", 2),
        ("a😀b", 4),
        ("👍🏽", 4),
        ("🇧🇾", 4),
        ("<b>a</b>", 1),
        ('<a href="https://example.com/?a=1&amp;b=2">link</a>', 4),
        ("&lt;b&gt;", 3),
        ("&amp;&quot;", 2),
        ("&#128512;", 2),
        ("&#x1F600;", 2),
        ("&#1041;", 1),
        ("&amp", 1),
        ("&nbsp;", 6),
        ("&#12345678;", 11),
        ("<blockquote>Цытата 😀</blockquote>\n\n<i>x</i>", 12),
    ],
)
def test_telegram_length(html: str, length: int) -> None:
    assert telegram_length(html) == length


def test_html_to_text_decodes_entities_and_drops_tags() -> None:
    html = '<b>a &amp; b</b> <a href="https://x.org/?q=1&amp;r=2">&lt;link&gt;</a> &#x1F600;'
    assert html_to_text(html) == "a & b <link> 😀"
    assert html_to_text("<i>Прывітанне</i>,\n<b>свет</b>") == "Прывітанне,\nсвет"
    # Removing a tag must not create an entity out of its neighbours.
    assert html_to_text("&am<b>p;</b>") == "&amp;"


# --- Markdown --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("one\ntwo\n\nthree", "one two\n\nthree"),
        ("\n\n  Text  \n\n\n", "Text"),
        ("# Title\n\nBody", "<b>Title</b>\n\nBody"),
        ("## A **strong** title", "<b>A strong title</b>"),
        ("**bold** *italic* _also_ ~~gone~~", "<b>bold</b> <i>italic</i> <i>also</i> <s>gone</s>"),
        ("***both*** and **bold *it* bold**", "<i><b>both</b></i> and <b>bold <i>it</i> bold</b>"),
        ("**a **b** c**", "<b>a b c</b>"),
        ("`a < b && c`", "<code>a &lt; b &amp;&amp; c</code>"),
        (
            "```python\nif a < b:\n    print('&')\n```",
            "<pre><code class=\"language-python\">if a &lt; b:\n    print('&amp;')</code></pre>",
        ),
        ("```\nplain\n```", "<pre>plain</pre>"),
        ("Para\n\n    indented <x>\n    code", "Para\n\n<pre>indented &lt;x&gt;\ncode</pre>"),
        ("> quoted\n> text\n>\n> second", "<blockquote>quoted text\n\nsecond</blockquote>"),
        ("> outer\n>\n> > inner", "<blockquote>outer\n\ninner</blockquote>"),
        (
            "- one\n- two\n  - nested\n    - deeper\n- three",
            "• one\n• two\n  • nested\n    • deeper\n• three",
        ),
        ("1. first\n2. second", "1. first\n2. second"),
        ("3. three\n4. four\n   - sub", "3. three\n4. four\n  • sub"),
        ("- loose\n\n  more\n- items", "• loose\n  more\n• items"),
        ("- a  \n  b\n- > q\n  >\n  > p", "• a\n  b\n• <blockquote>q\n\n  p</blockquote>"),
        ("before\n\n- a\n- b\n\nafter", "before\n\n• a\n• b\n\nafter"),
        ("a\n\n---\n\nb", "a\n\n———\n\nb"),
        ("hard  \nbreak and\\\nbackslash", "hard\nbreak and\nbackslash"),
        ("a < b & c > d", "a &lt; b &amp; c &gt; d"),
        ("&copy; &amp; &lt;", "© &amp; &lt;"),
        (
            "**Беларусь** і *Расія*: «цытата» — 2024",
            "<b>Беларусь</b> і <i>Расія</i>: «цытата» — 2024",
        ),
    ],
)
def test_markdown_constructs(source: str, expected: str) -> None:
    assert markdown_to_html(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("[site](https://example.com)", '<a href="https://example.com">site</a>'),
        ("[plain](http://example.com/a_b)", '<a href="http://example.com/a_b">plain</a>'),
        ("[q](https://x.org/?a=1&b=2)", '<a href="https://x.org/?a=1&amp;b=2">q</a>'),
        (
            '[п](https://бел.example/пошук?q="c"&r=%22)',
            '<a href="https://xn--90ais.example/%D0%BF%D0%BE%D1%88%D1%83%D0%BA?q=%22c%22&amp;r=%22">'
            "п</a>",
        ),
        ("[mail](mailto:ed@example.com)", '<a href="mailto:ed@example.com">mail</a>'),
        ("[ch](tg://resolve?domain=news)", '<a href="tg://resolve?domain=news">ch</a>'),
        ("[**b** `c`](https://e.com)", '<a href="https://e.com"><b>b</b> <code>c</code></a>'),
        ("<https://example.com/x>", '<a href="https://example.com/x">https://example.com/x</a>'),
        ("<ed@example.com>", '<a href="mailto:ed@example.com">ed@example.com</a>'),
        ("[](https://e.com)", '<a href="https://e.com">https://e.com</a>'),
        ("![Схема](https://e.com/i.png)", '<a href="https://e.com/i.png">Схема</a>'),
        ("[x](javascript:alert(1))", "x"),
        ("[x](<javascript:alert(1)>)", "x"),
        ("[x](JAVASCRIPT:alert(1))", "x"),
        ("[x](data:text/html,hi)", "x"),
        ("[x](ftp://example.com)", "x"),
        ("[x](/relative/path)", "x"),
        ("![alt](javascript:alert(1))", "alt"),
        (
            "[a [b](https://b.org)](https://a.org)",
            '[a <a href="https://b.org">b</a>](https://a.org)',
        ),
    ],
)
def test_markdown_links(source: str, expected: str) -> None:
    assert markdown_to_html(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<b>bold?</b>", "&lt;b&gt;bold?&lt;/b&gt;"),
        ("x <script>alert(1)</script>", "x &lt;script&gt;alert(1)&lt;/script&gt;"),
        ("<div>\nblock\n</div>", "&lt;div&gt; block &lt;/div&gt;"),
        ('<a href="javascript:x">y</a>', '&lt;a href="javascript:x"&gt;y&lt;/a&gt;'),
        ("<!-- comment -->", "&lt;!-- comment --&gt;"),
    ],
)
def test_markdown_raw_html_is_text(source: str, expected: str) -> None:
    assert markdown_to_html(source) == expected


def test_markdown_commentary_is_valid_telegram_html() -> None:
    source = (
        "# Што адбылося\n\n"
        "Урад **павялічыў** падаткі, а *апазіцыя* — ~~не~~ адрэагавала.\n"
        "Падрабязнасці [тут](https://example.com/a?x=1&y=2).\n\n"
        "> Цытата з `кодам` і <b>html</b>\n\n"
        "1. Першае\n2. Другое\n   - падпункт\n\n"
        "```\n<tag> & stuff\n```\n"
    )
    html = markdown_to_html(source)
    text = strict_text(html, no_self_nesting=True)
    assert text.startswith("Што адбылося\n\nУрад павялічыў падаткі")
    assert "Цытата з кодам і <b>html</b>" in text
    assert "1. Першае\n2. Другое\n  • падпункт" in text
    assert text.endswith("<tag> & stuff")
    assert html == html.strip()


MARKDOWN_ALPHABET = "ab Бя*_~`#>-+1.)[](<>&!:/\\\n  h"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=MARKDOWN_ALPHABET, max_size=200))
def test_markdown_output_is_always_valid(source: str) -> None:
    html = markdown_to_html(source)
    strict_text(html, no_self_nesting=True)
    assert html == html.strip()
    assert "\n\n\n" not in re.sub(r"<pre>.*?</pre>", "", html, flags=re.DOTALL)


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(["https://e.com/", "mailto:a@b.c", "javascript:", "ftp://", "vbscript:"]),
    st.text(alphabet="ab\"<>&' ()", max_size=20),
)
def test_markdown_link_targets_are_safe(prefix: str, tail: str) -> None:
    html = markdown_to_html(f"[text](<{prefix}{tail}>)")
    strict_text(html)
    for href in re.findall(r'href="([^"]*)"', html):
        assert href.startswith(("https:", "http:", "mailto:", "tg:"))


# --- Splitting: explicit cases ---------------------------------------------------------------


def sentences(count: int, sentence: str = "Гэта сказ пра эканоміку краіны. ") -> str:
    """Return `count` copies of a sentence, without the final space."""
    return (sentence * count).rstrip()


def test_text_that_fits_is_returned_unchanged() -> None:
    html = "  <b>Загаловак</b>\n\nТэкст & <i>рэшта</i> 😀\n"
    assert split_html(html) == ["<b>Загаловак</b>\n\nТэкст & <i>рэшта</i> 😀"]
    exact = "я" * 4096
    assert split_html(exact) == [exact]


def test_blank_text_gives_no_parts() -> None:
    assert split_html("") == []
    assert split_html(" \n\n ") == []
    assert split_html("<b> </b>") == []


@pytest.mark.parametrize("limit", [-1, 0, 15])
def test_too_small_limit_is_rejected(limit: int) -> None:
    with pytest.raises(ValueError, match="limit"):
        split_html("text", limit)


def test_split_prefers_paragraph_boundaries() -> None:
    first = sentences(95)  # 95 × 32 characters, about 3000
    second = sentences(95, "Другі абзац таксама даволі доўгі. ")
    parts = split_html(f"{first}\n\n{second}")
    assert parts == [first, second]
    # Line breaks and sentence ends later in the window do not win over the paragraph.
    lines = "\n".join([sentences(3)] * 40)
    parts = split_html(f"{first}\n\n<i>{lines}</i>")
    assert parts[0] == first
    assert parts[1] == "<i>" + "\n".join([sentences(3)] * 40) + "</i>"


def test_split_packs_several_paragraphs_per_part() -> None:
    paragraphs = [sentences(20) for _ in range(10)]  # 10 × 639 characters
    parts = split_html("\n\n".join(paragraphs), 2000)
    assert parts == ["\n\n".join(paragraphs[index : index + 3]) for index in (0, 3, 6)] + [
        paragraphs[9]
    ]


def test_split_prefers_line_breaks_to_sentences() -> None:
    lines = [f"Радок {index}. Яшчэ адзін сказ у радку." for index in range(40)]
    parts = split_html("\n".join(lines), 200)
    assert all(telegram_length(part) <= 200 for part in parts)
    assert [line for part in parts for line in part.split("\n")] == lines


def test_split_falls_back_to_sentences_then_spaces() -> None:
    text = "Ці будзе дождж? Так! Можа… Вось гэтак. " * 10
    parts = split_html(text, 50)
    for part in parts[:-1]:
        assert part.endswith(("?", "!", "…", ".")), part
    assert "".join(parts).replace(" ", "") == text.replace(" ", "")
    words = split_html("слова " * 40, 20)
    assert words[0] == "слова слова слова"
    assert all(part.split(" ") == ["слова"] * len(part.split(" ")) for part in words)


def test_split_long_paragraph_inside_blockquote_and_bold() -> None:
    body = sentences(320)  # 10,239 characters
    html = f"<blockquote expandable><b>{body}</b></blockquote>"
    parts = split_html(html)
    assert len(parts) == 3
    for part in parts:
        assert part.startswith("<blockquote expandable><b>Гэта")
        assert part.endswith(".</b></blockquote>")
        assert telegram_length(part) <= 4096
    # Greedy: each full part lacks less than one sentence.
    assert all(telegram_length(part) > 4096 - 32 for part in parts[:2])
    assert_valid_split(html, parts, 4096)


def test_split_word_longer_than_limit() -> None:
    word = "ы" * 6000
    assert split_html(word) == [word[:4096], word[4096:]]
    parts = split_html(f"Пачатак <i>{word}</i> канец")
    assert [telegram_length(part) for part in parts] == [4096, 1918]
    assert parts[0] == f"Пачатак <i>{word[:4088]}</i>"
    assert parts[1] == f"<i>{word[4088:]}</i> канец"


def test_split_never_cuts_an_entity() -> None:
    html = "&amp;" * 6000
    parts = split_html(html)
    assert parts == ["&amp;" * 4096, "&amp;" * 1904]
    parts = split_html("x" + "&lt;" * 40, 16)
    assert parts == ["x" + "&lt;" * 15, "&lt;" * 16, "&lt;" * 9]


def test_split_counts_utf16_and_keeps_surrogate_pairs() -> None:
    emoji = "😀" * 3000
    parts = split_html(emoji)
    assert parts == ["😀" * 2048, "😀" * 952]
    parts = split_html("😀" * 20, 17)
    assert parts == ["😀" * 8, "😀" * 8, "😀" * 4]
    parts = split_html("a" + "&#128512;" * 10, 16)
    assert [telegram_length(part) for part in parts] == [15, 6]


def test_split_keeps_flags_and_modifiers_whole() -> None:
    flags = "🇧🇾" * 10  # each flag is two characters, four UTF-16 units
    parts = split_html(flags, 18)
    assert parts == ["🇧🇾" * 4, "🇧🇾" * 4, "🇧🇾" * 2]
    thumbs = "👍🏽" * 10
    assert split_html(thumbs, 18) == ["👍🏽" * 4, "👍🏽" * 4, "👍🏽" * 2]


def test_split_reopens_tags_with_their_attributes() -> None:
    link = '<a href="https://example.com/a?b=1&amp;c=2">'
    code = "x = 1\n" * 30
    html = f'<pre><code class="language-python">{code}</code></pre>\n\n{link}{"слова " * 30}</a>'
    parts = split_html(html, 64)
    code_parts = [part for part in parts if part.startswith("<pre>")]
    link_parts = [part for part in parts if part.startswith("<a ")]
    # Ten lines of code (59 characters) or ten words fill a part of 64.
    assert (
        code_parts
        == ['<pre><code class="language-python">' + ("x = 1\n" * 10).strip() + "</code></pre>"] * 3
    )
    assert link_parts == [link + ("слова " * 10).strip() + "</a>"] * 3
    assert_valid_split(html, parts, 64)


def test_split_does_not_cut_custom_emoji() -> None:
    emoji = '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
    html = "abcdefghijklmn" + emoji + "opq"
    parts = split_html(html, 16)
    assert parts == ["abcdefghijklmn" + emoji, "opq"]
    assert split_html("abcdefghijklmno" + emoji + "x", 16) == ["abcdefghijklmno", emoji + "x"]


def test_split_repairs_stray_markup_in_cut_text() -> None:
    parts = split_html("a < b " * 10, 16)
    assert all("<" not in part for part in parts)
    assert "".join(html_to_text(part) for part in parts).replace(" ", "") == "a<b" * 10


def test_split_result_can_be_modified_by_the_caller() -> None:
    html = sentences(300)
    first = split_html(html)
    first.clear()
    assert len(split_html(html)) == 3


def test_split_is_fast_on_a_long_commentary() -> None:
    paragraph = (
        "Эканоміка Беларусі ў 2024 годзе <b>расла</b>, але <i>павольна</i>; падрабязнасці "
        '<a href="https://example.com/a?b=1&amp;c=2">у справаздачы</a> &amp; табліцах. '
    ) * 6
    timings = []
    for variant in range(5):
        html = "\n\n".join([paragraph] * 36) + f" {variant}"
        assert 20_000 <= len(html_to_text(html)) <= 25_000
        started = time.perf_counter()
        parts = split_html(html)
        timings.append(time.perf_counter() - started)
        assert len(parts) == 6
    assert min(timings) < 0.010


# --- Splitting: properties -------------------------------------------------------------------

LETTERS = "abcxyz АБВабвгдеёжзіўэюя"
WORDS = st.one_of(
    st.text(alphabet=LETTERS, min_size=1, max_size=12),
    st.sampled_from(
        ["😀", "👍🏽", "🇧🇾", "&amp;", "&lt;", "&gt;", "&quot;", "&#128512;", "&#x41;", "«так»"]
    ),
    st.integers(1, 300).map(lambda count: "щ" * count),
    st.integers(1, 100).map(lambda count: "😀" * count),
    st.integers(1, 60).map(lambda count: "&amp;" * count),
)
SEPARATORS = st.sampled_from([" ", " ", " ", " ", ". ", "! ", "? ", "… ", ", ", "\n", "\n\n"])
TEXT = st.lists(st.tuples(WORDS, SEPARATORS), min_size=1, max_size=30).map(
    lambda pairs: "".join(word + separator for word, separator in pairs)
)
INLINE_TAGS = [
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    'span class="tg-spoiler"',
    "tg-spoiler",
    'a href="https://example.com/?a=1&amp;b=2"',
]
LEAVES = st.one_of(
    TEXT,
    TEXT.map(lambda text: f"<code>{text}</code>"),
    st.just('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'),
)


def wrap(tag: str, content: str) -> str:
    """Wrap content in an element given by its opening tag's inside."""
    return f"<{tag}>{content}</{tag.split(maxsplit=1)[0]}>"


INLINE = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.tuples(st.sampled_from(INLINE_TAGS), st.lists(children, min_size=1, max_size=4)).map(
            lambda pair: wrap(pair[0], "".join(pair[1]))
        ),
        st.lists(children, min_size=1, max_size=4).map("".join),
    ),
    max_leaves=10,
)
BLOCKS = st.one_of(
    INLINE,
    INLINE.map(lambda inline: wrap("blockquote", inline)),
    INLINE.map(lambda inline: wrap("blockquote expandable", inline)),
    TEXT.map(lambda text: wrap("pre", text)),
    TEXT.map(lambda text: f'<pre><code class="language-python">{text}</code></pre>'),
)
DOCUMENTS = st.lists(BLOCKS, min_size=1, max_size=6).flatmap(
    lambda blocks: st.sampled_from(["\n\n", "\n", ""]).map(lambda joiner: joiner.join(blocks))
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS, st.integers(16, 400))
def test_split_parts_are_valid_and_lose_nothing(html: str, limit: int) -> None:
    strict_text(html)  # the generator itself produces valid input
    parts = split_html(html, limit)
    assert_valid_split(html, parts, limit)
    if telegram_length(html) <= limit and strict_text(html).strip():
        assert parts == [html.strip()]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS, st.integers(16, 400))
def test_length_functions_agree_with_the_checker(html: str, limit: int) -> None:
    text = strict_text(html)
    assert html_to_text(html) == text
    assert telegram_length(html) == utf16(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS, st.integers(2, 300))
def test_truncate_is_valid_and_within_limit(html: str, limit: int) -> None:
    result = truncate_html(html, limit)
    text = strict_text(result)
    assert utf16(text) <= limit
    original = strict_text(html).strip()
    if utf16(strict_text(html.strip())) <= limit:
        assert result == html.strip()
    else:
        assert text.endswith("…")
        assert original.startswith(text[:-1].rstrip(",;:.-–—").rstrip())


# --- Truncation ------------------------------------------------------------------------------


def test_truncate_returns_fitting_text_unchanged() -> None:
    assert truncate_html("  <b>Кароткі</b> тэкст ", 100) == "<b>Кароткі</b> тэкст"


def test_truncate_cuts_at_a_word_and_keeps_ellipsis_outside_links() -> None:
    html = '<b>Hello <a href="https://x.org">world wide web and more</a></b>'
    assert truncate_html(html, 20) == '<b>Hello <a href="https://x.org">world wide</a>…</b>'


def test_truncate_prefers_sentence_end_and_drops_its_punctuation() -> None:
    html = "<i>Першы доўгі сказ тут. Другі сказ, які ўжо не змяшчаецца.</i>"
    assert truncate_html(html, 30) == "<i>Першы доўгі сказ тут…</i>"
    assert truncate_html(html, 44) == "<i>Першы доўгі сказ тут. Другі сказ, які ўжо…</i>"


def test_truncate_puts_ellipsis_after_code() -> None:
    html = '<pre><code class="language-python">' + "value = 1\n" * 10 + "</code></pre>"
    result = truncate_html(html, 40)
    assert result.endswith("</code></pre>…")
    assert telegram_length(result) <= 40
    strict_text(result)


def test_truncate_custom_ellipsis_is_escaped() -> None:
    result = truncate_html("слова " * 20, 30, ellipsis=" <…>")
    assert result.endswith(" &lt;…&gt;")
    assert telegram_length(result) <= 30


def test_truncate_rejects_limit_without_room() -> None:
    with pytest.raises(ValueError, match="ellipsis"):
        truncate_html("a long enough text", 1)


def test_truncate_text_counts_utf16_and_keeps_markup_characters_literal() -> None:
    assert truncate_text("  <b>&amp; short ", 200) == "<b>&amp; short"
    cut = truncate_text("😀" * 150, 200)
    assert cut.endswith("…") and len(cut.encode("utf-16-le")) // 2 <= 200
    words = truncate_text("word " * 100, 50)
    assert words == "word " * 9 + "word…"
