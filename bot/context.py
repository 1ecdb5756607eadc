"""The application's shared state and the typed callback context handlers receive."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from bot.config import Settings
from bot.delivery.pacing import ChatPacer, Pacer
from bot.delivery.service import DeliveryService
from bot.editorial.workflow import Editorial
from bot.feeds.intake import FeedIntake
from bot.newsletter.i18n import Catalogs
from bot.storage import Store

if TYPE_CHECKING:
    from bot.operations.lifecycle import Operations


class BotData:
    """Services shared by all handlers; opened in `post_init`, closed in `post_shutdown`."""

    def __init__(self) -> None:
        self._settings: Settings | None = None
        self._catalogs: Catalogs | None = None
        self._store: Store | None = None
        self._delivery: DeliveryService | None = None
        self._editorial: Editorial | None = None
        self.pacer = Pacer(1.0)
        self.chats: ChatPacer | None = None
        self.feeds: FeedIntake | None = None
        """Intake from the website's feeds, when any feed is configured (set in post_init)."""
        self.operations: Operations | None = None
        """Health checks, alerts and backups; feeds add their readiness checks there."""
        self.lost_database = False
        """Set when the connection that made this the active process ended (PostgreSQL)."""

    def configure(
        self, settings: Settings, catalogs: Catalogs, pacer: Pacer, chats: ChatPacer
    ) -> None:
        """Attach what the application was built with: settings, catalogs, the pacers."""
        self._settings = settings
        self._catalogs = catalogs
        self.pacer = pacer
        self.chats = chats

    def attach_store(self, store: Store | None) -> None:
        """Attach the opened store, or detach it on shutdown."""
        self._store = store

    def attach_delivery(self, delivery: DeliveryService | None) -> None:
        """Attach the running delivery service, or detach it on shutdown."""
        self._delivery = delivery

    def attach_editorial(self, editorial: Editorial | None) -> None:
        """Attach the editorial workflow, or detach it on shutdown."""
        self._editorial = editorial

    @property
    def editorial(self) -> Editorial:
        """Return the editorial workflow: broadcasts from plan to report."""
        if self._editorial is None:
            raise RuntimeError("the editorial workflow is not running: it starts in post_init")
        return self._editorial

    @property
    def delivery(self) -> DeliveryService:
        """Return the delivery service."""
        if self._delivery is None:
            raise RuntimeError("the delivery service is not running: it starts in post_init")
        return self._delivery

    @property
    def settings(self) -> Settings:
        """Return the validated settings."""
        if self._settings is None:
            raise RuntimeError("the application was built without settings")
        return self._settings

    @property
    def catalogs(self) -> Catalogs:
        """Return the translation catalogs."""
        if self._catalogs is None:
            raise RuntimeError("the application was built without catalogs")
        return self._catalogs

    @property
    def store(self) -> Store:
        """Return the open store."""
        if self._store is None:
            raise RuntimeError("the store is not open: it opens in post_init")
        return self._store


class BotContext(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], BotData]):
    """Callback context with typed access to the shared services."""

    @property
    def settings(self) -> Settings:
        """Return the validated settings."""
        return self.bot_data.settings

    @property
    def store(self) -> Store:
        """Return the open store."""
        return self.bot_data.store

    @property
    def catalogs(self) -> Catalogs:
        """Return the translation catalogs."""
        return self.bot_data.catalogs


BotApplication = Application[
    ExtBot[Any], BotContext, dict[Any, Any], dict[Any, Any], BotData, JobQueue[BotContext]
]
