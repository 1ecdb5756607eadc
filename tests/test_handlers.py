"""Handlers fed with real Update objects through Application.process_update."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from bot.app import build_application, serving
from bot.config import Settings
from bot.context import BotApplication
from bot.interface.commands import COMMANDS, Audience
from bot.newsletter.i18n import Catalogs
from bot.storage import ChatStatus, Store
from standin.in_memory import RecordingRequest, Updates
from tests.factories import issue

GROUP = -1001
ADMIN = 501
MEMBER = 502


@pytest.fixture
def request_layer() -> RecordingRequest:
    return RecordingRequest(admins={GROUP: {ADMIN}})


@pytest.fixture
async def app(
    tmp_path: Path, catalogs: Catalogs, request_layer: RecordingRequest
) -> AsyncIterator[BotApplication]:
    settings = Settings(
        token="7000:TESTTOKENTESTTOKENTESTTOKEN",
        api_url="http://127.0.0.1:9",
        database_path=tmp_path / "bot.sqlite3",
    )
    async with serving(
        build_application(settings, catalogs, request=request_layer)
    ) as application:
        yield application


@pytest.fixture
def updates(app: BotApplication) -> Updates:
    return Updates(app.bot)


def store_of(app: BotApplication) -> Store:
    return app.bot_data.store


async def publish_sample(app: BotApplication) -> None:
    await store_of(app).archive.save_issues(
        [
            issue(date(2026, 9, 7), "en", [("old-econ", "economy", "Old economy")]),
            issue(
                date(2026, 9, 14),
                "en",
                [("econ", "economy", "Tariffs & prices"), ("eu", "belarus-eu", "Visas")],
            ),
            issue(date(2026, 9, 14), "ru", [("econ", "economy", "Тарифы и цены")]),
        ],
        publish=True,
    )


def buttons(call_params: dict[str, object]) -> list[str]:
    markup = call_params.get("reply_markup")
    assert isinstance(markup, dict), call_params
    return [b["callback_data"] for row in markup["inline_keyboard"] for b in row]


async def test_start_greets_in_the_users_language_and_offers_languages(
    app: BotApplication, updates: Updates, request_layer: RecordingRequest, catalogs: Catalogs
) -> None:
    await app.process_update(updates.message(42, "/start", language="ru"))
    (call,) = request_layer.sent(42)
    assert catalogs["ru"].gettext("Choose your language to subscribe:") in call.params["text"]
    assert buttons(call.params) == ["sub:be", "sub:ru", "sub:en"]


async def test_language_button_subscribes_and_offers_topics(
    app: BotApplication, updates: Updates, request_layer: RecordingRequest
) -> None:
    await publish_sample(app)
    await app.process_update(updates.press(42, "sub:be"))
    chat = await store_of(app).subscriptions.get(42)
    assert chat is not None and chat.subscribed and chat.language == "be"
    offer = request_layer.sent(42)[-1]
    assert buttons(offer.params) == ["tt:*", "tt:belarus-eu", "tt:economy", "td:"]

    await app.process_update(updates.press(42, "tt:economy"))
    chat = await store_of(app).subscriptions.get(42)
    assert chat is not None and chat.topics == frozenset({"economy"})
    await app.process_update(updates.press(42, "tt:*"))
    chat = await store_of(app).subscriptions.get(42)
    assert chat is not None and chat.topics is None


async def test_deep_link_subscribes_in_one_tap_and_twice_changes_nothing(
    app: BotApplication, updates: Updates, request_layer: RecordingRequest, catalogs: Catalogs
) -> None:
    await app.process_update(updates.message(43, "/start sub_ru"))
    chat = await store_of(app).subscriptions.get(43)
    assert chat is not None and chat.subscribed and chat.language == "ru"
    request_layer.clear()
    await app.process_update(updates.message(43, "/subscribe"))
    already = catalogs["ru"].gettext("This chat is already subscribed (language: {language}).")
    assert request_layer.texts(43)[0].startswith(already.format(language="Русский"))
    events = await store_of(app).db.scalar("SELECT count(*) FROM subscription_events")
    assert events == 1


async def test_group_members_who_are_not_admins_are_refused(
    app: BotApplication, updates: Updates, request_layer: RecordingRequest
) -> None:
    await app.process_update(updates.message(GROUP, "/subscribe", user_id=MEMBER))
    assert "Only the administrators" in request_layer.texts(GROUP)[0]
    await app.process_update(updates.press(GROUP, "sub:en", user_id=MEMBER))
    assert request_layer.answers()[-1]["show_alert"] is True
    assert await store_of(app).subscriptions.get(GROUP) is None

    await app.process_update(updates.press(GROUP, "sub:en", user_id=ADMIN))
    chat = await store_of(app).subscriptions.get(GROUP)
    assert chat is not None and chat.subscribed and chat.kind == "supergroup"


async def test_unsubscribe_keeps_preferences_and_subscribe_restores_them(
    app: BotApplication, updates: Updates, request_layer: RecordingRequest
) -> None:
    await publish_sample(app)
    await app.process_update(updates.message(44, "/start sub_be"))
    await app.process_update(updates.press(44, "tt:economy"))
    await app.process_update(updates.message(44, "/unsubscribe"))
    chat = await store_of(app).subscriptions.get(44)
    assert chat is not None and chat.status is ChatStatus.UNSUBSCRIBED
    await app.process_update(updates.message(44, "/subscribe"))
    chat = await store_of(app).subscriptions.get(44)
    assert chat is not None and chat.subscribed
    assert (chat.language, chat.topics) == ("be", frozenset({"economy"}))


async def test_latest_lists_the_issue_with_read_buttons_and_fallback(
    app: BotApplication, updates: Updates, request_layer: RecordingRequest
) -> None:
    await publish_sample(app)
    await app.process_update(updates.press(45, "lang:ru"))
    request_layer.clear()
    await app.process_update(updates.message(45, "/latest"))
    (call,) = request_layer.sent(45)
    text = call.params["text"]
    assert "Тарифы и цены" in text and "Visas" in text and "Old economy" not in text
    assert "English" in text  # the Visas commentary has no Russian version: say so
    ids = buttons(call.params)
    assert len(ids) == 2 and all(data.startswith("rd:") for data in ids)

    request_layer.clear()
    await app.process_update(updates.press(45, ids[0]))
    (full,) = request_layer.sent(45)
    assert full.params["text"].count("<b>Тарифы и цены</b>") == 1
    assert "сентября" in full.params["text"]


async def test_archive_pages_and_expired_buttons(
    app: BotApplication, updates: Updates, request_layer: RecordingRequest
) -> None:
    await publish_sample(app)
    await app.process_update(updates.message(46, "/archive economy"))
    (page,) = request_layer.sent(46)
    assert "Tariffs &amp; prices" in page.params["text"]
    assert "Old economy" in page.params["text"]
    assert page.params["text"].index("Tariffs") < page.params["text"].index("Old economy")

    await app.process_update(updates.message(46, "/archive nonsense"))
    assert "There is no topic called “nonsense”" in request_layer.texts(46)[-1]

    for stale in ("ar:economy:9", "ar:gone:0", "rd:99999", "sr:12345:0", "zz:1", "ar:../x:0"):
        await app.process_update(updates.press(46, stale))
        answer = request_layer.answers()[-1]
        assert answer["text"] == "This list has expired. Send the command again.", stale
        assert answer["show_alert"] is True


async def test_search_finds_and_pages_survive_via_stored_query(
    app: BotApplication, updates: Updates, request_layer: RecordingRequest
) -> None:
    await publish_sample(app)
    await app.process_update(updates.message(47, "/search tarif"))
    (result,) = request_layer.sent(47)
    assert "Tariffs &amp; prices" in result.params["text"]
    await app.process_update(updates.message(47, "/search"))
    assert "/search energy" in request_layer.texts(47)[-1]
    await app.process_update(updates.message(47, "zzzz"))
    assert "Nothing found for “zzzz”" in request_layer.texts(47)[-1]


async def test_blocking_pauses_the_subscription(app: BotApplication, updates: Updates) -> None:
    await app.process_update(updates.message(48, "/start sub_en"))
    await app.process_update(updates.bot_status(48, "member", "kicked"))
    chat = await store_of(app).subscriptions.get(48)
    assert chat is not None and chat.status is ChatStatus.BLOCKED

    await app.process_update(updates.bot_status(48, "kicked", "member"))
    chat = await store_of(app).subscriptions.get(48)
    assert chat is not None and chat.status is ChatStatus.BLOCKED, "unblocking is not consent"


async def test_group_migration_moves_the_subscription(
    app: BotApplication, updates: Updates, request_layer: RecordingRequest
) -> None:
    await store_of(app).subscriptions.subscribe(-55, kind="group", title="Club", language="ru")
    await app.process_update(updates.migrated(-55, -100555))
    moved = await store_of(app).subscriptions.get(-100555)
    assert moved is not None and moved.subscribed and moved.language == "ru"


async def test_unknown_commands_get_an_answer_in_private_only_when_addressed_in_groups(
    app: BotApplication, updates: Updates, request_layer: RecordingRequest
) -> None:
    await app.process_update(updates.message(49, "/frobnicate"))
    assert "I don't know the command /frobnicate" in request_layer.texts(49)[0]
    await app.process_update(updates.message(GROUP, "/frobnicate", user_id=MEMBER))
    assert request_layer.texts(GROUP) == []
    await app.process_update(updates.message(GROUP, "/frobnicate@weekly_test_bot", user_id=MEMBER))
    assert "/frobnicate" in request_layer.texts(GROUP)[0]


async def test_menus_and_help_list_the_same_commands_from_one_table(
    app: BotApplication, updates: Updates, request_layer: RecordingRequest, catalogs: Catalogs
) -> None:
    menus = [c.params for c in request_layer.calls if c.method == "setMyCommands"]
    belarusian = next(m for m in menus if m.get("language_code") == "be")
    items = belarusian["commands"]
    items = json.loads(items) if isinstance(items, str) else items
    menu = {item["command"]: item["description"] for item in items}
    t = catalogs["be"]
    readers = [c for c in COMMANDS if c.audience is Audience.READERS and c.description]
    assert menu == {c.name: t.gettext(c.description or "") for c in readers}

    await app.process_update(updates.message(43, "/help", language="be"))
    (call,) = request_layer.sent(43)
    lines = call.params["text"].splitlines()
    for command in readers:
        if command.in_help:
            assert any(
                line.startswith(f"/{command.name}")
                and line.endswith(t.gettext(command.description or ""))
                for line in lines
            ), (command.name, lines)
    assert not any(line.startswith(("/broadcast", "/stats", "/start")) for line in lines)
