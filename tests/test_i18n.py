"""Catalogs: compiled from the .po files, complete, in sync with the code; Babel dates."""

from __future__ import annotations

import string
from datetime import date
from pathlib import Path

import pytest
from babel.dates import format_date, format_interval
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from bot.errors import CatalogError
from bot.newsletter.content import LANGUAGES
from bot.newsletter.i18n import LOCALES_DIR, Catalogs, guess_language

ROOT = Path(__file__).resolve().parent.parent
TRANSLATED = ("be", "ru")
"""English is the source language: an empty English msgstr means the msgid itself."""


def _catalog(language: str) -> Catalog:
    with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=language)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _code_messages() -> set[str]:
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    found: set[str] = set()
    for package in ("bot", "handlers"):
        for _, _, message, _, _ in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=keywords
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_catalogs_hold_exactly_the_messages_of_the_code() -> None:
    in_code = _code_messages()
    assert in_code, "the extractor found no message: the check would be empty"
    for language in LANGUAGES:
        in_catalog = {
            m.id if isinstance(m.id, str) else m.id[0] for m in _catalog(language) if m.id
        }
        assert in_catalog == in_code, (
            f"{language}: run `make messages`; missing {sorted(in_code - in_catalog)}, "
            f"obsolete {sorted(in_catalog - in_code)}"
        )


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_with_all_plural_forms(language: str) -> None:
    catalog = _catalog(language)
    expected_forms = get_plural(language).num_plurals
    assert catalog.num_plurals == expected_forms, "the Plural-Forms header is not CLDR's"
    for message in catalog:
        if not message.id:
            continue
        assert not message.fuzzy, f"{language}: fuzzy translation of {message.id!r}"
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{language}: untranslated {message.id!r}"
        if isinstance(message.id, tuple):
            assert len(strings) == expected_forms, f"{language}: plural forms of {message.id!r}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_are_the_same_in_every_translation(language: str) -> None:
    for message in _catalog(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = _placeholders(str(ids[-1]))
        for translated in strings:
            if isinstance(translated, str) and translated:
                assert _placeholders(translated) == expected, (language, message.id, translated)


def test_plural_forms_follow_cldr(catalogs: Catalogs) -> None:
    ru = catalogs["ru"]
    forms = [
        ru.ngettext("{count} commentary", "{count} commentaries", n).format(count=n)
        for n in (1, 2, 5, 21, 11)
    ]
    assert forms[0] != forms[1] != forms[2]
    assert forms[3].split()[1] == forms[0].split()[1]  # 21 takes the form of 1
    assert forms[4].split()[1] == forms[2].split()[1]  # 11 takes the form of 5
    en = catalogs["en"]
    assert en.ngettext("{count} commentary", "{count} commentaries", 1) == "{count} commentary"
    assert en.ngettext("{count} commentary", "{count} commentaries", 2) == "{count} commentaries"


def test_missing_catalog_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="the be catalog is missing"):
        Catalogs.load(tmp_path, ["be"])


def test_catalog_is_compiled_from_the_po_source(tmp_path: Path) -> None:
    po = tmp_path / "ru" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Done"\nmsgstr "Готово"\n',
        encoding="utf-8",
    )
    assert Catalogs.load(tmp_path, ["ru"])["ru"].gettext("Done") == "Готово"


@pytest.mark.parametrize("language", LANGUAGES)
def test_week_range_uses_full_month_names(catalogs: Catalogs, language: str) -> None:
    t = catalogs[language]
    across = t.format_week(date(2020, 7, 27), date(2020, 8, 2))
    assert format_date(date(2020, 7, 27), "d MMMM", locale=language).split()[1] in across
    assert format_date(date(2020, 8, 2), "d MMMM", locale=language).split()[1] in across
    assert "2020" in across
    same_month = t.format_week(date(2020, 7, 20), date(2020, 7, 26))
    assert same_month.count("2020") == 1
    across_years = t.format_week(date(2020, 12, 28), date(2021, 1, 3))
    assert "2020" in across_years and "2021" in across_years


def test_english_week_range_reads_naturally(catalogs: Catalogs) -> None:
    abbreviated = format_interval(date(2020, 7, 27), date(2020, 8, 2), "yMMMd", locale="en")
    expected = abbreviated.replace("Jul", "July").replace("Aug", "August")
    assert catalogs["en"].format_week(date(2020, 7, 27), date(2020, 8, 2)) == expected
    assert expected.startswith("July 27") and expected.endswith("August 2, 2020")


@pytest.mark.parametrize(
    ("code", "expected"),
    [("be", "be"), ("ru-RU", "ru"), ("en-GB", "en"), ("uk", "ru"), (None, "ru"), ("", "ru")],
)
def test_language_guess(code: str | None, expected: str) -> None:
    assert guess_language(code, "ru") == expected
