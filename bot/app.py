"""Build the Application: defaults, rate limiter, lifecycle and handlers, in one place."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, cast

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationBuilder,
    ContextTypes,
    Defaults,
)
from telegram.request import BaseRequest

from bot.config import Settings
from bot.context import BotApplication, BotContext, BotData
from bot.delivery.pacing import ChatPacer, Pacer
from bot.delivery.rate_limiter import PacedRateLimiter
from bot.delivery.service import DeliveryService
from bot.editorial.reports import EditorReporter, announce_takeover
from bot.editorial.workflow import Editorial
from bot.feeds.desk import EditorDesk
from bot.feeds.health import FeedsCheck
from bot.feeds.intake import FeedIntake
from bot.feeds.topics import load_topic_map
from bot.interface import menu
from bot.interface.updates import PerChatUpdateProcessor
from bot.newsletter.i18n import Catalogs
from bot.operations.lifecycle import AlertingReporter, Operations, make_alerts
from bot.operations.metered_limiter import MeteredRateLimiter
from bot.storage import Store
from bot.storage.database import ACTIVE_CHECK_INTERVAL
from bot.transport import new_request
from handlers.editor import PENDING_CORRECTION
from handlers.registry import register

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.CHANNEL_POST,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
]
"""The update kinds the bot asks Telegram for."""


async def post_init(application: BotApplication) -> None:
    """Open the store, set the command menus, restore schedules and resume broadcasts."""
    data = application.bot_data
    settings = data.settings
    store = await Store.open(settings.database, pool_size=settings.database_pool_size)
    data.attach_store(store)
    log.info("Opened the database %s", store.db.name)
    took_over = await store.db.become_active()
    try:
        await menu.set_default_menus(application.bot, data.catalogs, settings.default_language)
    except TelegramError as exc:
        log.warning("Could not set the command menus: %s", exc)
    await menu.set_editor_menus(
        application.bot, store, data.catalogs, settings.editor_ids, settings.default_language
    )
    alerts = make_alerts(application.bot, settings)
    delivery = DeliveryService(
        store=store,
        bot=application.bot,
        catalogs=data.catalogs,
        limits=settings.send_limits,
        pacer=data.pacer,
        chats=data.chats,
        concurrency=settings.send_concurrency,
        reporter=AlertingReporter(
            EditorReporter(
                bot=application.bot,
                store=store,
                catalogs=data.catalogs,
                default=settings.default_language,
            ),
            alerts,
            data.catalogs[settings.default_language].gettext,
        ),
    )
    data.attach_delivery(delivery)
    editorial = Editorial(
        bot=application.bot,
        store=store,
        delivery=delivery,
        catalogs=data.catalogs,
        settings=settings,
        job_queue=application.job_queue,
    )
    data.attach_editorial(editorial)
    operations = Operations(
        settings=settings,
        store=store,
        bot=application.bot,
        delivery=delivery,
        alerts=alerts,
        catalogs=data.catalogs,
    )
    await operations.start(application.job_queue)
    data.operations = operations
    planned, resumed = await editorial.restore()
    if planned or resumed:
        log.info("%d broadcasts scheduled, %d resumed", planned, len(resumed))
    if took_over:
        await announce_takeover(
            application.bot,
            store,
            data.catalogs,
            settings.editor_ids,
            settings.default_language,
            me=f"pid {os.getpid()} on host {socket.gethostname()}",
            resumed=len(resumed),
        )
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            prune_searches,
            interval=timedelta(hours=6),
            first=timedelta(minutes=1),
            name="prune-searches",
        )
        application.job_queue.run_repeating(
            check_still_active,
            interval=timedelta(seconds=ACTIVE_CHECK_INTERVAL),
            first=timedelta(seconds=ACTIVE_CHECK_INTERVAL),
            name="check-still-active",
        )
    if settings.feeds.enabled:
        data.feeds = start_intake(application, store, editorial)


async def check_still_active(context: BotContext) -> None:
    """Stop at once if the lock that makes this the active process is gone.

    A standby may take over as soon as the lock is free (it waits `TAKEOVER_GRACE`, more
    than this check takes); this process must then neither poll nor send. Its broadcasts
    stop after the sends in flight, polling ends, and `python -m bot run` reconnects with
    backoff and comes back as the active process or a standby, as the lock decides.
    """
    if not await context.store.db.still_active():
        log.error("Lost the database connection that makes this the active process; stopping")
        context.bot_data.lost_database = True
        context.bot_data.delivery.halt()
        context.application.stop_running()


def start_intake(application: BotApplication, store: Store, editorial: Editorial) -> FeedIntake:
    """Create feed intake and poll it as a named job every FEED_INTERVAL."""
    data = application.bot_data
    settings = data.settings
    intake = FeedIntake(
        store,
        load_topic_map(settings.feeds.topics_file),
        settings.feeds.urls,
        interval=settings.feeds.interval,
        timezone=settings.timezone,
        since=settings.feeds.since,
        listener=EditorDesk(
            bot=application.bot,
            store=store,
            catalogs=data.catalogs,
            settings=settings,
            editorial=editorial,
            offer_correction=lambda editor_id, draft: application.chat_data[editor_id].update(
                {PENDING_CORRECTION: draft}
            ),
            alerts=data.operations.alerts if data.operations is not None else None,
        ),
    )
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            poll_feeds,
            interval=settings.feeds.interval,
            first=timedelta(seconds=5),
            name="poll-feeds",
        )
    if data.operations is not None:
        data.operations.readiness.add("feeds", FeedsCheck(store))
    log.info("Reading %d feeds every %s", len(intake.feeds), settings.feeds.interval)
    return intake


async def poll_feeds(context: BotContext) -> None:
    """Poll the website's feeds that are due (the job's callback)."""
    intake = context.bot_data.feeds
    if intake is not None:
        await intake.poll()


async def prune_searches(context: BotContext) -> None:
    """Forget stored searches older than a week; their buttons then answer 'expired'."""
    removed = await context.store.searches.forget(older_than=timedelta(days=7))
    if removed:
        log.info("Forgot %d stored searches", removed)


async def post_stop(application: BotApplication) -> None:
    """Halt the broadcasts while the bot can still record the sends in flight.

    PTB calls this after the updater and the application stop but before the bot's HTTP
    client closes, so the runs finish their current sends and leave the rest pending.
    """
    data = application.bot_data
    try:
        delivery = data.delivery
    except RuntimeError:
        return
    if data.feeds is not None:
        await data.feeds.close()
        data.feeds = None
    await delivery.close()
    data.attach_delivery(None)
    data.attach_editorial(None)


async def post_shutdown(application: BotApplication) -> None:
    """Stop the health server and close the store."""
    data = application.bot_data
    if data.operations is not None:
        await data.operations.stop()
        data.operations = None
    try:
        store = data.store
    except RuntimeError:
        return
    await store.close()
    data.attach_store(None)


@asynccontextmanager
async def running(application: BotApplication) -> AsyncIterator[BotApplication]:
    """Run an application inside the current event loop, polling, until the block ends.

    `run_polling` owns the loop and the process signals; this is for the demo and the
    end-to-end tests, which run the bot beside other coroutines.
    """
    async with application:
        assert application.post_init is not None
        await application.post_init(application)
        try:
            assert application.updater is not None
            await application.updater.start_polling(
                allowed_updates=ALLOWED_UPDATES, poll_interval=0.0, timeout=1
            )
            await application.start()
            try:
                yield application
            finally:
                await application.updater.stop()
                await application.stop()
        finally:
            await post_stop(application)
            await post_shutdown(application)


@asynccontextmanager
async def serving(application: BotApplication) -> AsyncIterator[BotApplication]:
    """Open an application and its services without fetching updates, until the block ends.

    For handler tests and benchmarks that hand updates to `process_update` themselves.
    """
    async with application:
        assert application.post_init is not None
        await application.post_init(application)
        try:
            yield application
        finally:
            await post_stop(application)
            await post_shutdown(application)


def build_application(
    settings: Settings,
    catalogs: Catalogs | None = None,
    *,
    request: BaseRequest | None = None,
    rate_limited: bool = True,
) -> BotApplication:
    """Build the bot's Application from validated settings.

    `request` replaces the HTTP layer for every Bot API call (tests and benchmarks);
    `rate_limited=False` leaves replies unpaced, for benchmarks of handling time.
    """
    if settings.token is None:
        raise ValueError("a bot token is needed to build the application")
    context_types = ContextTypes(context=BotContext, bot_data=BotData)
    # The builder's generic types change with each option; the result is cast once below.
    builder: Any = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
        .context_types(context_types)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                tzinfo=settings.timezone,
            )
        )
        .concurrent_updates(PerChatUpdateProcessor(64))
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    else:
        builder = builder.request(new_request(settings.http_client)).get_updates_request(
            new_request(settings.http_client, connection_pool_size=1)
        )
    pacer = Pacer(
        settings.send_limits.overall_rate,
        window=settings.send_limits.window,
        interactive_share=settings.send_limits.interactive_share,
    )
    chats = ChatPacer(settings.send_limits)
    if rate_limited:
        builder = builder.rate_limiter(MeteredRateLimiter(PacedRateLimiter(pacer, chats=chats)))
    application = cast(BotApplication, builder.build())
    application.bot_data.configure(settings, catalogs or Catalogs.load(), pacer, chats)
    register(application)
    return application
