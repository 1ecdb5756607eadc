"""Translations and locale-aware formatting for be, ru and en.

The gettext catalogs are the `.po` files under `locales/`; they are compiled with Babel when
the bot starts, so a compiled catalog can never be older than its source. A missing catalog
is an error, never a silent fallback to English. The language of a reply is always passed
explicitly as a `Translator`, never kept in a global.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Final

from babel import Locale
from babel.dates import format_date, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

from bot.errors import CatalogError
from bot.newsletter.content import LANGUAGES

LOCALES_DIR: Final = Path(__file__).resolve().parents[2] / "locales"
DOMAIN: Final = "messages"

LANGUAGE_NAMES: Final[Mapping[str, str]] = {
    "be": "Беларуская",
    "ru": "Русский",
    "en": "English",
}
"""Each language named in itself, for pickers."""


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet."""
    return message


def guess_language(language_code: str | None, default: str) -> str:
    """Pick the bot language for a Telegram `language_code` such as 'ru' or 'en-GB'."""
    if language_code:
        base = language_code.split("-")[0].lower()
        if base in LANGUAGES:
            return base
    return default


def reply_language(chosen: str | None, language_code: str | None, default: str) -> str:
    """Pick the language to answer in: the one the chat chose, else the user's, else default.

    The one rule for readers and editors alike; progress reports, which have no user at
    hand, pass the language the editor's dialog used as `chosen`.
    """
    return chosen if chosen in LANGUAGES else guess_language(language_code, default)


def compile_catalog(po_path: Path, language: str) -> Translations:
    """Compile one `.po` file in memory and return it as Babel translations."""
    try:
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=language, domain=DOMAIN)
    except OSError as exc:
        raise CatalogError(f"cannot read the {language} catalog {po_path}: {exc}") from exc
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


class Translator:
    """Messages and formats of one language."""

    def __init__(self, language: str, translations: Translations) -> None:
        self.language = language
        self.locale = Locale.parse(language)
        self._translations = translations

    def gettext(self, message: str) -> str:
        """Translate a message."""
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """Translate a message whose form depends on the number `n`."""
        return self._translations.ngettext(singular, plural, n)

    def format_number(self, number: int) -> str:
        """Format a number with the locale's grouping."""
        return format_decimal(number, locale=self.locale)

    def format_date(self, day: date) -> str:
        """Format a date in full, e.g. 'July 27, 2020'."""
        return format_date(day, "long", locale=self.locale)

    def format_time(self, moment: datetime) -> str:
        """Format a time of day on the 24-hour clock, e.g. '09:00'."""
        return format_time(moment, "HH:mm", locale=self.locale)

    def format_week(self, start: date, end: date) -> str:
        """Format the range an issue covers with full month names: 'July 27 – August 2, 2020'.

        CLDR has no interval pattern for a full month name, so take the locale's pattern
        for abbreviated months and widen its month field, as ICU does.
        """
        if start == end:
            return self.format_date(start)
        if start.year != end.year:
            field = "y"
        elif start.month != end.month:
            field = "M"
        else:
            field = "d"
        parts = self.locale.interval_formats.get("yMMMd", {}).get(field)
        if not parts:
            fallback = self.locale.interval_formats.get(None, "{0} – {1}")
            return str(fallback).format(self.format_date(start), self.format_date(end))
        first, second = (_widen_month(pattern) for pattern in parts)
        return format_date(start, first, locale=self.locale) + format_date(
            end, second, locale=self.locale
        )


def _widen_month(pattern: str) -> str:
    """Turn an abbreviated month field (MMM or LLL) into a full one, leaving quotes alone."""
    out: list[str] = []
    quoted = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "'":
            quoted = not quoted
        if not quoted and char in "ML" and pattern[i : i + 3] == char * 3:
            run = len(pattern[i:]) - len(pattern[i:].lstrip(char))
            out.append(char * max(run, 4) if run == 3 else char * run)
            i += run
            continue
        out.append(char)
        i += 1
    return "".join(out)


class Catalogs:
    """The compiled catalogs of every language the bot speaks."""

    def __init__(self, translators: Mapping[str, Translator]) -> None:
        self._translators = dict(translators)

    @classmethod
    def load(cls, directory: Path = LOCALES_DIR, languages: Iterable[str] = LANGUAGES) -> Catalogs:
        """Compile the `.po` catalog of each language; raise CatalogError if one is missing.

        A `.mo` beside it that is not older than the `.po` is used as it is.
        """
        translators: dict[str, Translator] = {}
        for language in languages:
            po_path = directory / language / "LC_MESSAGES" / f"{DOMAIN}.po"
            if not po_path.is_file():
                raise CatalogError(f"the {language} catalog is missing: {po_path}")
            mo_path = po_path.with_suffix(".mo")
            if mo_path.is_file() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                # Compiled at build time (the container image) and not older than its source.
                with mo_path.open("rb") as compiled:
                    translations = Translations(fp=compiled, domain=DOMAIN)
            else:
                translations = compile_catalog(po_path, language)
            translators[language] = Translator(language, translations)
        return cls(translators)

    @property
    def languages(self) -> tuple[str, ...]:
        """Return the languages with a catalog."""
        return tuple(self._translators)

    def __getitem__(self, language: str) -> Translator:
        """Return the translator of a language."""
        return self._translators[language]
