"""Website categories to the newsletter's topics, from an editable TOML file.

The file (`feeds.toml` in this package unless FEED_TOPICS names another) is documented in
itself; `load_topic_map` checks it and reports every problem at once.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bot.errors import ConfigError
from bot.newsletter.content import KEY_PATTERN, LANGUAGES

DEFAULT_TOPICS_FILE: Final = Path(__file__).resolve().parent / "feeds.toml"


@dataclass(frozen=True, slots=True)
class TopicChoice:
    """The topic a post goes to; `unmapped` names the categories no topic lists."""

    key: str
    names: Mapping[str, str]
    unmapped: tuple[str, ...] = ()

    @property
    def is_default(self) -> bool:
        """Return whether no category of the post was mapped."""
        return bool(self.unmapped) or not self.names


@dataclass(frozen=True, slots=True)
class TopicMap:
    """Categories (case-folded) to topic keys, the topics' names and the default topic."""

    default: str
    names: Mapping[str, Mapping[str, str]]
    categories: Mapping[str, str]

    def choose(self, categories: Iterable[str]) -> TopicChoice:
        """Return the topic of a post with these categories."""
        listed = list(categories)
        for category in listed:
            key = self.categories.get(category.casefold())
            if key is not None:
                return TopicChoice(key, self.names[key])
        return TopicChoice(self.default, self.names[self.default], tuple(listed) or ("",))


def load_topic_map(path: Path = DEFAULT_TOPICS_FILE) -> TopicMap:
    """Read and check a topics file; raise ConfigError listing every problem."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError([f"FEED_TOPICS: cannot read {path}: {exc}"]) from exc
    problems: list[str] = []
    topics = data.get("topics", {})
    names: dict[str, dict[str, str]] = {}
    categories: dict[str, str] = {}
    for key, topic in topics.items() if isinstance(topics, dict) else ():
        if not KEY_PATTERN.match(key):
            problems.append(f"{path}: topic key {key!r} must be lower-case letters, digits, -")
            continue
        given = topic.get("names", {}) if isinstance(topic, dict) else {}
        missing = [language for language in LANGUAGES if not str(given.get(language, "")).strip()]
        if missing:
            problems.append(f"{path}: topic {key!r} has no name in {', '.join(missing)}")
        names[key] = {language: str(given.get(language, key)) for language in LANGUAGES}
        for category in topic.get("categories", []) if isinstance(topic, dict) else []:
            folded = str(category).casefold()
            if folded in categories and categories[folded] != key:
                problems.append(
                    f"{path}: category {category!r} is listed under both "
                    f"{categories[folded]!r} and {key!r}"
                )
            categories[folded] = key
    default = data.get("default_topic")
    if not isinstance(default, str) or default not in names:
        problems.append(f"{path}: default_topic must name one of the [topics.*] tables")
    if problems:
        raise ConfigError(problems)
    assert isinstance(default, str)
    return TopicMap(default=default, names=names, categories=categories)
