"""Tests of the content import format: parsing, error reporting and the sample content."""

from __future__ import annotations

import pickle
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bot
from bot.errors import ContentError, ContentErrors
from bot.newsletter.content import KEY_PATTERN, LANGUAGES, IssueDraft
from bot.newsletter.importer import COMMENTARY_NAMES, parse_issue, read_issue_files
from bot.newsletter.telegram_html import MESSAGE_LIMIT, html_to_text, split_html, telegram_length

SAMPLES = Path(bot.__file__).parent / "sample_content"
SAMPLE_FILES = sorted(SAMPLES.glob("*.md"))
SAMPLE_NAME = re.compile(r"issue-(\d{4}-\d{2}-\d{2})\.(be|ru|en)\.md")
KNOWN = ", ".join(COMMENTARY_NAMES)
NO_MARKDOWN = re.compile(r"\*\*|\]\(|^> |^- |^#", re.MULTILINE)

HEADER = """\
---
week-start: 2026-03-02
week-end: 2026-03-08
language: en
---

"""
"""Lines 1-6 of most test files; the first commentary heading is on line 7."""

FIRST = """\
# Energy tariffs go up
key: energy-tariffs
topic: economy
topic-name: Economy
kicker: Households will pay more
author: Alena Kavalenka
link: https://example.org/en/energy-tariffs

The lead, which
wraps over two lines.

The body with **bold** & <angle brackets>.
"""
"""Lines 7-18 after HEADER: heading 7, key 8, ..., link 13, lead 15-16, body 18."""

SECOND = """\

# Queues at the border
key: border-queues
topic: belarus-eu
topic-name: Belarus and the EU
kicker: The situation got worse
author: Anton Shyla

Lead of the second commentary.
"""
"""Lines 19-27 after HEADER + FIRST: heading 20, key 21, lead 27."""


def problems(text: str, source: str = "t.md") -> list[tuple[int, str]]:
    """Parse text that must fail and return its problems as (line, message) pairs."""
    with pytest.raises(ContentErrors) as info:
        parse_issue(text, source)
    assert all(error.source == source for error in info.value.errors)
    return [(error.line, error.message) for error in info.value.errors]


def batch_problems(paths: list[Path]) -> list[tuple[str, int, str]]:
    """Read files that must fail together and return (source, line, message) triples."""
    with pytest.raises(ContentErrors) as info:
        read_issue_files(paths)
    return [(error.source, error.line, error.message) for error in info.value.errors]


def write(directory: Path, name: str, text: str) -> Path:
    """Write a UTF-8 file and return its path."""
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def header(start: str = "2026-03-02", end: str = "2026-03-08", language: str = "en") -> str:
    """Return a front matter block followed by a blank line (six lines)."""
    return f"---\nweek-start: {start}\nweek-end: {end}\nlanguage: {language}\n---\n\n"


def commentary(key: str, topic: str = "economy", topic_name: str = "Economy") -> str:
    """Return a minimal valid commentary (seven lines, heading first) and a blank line."""
    return (
        f"# Title of {key}\nkey: {key}\ntopic: {topic}\ntopic-name: {topic_name}\n"
        f"kicker: Kicker\nauthor: Author\n\nLead of {key}.\n\n"
    )


# --- A valid file --------------------------------------------------------------------------


def test_a_valid_file_becomes_a_draft() -> None:
    draft = parse_issue(HEADER + FIRST + SECOND, "issue-2026-03-02.en.md")
    assert draft.source == "issue-2026-03-02.en.md"
    assert draft.language == "en"
    assert (draft.week_start, draft.week_end) == (date(2026, 3, 2), date(2026, 3, 8))
    first, second = draft.commentaries
    assert (first.key, first.topic_key, first.topic_name) == (
        "energy-tariffs",
        "economy",
        "Economy",
    )
    assert (first.position, first.line) == (0, 7)
    assert (second.position, second.line) == (1, 20)
    text = first.text
    assert text.language == "en"
    assert text.title == "Energy tariffs go up"
    assert text.kicker == "Households will pay more"
    assert text.author == "Alena Kavalenka"
    assert text.link == "https://example.org/en/energy-tariffs"
    assert text.lead == "The lead, which wraps over two lines."
    assert text.body == "The body with <b>bold</b> &amp; &lt;angle brackets&gt;."
    assert second.text.link is None
    assert second.text.body == ""


def test_the_body_keeps_its_markdown_structure_as_html() -> None:
    body = """\
First paragraph with *italic* and a [link](https://example.org/a?b=1&c=2).

## A subheading

> A quote.

- one
- two
"""
    draft = parse_issue(
        HEADER + FIRST.replace("The body with **bold** & <angle brackets>.\n", body), "t"
    )
    html = draft.commentaries[0].text.body
    assert "<i>italic</i>" in html
    assert '<a href="https://example.org/a?b=1&amp;c=2">link</a>' in html
    assert "<b>A subheading</b>" in html
    assert "<blockquote>A quote.</blockquote>" in html
    assert "• one\n• two" in html


def test_crlf_line_ends_and_a_byte_order_mark_are_accepted() -> None:
    text = "\ufeff" + (HEADER + FIRST + SECOND).replace("\n", "\r\n")
    draft = parse_issue(text, "t.md")
    assert [c.line for c in draft.commentaries] == [7, 20]
    assert draft.commentaries[0].text.lead == "The lead, which wraps over two lines."
    broken = "\ufeff" + (HEADER + FIRST.replace("author:", "autor:")).replace("\n", "\r\n")
    assert problems(broken) == [
        (7, "missing metadata: author"),
        (12, f"unknown metadata name 'autor' (expected one of: {KNOWN})"),
    ]


def test_week_of_one_to_seven_days_is_accepted() -> None:
    for days in (1, 7):
        end = (date(2026, 3, 2) + timedelta(days=days - 1)).isoformat()
        draft = parse_issue(header(end=end) + FIRST, "t.md")
        assert (draft.week_end - draft.week_start).days == days - 1


def test_values_at_their_length_limit_are_accepted() -> None:
    text = HEADER + FIRST.replace("Energy tariffs go up", "Т" * 1000).replace(
        "Households will pay more", "K" * 200
    ).replace("Alena Kavalenka", "A" * 100).replace(
        "topic-name: Economy", "topic-name: " + "N" * 64
    ).replace("energy-tariffs\n", "e" * 40 + "\n", 1)
    draft = parse_issue(text, "t.md")
    assert draft.commentaries[0].key == "e" * 40
    assert draft.commentaries[0].text.title == "Т" * 1000


def test_a_hash_line_inside_a_fenced_code_block_does_not_start_a_commentary() -> None:
    body = """\
Before the code.

```
# not a heading
key: not-metadata
```

~~~~
# nor this one
~~~~

After the code.
"""
    text = HEADER + FIRST.replace("The body with **bold** & <angle brackets>.\n", body) + SECOND
    draft = parse_issue(text, "t.md")
    assert [c.key for c in draft.commentaries] == ["energy-tariffs", "border-queues"]
    html = draft.commentaries[0].text.body
    assert "<pre># not a heading\nkey: not-metadata</pre>" in html
    assert "<pre># nor this one</pre>" in html
    assert html.endswith("After the code.")


def test_subheadings_and_hashes_in_quotes_or_lists_stay_in_the_body() -> None:
    body = "## Subheading\n\n> # quoted\n\n- # listed\n\n    # indented code\n"
    text = HEADER + FIRST.replace("The body with **bold** & <angle brackets>.\n", body)
    draft = parse_issue(text, "t.md")
    assert len(draft.commentaries) == 1
    assert "<b>Subheading</b>" in draft.commentaries[0].text.body


def test_a_list_right_after_the_lead_starts_the_body() -> None:
    text = HEADER + FIRST.replace("wraps over two lines.\n", "wraps over two lines.\n- an item\n")
    draft = parse_issue(text, "t.md")
    assert draft.commentaries[0].text.lead == "The lead, which wraps over two lines."
    assert draft.commentaries[0].text.body.startswith("• an item")


# --- Errors in the front matter -------------------------------------------------------------


def test_missing_front_matter() -> None:
    assert problems(FIRST) == [(1, "missing front matter: the file must start with a '---' line")]


def test_front_matter_that_is_not_closed() -> None:
    text = HEADER.replace("---\n\n", "\n") + FIRST
    assert problems(text) == [(1, "the front matter is not closed with a '---' line")]


def test_bad_dates() -> None:
    text = header(start="2026-3-2", end="2026-02-30") + FIRST
    assert problems(text) == [
        (2, "invalid date '2026-3-2' for 'week-start' (expected YYYY-MM-DD)"),
        (3, "invalid date '2026-02-30' for 'week-end' (expected YYYY-MM-DD)"),
    ]


def test_end_before_start() -> None:
    assert problems(header(end="2026-03-01") + FIRST) == [
        (3, "week-end 2026-03-01 is before week-start 2026-03-02")
    ]


def test_more_than_seven_days() -> None:
    assert problems(header(end="2026-03-09") + FIRST) == [
        (3, "the issue spans 8 days (2026-03-02 to 2026-03-09); it may span at most 7")
    ]


def test_unknown_language() -> None:
    assert problems(header(language="de") + FIRST) == [
        (4, "unknown language 'de' (expected one of: be, ru, en)")
    ]


def test_front_matter_names_unknown_duplicated_missing_or_empty() -> None:
    text = "---\nweek-start: 2026-03-02\nlanguage:\nweek-start: 2026-03-03\nlang: en\n---\n\n"
    assert problems(text + FIRST) == [
        (1, "missing metadata in the front matter: week-end"),
        (3, "empty value for 'language'"),
        (4, "duplicate metadata name 'week-start' (first given on line 2)"),
        (5, "unknown metadata name 'lang' (expected one of: week-start, week-end, language)"),
    ]


def test_a_line_that_is_not_name_value_in_the_front_matter() -> None:
    text = "---\nweek-start: 2026-03-02\nweek-end 2026-03-08\nlanguage: en\n---\n\n"
    assert problems(text + FIRST) == [
        (1, "missing metadata in the front matter: week-end"),
        (3, "expected 'name: value' in the front matter, got 'week-end 2026-03-08'"),
    ]


# --- Errors in the structure and in commentaries --------------------------------------------


def test_text_before_the_first_heading() -> None:
    text = HEADER + "An introduction nobody asked for.\n\n" + FIRST
    assert problems(text) == [
        (7, "text before the first commentary (a commentary starts with a '# Title' line)")
    ]


def test_a_file_without_commentaries() -> None:
    assert problems(HEADER) == [(0, "no commentaries (a commentary starts with a '# Title' line)")]


def test_unknown_metadata_name() -> None:
    text = HEADER + FIRST.replace("author:", "autor:")
    assert problems(text) == [
        (7, "missing metadata: author"),
        (12, f"unknown metadata name 'autor' (expected one of: {KNOWN})"),
    ]


def test_duplicate_and_empty_metadata() -> None:
    text = HEADER + FIRST.replace("author: Alena Kavalenka\n", "author: A\nkicker:\n")
    assert problems(text) == [
        (13, "duplicate metadata name 'kicker' (first given on line 11)"),
    ]
    text = HEADER + FIRST.replace("kicker: Households will pay more", "kicker:")
    assert problems(text) == [(11, "empty value for 'kicker'")]


def test_missing_metadata() -> None:
    text = HEADER + FIRST.replace("topic-name: Economy\n", "").replace("key: energy-tariffs\n", "")
    assert problems(text) == [(7, "missing metadata: key, topic-name")]


def test_a_level_one_heading_in_a_body_is_taken_for_a_new_commentary() -> None:
    text = HEADER + FIRST + "\n# A subheading by mistake\n\nMore body.\n"
    assert problems(text) == [
        (
            20,
            "missing metadata: key, topic, topic-name, kicker, author "
            "(a '# ' line starts a new commentary; use '## ' for a subheading)",
        )
    ]


def test_bad_keys() -> None:
    text = HEADER + FIRST.replace("key: energy-tariffs", "key: Energy_Tariffs").replace(
        "topic: economy", "topic: -economy"
    )
    rule = "(expected up to 40 lowercase letters, digits and hyphens, not starting with a hyphen)"
    assert problems(text) == [
        (8, f"invalid key 'Energy_Tariffs' {rule}"),
        (9, f"invalid topic '-economy' {rule}"),
    ]
    too_long = HEADER + FIRST.replace("key: energy-tariffs", "key: " + "k" * 41)
    assert problems(too_long) == [(8, f"invalid key '{'k' * 41}' {rule}")]


@pytest.mark.parametrize(
    "link",
    [
        "ftp://example.org/file",
        "javascript:alert(1)",
        "http://",
        "example.org/page",
        "https://ex ample.org",
    ],
)
def test_links_must_be_http_urls(link: str) -> None:
    text = HEADER + FIRST.replace("https://example.org/en/energy-tariffs", link)
    assert problems(text) == [(13, f"link must be an http:// or https:// URL, got '{link}'")]


@pytest.mark.parametrize(
    "link",
    [
        'https://example.org/be/пошук?q=a&b="c"',
        "https://наша-ніва.бел/навіны/<2026>",
        "http://example.org/ru/%D0%BF%D0%BE%D0%B8%D1%81%D0%BA?q=%22c%22",
        "HTTPS://Example.org/path#раздел",
    ],
)
def test_links_may_be_iris_as_browsers_show_them(link: str) -> None:
    body = f"\nSee [the report]({link}) for details.\n"
    text = HEADER + FIRST.replace("https://example.org/en/energy-tariffs", link) + body
    draft = parse_issue(text, "t.md")
    assert draft.commentaries[0].text.link == link
    hrefs = re.findall(r'href="([^"]*)"', draft.commentaries[0].text.body)
    assert len(hrefs) == 1 and hrefs[0].isascii() and " " not in hrefs[0]


def test_values_over_their_length_limit() -> None:
    text = HEADER + FIRST.replace("Energy tariffs go up", "T" * 1001).replace(
        "Households will pay more", "K" * 201
    ).replace("Alena Kavalenka", "A" * 101).replace(
        "topic-name: Economy", "topic-name: " + "N" * 65
    )
    assert problems(text) == [
        (7, "title is 1001 characters long (at most 1000)"),
        (10, "topic-name is 65 characters long (at most 64)"),
        (11, "kicker is 201 characters long (at most 200)"),
        (12, "author is 101 characters long (at most 100)"),
    ]


def test_empty_title() -> None:
    text = HEADER + FIRST.replace("# Energy tariffs go up", "#")
    assert problems(text) == [(7, "empty title")]


def test_missing_lead() -> None:
    text = HEADER + FIRST.split("\nThe lead", 1)[0] + SECOND
    assert problems(text) == [
        (7, "missing lead: add a paragraph after the metadata and a blank line")
    ]


def test_a_lead_that_is_not_a_paragraph() -> None:
    text = HEADER + FIRST.replace("The lead, which\n", "- The lead, which\n")
    assert problems(text) == [(15, "the lead must be a paragraph of text, not a list")]


def test_no_blank_line_between_metadata_and_lead() -> None:
    text = HEADER + FIRST.replace("energy-tariffs\n\nThe lead", "energy-tariffs\nThe lead")
    assert problems(text) == [
        (
            14,
            "expected a 'name: value' metadata line or a blank line before the lead, "
            "got 'The lead, which'",
        )
    ]


def test_duplicate_commentary_key() -> None:
    text = HEADER + FIRST + SECOND.replace("key: border-queues", "key: energy-tariffs")
    assert problems(text) == [
        (21, "duplicate commentary key 'energy-tariffs' (first used on line 8)")
    ]


def test_an_unclosed_code_fence_is_reported() -> None:
    text = HEADER + FIRST.replace("The body with", "```\nThe body with") + SECOND
    assert problems(text) == [
        (18, "code block opened here is never closed (add a '```' line after it)")
    ]


def test_every_problem_in_a_file_is_reported_in_line_order() -> None:
    text = (
        header(end="2026-03-20", language="xx")
        + "Stray text.\n\n"
        + FIRST.replace("author:", "autor:").replace("https://", "ftp://")
        + SECOND.replace("key: border-queues", "key: Border")
    )
    assert problems(text) == [
        (3, "the issue spans 19 days (2026-03-02 to 2026-03-20); it may span at most 7"),
        (4, "unknown language 'xx' (expected one of: be, ru, en)"),
        (7, "text before the first commentary (a commentary starts with a '# Title' line)"),
        (9, "missing metadata: author"),
        (14, f"unknown metadata name 'autor' (expected one of: {KNOWN})"),
        (15, "link must be an http:// or https:// URL, got 'ftp://example.org/en/energy-tariffs'"),
        (
            23,
            "invalid key 'Border' (expected up to 40 lowercase letters, digits and hyphens, "
            "not starting with a hyphen)",
        ),
    ]


def test_error_formatting() -> None:
    error = ContentError("issue-2026-03-02.en.md", 14, "unknown metadata name 'autor'")
    assert str(error) == "issue-2026-03-02.en.md:14: unknown metadata name 'autor'"
    assert str(ContentError("a.md", 0, "no commentaries")) == "a.md: no commentaries"
    errors = ContentErrors([error, ContentError("b.md", 3, "bad")])
    assert str(errors) == ("issue-2026-03-02.en.md:14: unknown metadata name 'autor'\nb.md:3: bad")
    copy = pickle.loads(pickle.dumps(errors))
    assert [(e.source, e.line, e.message) for e in copy.errors] == [
        (e.source, e.line, e.message) for e in errors.errors
    ]


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from("#-:`~> \n\tab1é<&*[]()"), max_size=200))
def test_any_text_either_parses_or_raises_content_errors(tail: str) -> None:
    for text in (tail, HEADER + tail, HEADER + FIRST + tail):
        try:
            draft = parse_issue(text, "fuzz.md")
        except ContentErrors as exc:
            assert exc.errors
            assert all(0 <= e.line <= text.count("\n") + 1 for e in exc.errors)
        else:
            assert draft.commentaries


# --- Several files --------------------------------------------------------------------------


def test_files_of_one_week_must_agree(tmp_path: Path) -> None:
    en = write(
        tmp_path, "w.en.md", header() + commentary("a") + commentary("b", "society", "Society")
    )
    ru = write(
        tmp_path,
        "w.ru.md",
        header(end="2026-03-07", language="ru") + commentary("a", "politics", "Политика"),
    )
    en_again = write(tmp_path, "again.en.md", header() + commentary("c"))
    assert batch_problems([en, ru, en_again]) == [
        (
            "w.ru.md",
            3,
            "week-end 2026-03-07 differs from week-end 2026-03-08 in w.en.md "
            "for the same week-start",
        ),
        ("w.ru.md", 9, "commentary 'a' has topic 'politics' here but 'economy' in w.en.md:7"),
        (
            "again.en.md",
            4,
            "the week starting 2026-03-02 already has a file in language 'en': w.en.md",
        ),
    ]


def test_keys_belong_to_one_week_and_topics_have_one_name(tmp_path: Path) -> None:
    first = write(tmp_path, "1.en.md", header() + commentary("a") + commentary("b"))
    second = write(
        tmp_path,
        "2.en.md",
        header("2026-03-09", "2026-03-15") + commentary("a") + commentary("c", "economy", "Money"),
    )
    assert batch_problems([first, second]) == [
        (
            "2.en.md",
            8,
            "commentary key 'a' is already used in the week starting 2026-03-02 (1.en.md:7); "
            "keys must be unique across weeks",
        ),
        ("2.en.md", 19, "topic 'economy' is named 'Money' here but 'Economy' in 1.en.md:10"),
    ]


def test_commentaries_keep_the_same_order_in_every_language(tmp_path: Path) -> None:
    en = write(tmp_path, "w.en.md", header() + commentary("a") + commentary("b") + commentary("c"))
    ru = write(
        tmp_path,
        "w.ru.md",
        header(language="ru")
        + commentary("a", topic_name="Экономика")
        + commentary("c", topic_name="Экономика"),
    )
    be = write(
        tmp_path,
        "w.be.md",
        header(language="be")
        + commentary("b", topic_name="Эканоміка")
        + commentary("a", topic_name="Эканоміка"),
    )
    assert batch_problems([en, ru, be]) == [
        (
            "w.be.md",
            7,
            "commentary 'b' is out of order compared with w.en.md "
            "(keep the same order in every language)",
        ),
    ]
    # A commentary missing in one language does not count as a change of order.
    assert [d.language for d in read_issue_files([en, ru])] == ["en", "ru"]


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    good = write(tmp_path, "good.en.md", header() + commentary("a"))
    latin1 = tmp_path / "latin1.ru.md"
    latin1.write_bytes(
        (header(language="ru") + commentary("b")).encode("utf-8") + "Caf\xe9\n".encode("latin-1")
    )
    missing = tmp_path / "missing.be.md"
    problems_found = batch_problems([good, latin1, missing])
    assert problems_found[0] == (
        "latin1.ru.md",
        16,
        "the file is not valid UTF-8 (byte 0xe9); save it as UTF-8",
    )
    source, line, message = problems_found[1]
    assert (source, line) == ("missing.be.md", 0)
    assert message.startswith("cannot read the file: ")
    assert len(problems_found) == 2


def test_problems_of_all_files_are_collected_and_nothing_is_returned(tmp_path: Path) -> None:
    good = write(tmp_path, "good.en.md", header() + commentary("a"))
    bad_one = write(tmp_path, "bad.ru.md", header(language="ru") + "# Title\n\nLead.\n")
    bad_two = write(tmp_path, "bad.be.md", commentary("a"))
    assert batch_problems([good, bad_one, bad_two]) == [
        (
            "bad.ru.md",
            7,
            "missing metadata: key, topic, topic-name, kicker, author "
            "(a '# ' line starts a new commentary; use '## ' for a subheading)",
        ),
        ("bad.be.md", 1, "missing front matter: the file must start with a '---' line"),
    ]
    assert read_issue_files([good])[0].commentaries[0].key == "a"


# --- The sample content ---------------------------------------------------------------------


def load_samples() -> list[IssueDraft]:
    """Read every sample file as one batch, the way an operator imports them."""
    return read_issue_files(SAMPLE_FILES)


def test_sample_files_are_three_weeks_in_three_languages() -> None:
    names = [path.name for path in SAMPLE_FILES]
    assert len(names) == 9
    weeks = set()
    for name in names:
        match = SAMPLE_NAME.fullmatch(name)
        assert match is not None, name
        weeks.add(date.fromisoformat(match.group(1)))
    assert sorted(weeks) == [date(2026, 9, 7), date(2026, 9, 14), date(2026, 9, 21)]


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda path: path.name)
def test_each_sample_file_parses_on_its_own(path: Path) -> None:
    draft = parse_issue(path.read_text(encoding="utf-8"), path.name)
    match = SAMPLE_NAME.fullmatch(path.name)
    assert match is not None
    assert draft.week_start == date.fromisoformat(match.group(1))
    assert draft.language == match.group(2)
    assert draft.week_start.weekday() == 0
    assert draft.week_end == draft.week_start + timedelta(days=6)
    assert 3 <= len(draft.commentaries) <= 4
    for position, item in enumerate(draft.commentaries):
        assert item.position == position
        assert KEY_PATTERN.fullmatch(item.key)
        assert item.text.language == draft.language
        assert item.text.link is None or item.text.link.startswith(
            f"https://weekly.example.org/{draft.language}/"
        )
        for html in (item.text.lead, item.text.body):
            assert not NO_MARKDOWN.search(html), html[:80]
        assert "\n\n" not in item.text.lead
        assert item.text.body.count("\n\n") >= 2  # at least three blocks


def test_sample_issues_share_keys_and_topics_across_languages() -> None:
    drafts = load_samples()
    by_week: dict[date, dict[str, list[tuple[str, str]]]] = {}
    for draft in drafts:
        pairs = [(c.key, c.topic_key) for c in draft.commentaries]
        by_week.setdefault(draft.week_start, {})[draft.language] = pairs
    assert len(by_week) == 3
    for week, languages in by_week.items():
        assert set(languages) == set(LANGUAGES)
        assert languages["en"] == languages["ru"]
        if week == date(2026, 9, 21):
            assert languages["be"] == [
                p for p in languages["en"] if p[0] != "lithuania-transit-2026-09"
            ]
            assert ("lithuania-transit-2026-09", "belarus-eu") in languages["en"]
        else:
            assert languages["be"] == languages["en"]


def test_sample_topics_recur_across_issues() -> None:
    weeks_by_topic: dict[str, set[date]] = {}
    names: dict[tuple[str, str], set[str]] = {}
    for draft in load_samples():
        for item in draft.commentaries:
            weeks_by_topic.setdefault(item.topic_key, set()).add(draft.week_start)
            names.setdefault((item.topic_key, draft.language), set()).add(item.topic_name)
    assert set(weeks_by_topic) == {
        "belarus-russia",
        "economy",
        "domestic-politics",
        "belarus-eu",
        "society",
    }
    assert all(len(weeks) >= 2 for weeks in weeks_by_topic.values())
    assert all(len(found) == 1 for found in names.values())


def test_one_sample_commentary_is_too_long_for_one_message() -> None:
    long_ones = {
        draft.language: item
        for draft in load_samples()
        for item in draft.commentaries
        if telegram_length(item.text.body) > 6000
    }
    assert set(long_ones) == set(LANGUAGES)
    for item in long_ones.values():
        assert item.key == "emigration-2026-09"
        message = item.text.lead + "\n\n" + item.text.body
        assert telegram_length(message) > MESSAGE_LIMIT
        assert len(split_html(message)) >= 2
        assert "<blockquote>" in item.text.body
        assert item.text.body.count("<b>") >= 6  # subheadings and bold list items


def test_sample_content_needs_html_escaping_somewhere_in_every_language() -> None:
    for draft in load_samples():
        html = "".join(item.text.lead + item.text.body for item in draft.commentaries)
        if draft.week_start == date(2026, 9, 14):
            assert "&lt; 2%" in html
            assert "< 2%" in html_to_text(html)
        if draft.week_start == date(2026, 9, 7):
            assert "Baltic Freight &amp; Logistics" in html
            assert '<a href="https://weekly.example.org/' in html
