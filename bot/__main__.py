"""Command line: `run` the bot, play the local `demo`, or `import` content files."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import signal
import sys
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path

from bot.config import Settings, load_settings, parse_database_url, url_password
from bot.errors import ConfigError, ContentErrors, StorageError
from bot.newsletter.importer import read_issue_files
from bot.operations.logging_setup import configure_logging
from bot.operations.redaction import secret_parts
from bot.operations.single_instance import DatabaseInUse, single_instance
from bot.operations.webhook_guard import generate_webhook_secret, warn_on_refused_requests
from bot.storage import Store
from bot.storage.backup import backup, restore
from bot.storage.database import Database, connection_lost

log = logging.getLogger("bot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Weekly commentary bot for Telegram."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    runner = commands.add_parser(
        "run",
        help="run the bot (polling, or a webhook when WEBHOOK_URL is set); "
        "without TELEGRAM_BOT_TOKEN, play the local demo instead",
    )
    runner.add_argument(
        "--require-token",
        action="store_true",
        help="fail without TELEGRAM_BOT_TOKEN instead of playing the demo (servers, images)",
    )
    saver = commands.add_parser(
        "backup", help="copy the database to PATH while the bot runs, checked for integrity"
    )
    saver.add_argument("path", type=Path, metavar="PATH")
    restorer = commands.add_parser(
        "restore", help="put a backup in place of the database (the bot must be stopped)"
    )
    restorer.add_argument("path", type=Path, metavar="PATH")
    commands.add_parser("demo", help="play a scripted scene against a local Bot API stand-in")
    importer = commands.add_parser("import", help="validate content files and store them")
    importer.add_argument("files", nargs="+", type=Path, metavar="FILE")
    importer.add_argument(
        "--publish", action="store_true", help="make the imported issues visible to readers"
    )
    database = commands.add_parser("db", help="work on a database as a whole")
    db_commands = database.add_subparsers(dest="db_command", required=True)
    copier = db_commands.add_parser(
        "copy",
        help="copy everything from one database to another (SQLite or PostgreSQL, either way)",
    )
    copier.add_argument("--from", dest="source", required=True, metavar="DATABASE_URL")
    copier.add_argument("--to", dest="target", required=True, metavar="DATABASE_URL")
    copier.add_argument(
        "--replace", action="store_true", help="delete what the target holds before copying"
    )
    feeds = commands.add_parser("feeds", help="the website's feeds")
    feeds_commands = feeds.add_subparsers(dest="feeds_command", required=True)
    feeds_commands.add_parser(
        "check", help="poll every feed once and print what it would store, changing nothing"
    )
    return parser


def _copy_progress(table: str, done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    end = "\n" if done >= total else ""
    bar = "#" * filled + "." * (width - filled)
    print(f"\r{table:<20} [{bar}] {done}/{total}", end=end, file=sys.stderr, flush=True)


async def copy_databases(source_url: str, target_url: str, *, replace: bool) -> int:
    """Copy one database into another, verify it, print the tables; return the exit status."""
    from bot.storage.copying import copy_database  # noqa: PLC0415 - only this command

    try:
        source_target = parse_database_url(source_url)
        target_target = parse_database_url(target_url)
    except ValueError as exc:
        print(f"error: {str(exc).replace('DATABASE_URL', 'the URL')}", file=sys.stderr)
        return 2
    try:
        async with (
            await Database.open(source_target) as source,
            await Database.open(target_target) as target,
        ):
            summaries = await copy_database(
                source, target, replace=replace, progress=_copy_progress
            )
            target_name = target.name
    except StorageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Copied into {target_name}; every count and checksum equals the source's:")
    for summary in summaries:
        print(f"  {summary.table:<20} {summary.rows:>10} rows  {summary.checksum}")
    return 0


async def import_files(settings: Settings, files: Sequence[Path], *, publish: bool) -> int:
    """Validate and store content files in one transaction; return the exit status."""
    try:
        drafts = read_issue_files(files)
    except ContentErrors as errors:
        for error in errors.errors:
            print(f"error: {error}", file=sys.stderr)
        print("Nothing was imported.", file=sys.stderr)
        return 1
    try:
        async with await Store.open(
            settings.database, pool_size=settings.database_pool_size
        ) as store:
            await store.archive.save_issues(drafts, publish=publish)
    except StorageError as exc:
        print(f"error: {exc}\nNothing was imported.", file=sys.stderr)
        return 1
    for draft in drafts:
        state = "published" if publish else "stored, not published"
        print(
            f"{draft.source}: week {draft.week_start} – {draft.week_end}, {draft.language}, "
            f"{len(draft.commentaries)} commentaries ({state})"
        )
    return 0


def backup_database(settings: Settings, target: Path) -> int:
    """Copy the live database to `target`, checked; return the exit status."""
    if settings.postgres_url:
        print(
            "error: DATABASE_URL names PostgreSQL; back it up with its own tools, e.g. "
            "pg_dump --format=custom --file=bot.dump DBNAME (and pg_restore to restore)",
            file=sys.stderr,
        )
        return 1
    try:
        version = backup(settings.database_path, target)
    except StorageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Backed up {settings.database_path} to {target} (schema {version}, integrity ok)")
    return 0


def restore_database(settings: Settings, source: Path) -> int:
    """Replace the database with a checked backup, keeping the old file; return the status."""
    if settings.postgres_url:
        print("error: DATABASE_URL names PostgreSQL; restore it with pg_restore", file=sys.stderr)
        return 1
    try:
        with single_instance(settings.database_path):
            kept = restore(source, settings.database_path)
    except DatabaseInUse as exc:
        print(f"error: {exc}; nothing was restored", file=sys.stderr)
        return 1
    except StorageError as exc:
        print(f"error: {exc}; nothing was restored", file=sys.stderr)
        return 1
    print(f"Restored {settings.database_path} from {source}")
    if kept is not None:
        print(f"The previous database is kept as {kept}")
    return 0


def run(settings: Settings) -> int:
    """Run the bot until it is stopped, as the only process on its database."""
    from telegram.error import InvalidToken  # noqa: PLC0415 - heavy import

    try:
        # On PostgreSQL the rule is an advisory lock the store takes (a standby waits for it).
        guard = nullcontext() if settings.postgres_url else single_instance(settings.database_path)
        with guard:
            _serve(settings)
    except DatabaseInUse as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except InvalidToken:
        log.error("Telegram rejected TELEGRAM_BOT_TOKEN; check it with @BotFather")  # noqa: TRY400
        return 1
    return 0


RECONNECT_FIRST = 5.0
"""Seconds before the first attempt to reach the database again: more than a standby's
retry (`bot.storage.postgres.STANDBY_RETRY`), so a waiting standby gets the lock first."""
RECONNECT_MOST = 30.0
"""The longest wait between two attempts (the wait doubles up to it)."""


def _serve(settings: Settings) -> None:
    """Serve until stopped; on PostgreSQL, come back after the database went away.

    An active process whose lock connection ended has stopped polling and sending (see
    `bot.app.check_still_active`). It waits for the server with backoff and then starts
    again in this process: active if the lock is free, a standby if another took over.
    """
    while True:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            lost = _serve_once(settings)
        except Exception as exc:
            if not settings.postgres_url or not connection_lost(exc):
                raise
            log.error("The database went away while starting: %s", exc)  # noqa: TRY400
            lost = True
        finally:
            loop.close()
        if not lost:
            return
        assert settings.postgres_url is not None
        if not asyncio.run(_wait_for_database(settings.postgres_url)):
            return


async def _wait_for_database(url: str) -> bool:
    """Wait until the server answers, with backoff; return False if a stop signal came."""
    from bot.storage.postgres import server_answers  # noqa: PLC0415 - engine on demand

    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopped.set)
    delay = RECONNECT_FIRST
    log.warning("Connecting to the database again in %.0f s", delay)
    while True:
        try:
            await asyncio.wait_for(stopped.wait(), timeout=delay)
        except TimeoutError:
            pass
        else:
            break
        if await server_answers(url):
            log.info("The database answers again; starting over")
            return True
        delay = min(delay * 2, RECONNECT_MOST)
        log.warning("The database does not answer; trying again in %.0f s", delay)
    log.info("Stopped while waiting for the database")
    return False


def _serve_once(settings: Settings) -> bool:
    """Receive updates by webhook or polling until stopped; return whether the lock was lost."""
    from bot.app import ALLOWED_UPDATES, build_application  # noqa: PLC0415 - heavy import

    application = build_application(settings)
    if settings.webhook_url:
        warn_on_refused_requests()
        log.info("Receiving updates through the webhook %s", settings.webhook_url)
        application.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=settings.webhook_path,
            webhook_url=settings.webhook_url,
            secret_token=settings.webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
            close_loop=False,
        )
    else:
        log.info("Receiving updates by polling %s", settings.api_url)
        application.run_polling(allowed_updates=ALLOWED_UPDATES, close_loop=False)
    return application.bot_data.lost_database


def main(argv: Sequence[str] | None = None) -> int:  # noqa: PLR0911 - one per command
    """Parse the command line and run one command; return the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "db":
        configure_logging(
            logging.WARNING, secrets=[*url_password(args.source), *url_password(args.target)]
        )
        return asyncio.run(copy_databases(args.source, args.target, replace=args.replace))
    try:
        settings = load_settings()
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"configuration error: {problem}", file=sys.stderr)
        return 2
    # Without a configured secret the webhook would take updates from anyone.
    random_secret = args.command == "run" and settings.webhook_url and not settings.webhook_secret
    if random_secret:
        settings = dataclasses.replace(settings, webhook_secret=generate_webhook_secret())
    configure_logging(
        settings.log_level,
        secrets=[
            *secret_parts(settings.token),
            settings.webhook_secret,
            *url_password(settings.postgres_url),
        ],
        json_lines=settings.log_json,
    )
    if random_secret:
        log.info("WEBHOOK_SECRET is not set: using a random secret for this run")
    if args.command == "import":
        return asyncio.run(import_files(settings, args.files, publish=args.publish))
    if args.command == "feeds":
        from bot.feeds.check import check_feeds  # noqa: PLC0415 - only for this command

        return asyncio.run(check_feeds(settings))
    if args.command == "backup":
        return backup_database(settings, args.path)
    if args.command == "restore":
        return restore_database(settings, args.path)
    if args.command == "run" and settings.token is None and args.require_token:
        print(
            "configuration error: TELEGRAM_BOT_TOKEN is not set; put the token from "
            "@BotFather in the environment (the local demo is `python -m bot demo`)",
            file=sys.stderr,
        )
        return 2
    if args.command == "run" and settings.token is not None:
        return run(settings)
    if args.command == "run":
        log.info("TELEGRAM_BOT_TOKEN is not set: playing the local demo instead")
    from bot.demo import play  # noqa: PLC0415 - the demo pulls in the stand-in server

    return asyncio.run(play())


if __name__ == "__main__":
    sys.exit(main())
