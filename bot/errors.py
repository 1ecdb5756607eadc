"""Every error the bot raises on purpose, in one tree.

    BotError
     ├── ConfigError            the environment holds invalid settings (all of them listed)
     ├── CatalogError           a translation catalog is missing or does not compile
     ├── ContentError           one problem in an import file, at a line
     ├── ContentErrors          every problem found in one or more import files
     ├── CorrectionRefused      a corrected file cannot be applied by editing messages
     ├── DatabaseInUse          another bot process runs on the same database (single_instance)
     ├── FeedError              a website feed could not be fetched or read (bot.feeds)
     └── StorageError           the store cannot do what was asked
          ├── SchemaTooNewError       the database was written by a newer bot
          ├── DuplicateKeyError       a commentary key belongs to another week
          └── AlreadyDeliveredError   another broadcast delivers the issue (storage.broadcasts)

Every class is defined here except two that carry a type of their own module, named after
them. Catch `BotError` to handle anything of ours; Telegram's errors stay python-telegram-bot's.
"""

from __future__ import annotations

from collections.abc import Iterable


class BotError(Exception):
    """Base of the errors the bot raises on purpose."""


class ConfigError(BotError):
    """Raised when the environment holds invalid settings; lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class CatalogError(BotError):
    """Raised when a translation catalog is missing or cannot be compiled."""


class ContentError(BotError):
    """One problem in an import file, at a 1-based line (0 when it concerns the whole file)."""

    def __init__(self, source: str, line: int, message: str) -> None:
        """Store where the problem is and what it is."""
        super().__init__(source, line, message)
        self.source = source
        self.line = line
        self.message = message

    def __str__(self) -> str:
        """Format the problem as `source:line: message`, like a compiler does."""
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.message}"


class ContentErrors(BotError):
    """Every problem found in one or more import files."""

    def __init__(self, errors: Iterable[ContentError]) -> None:
        """Keep the problems in the order they should be shown."""
        self.errors = list(errors)
        super().__init__(self.errors)

    def __str__(self) -> str:
        """List the problems one per line."""
        return "\n".join(str(error) for error in self.errors)


class CorrectionRefused(BotError):
    """Raised when a corrected file cannot be applied by editing delivered messages.

    `reason` is a message marked for translation; `details` fill its placeholders.
    """

    def __init__(self, reason: str, **details: str) -> None:
        super().__init__(reason.format(**details))
        self.reason = reason
        self.details = details


class FeedError(BotError):
    """Raised when a feed or a post's page cannot be fetched, or yields no entries."""


class StorageError(BotError):
    """Base of the storage errors."""


class SchemaTooNewError(StorageError):
    """Raised when the database was written by a newer version of the bot."""


class DuplicateKeyError(StorageError):
    """Raised when an import reuses a commentary key that belongs to another week."""


class ConstraintError(StorageError):
    """Raised when a statement breaks a constraint (a unique key, a foreign key), on any engine."""
