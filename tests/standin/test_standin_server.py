"""The stand-in over real HTTP: request formats, Telegram's answers, chat states and updates."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from standin import BotApiStandIn, ControlClient, ControlError, Fault, FloodLimits

TOKEN = "123456:TEST-token"


class Api:
    """Bot API calls as the bot makes them."""

    def __init__(self, http: aiohttp.ClientSession, server: BotApiStandIn) -> None:
        self.http = http
        self.root = f"{server.url}/bot{TOKEN}"

    async def __call__(self, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
        async with self.http.post(f"{self.root}/{method}", json=params) as reply:
            return reply.status, await reply.json()

    async def ok(self, method: str, **params: Any) -> Any:
        status, body = await self(method, **params)
        assert (status, body["ok"]) == (200, True), body
        return body["result"]

    async def error(self, method: str, **params: Any) -> tuple[int, str, dict[str, Any] | None]:
        status, body = await self(method, **params)
        assert body["ok"] is False
        assert body["error_code"] == status
        return status, body["description"], body.get("parameters")


@pytest.fixture
async def server() -> AsyncIterator[BotApiStandIn]:
    async with BotApiStandIn(token=TOKEN, bot_username="news_bot") as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def api(http: aiohttp.ClientSession, server: BotApiStandIn) -> Api:
    return Api(http, server)


# -- routing and request formats -----------------------------------------------------------


async def test_get_me_reports_the_bot_from_the_token(api: Api) -> None:
    me = await api.ok("getMe")

    assert (me["id"], me["is_bot"], me["username"]) == (123456, True, "news_bot")


async def test_other_tokens_are_unauthorized(
    http: aiohttp.ClientSession, server: BotApiStandIn
) -> None:
    async with http.post(f"{server.url}/bot999:other/getMe") as reply:
        body = await reply.json()

    assert reply.status == 401
    assert body == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_method_names_ignore_case_and_unknown_ones_are_not_found(api: Api) -> None:
    assert (await api.ok("GETME"))["id"] == 123456
    assert await api.error("sendTelepathy") == (404, "Not Found", None)


async def test_form_encoded_values_arrive_as_strings_and_json_text(
    http: aiohttp.ClientSession, server: BotApiStandIn
) -> None:
    server.add_user(5, "Ann", started=True)
    form = {
        "chat_id": "5",
        "text": "<b>Hi</b>",
        "parse_mode": "HTML",
        "reply_markup": json.dumps({"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}),
        "link_preview_options": json.dumps({"is_disabled": True}),
        "disable_notification": "true",
        "message_thread_id": "7",
    }
    async with http.post(f"{server.url}/bot{TOKEN}/sendMessage", data=form) as reply:
        body = await reply.json()

    assert body["ok"] is True
    sent = server.messages(5)[0]
    assert (sent.text, sent.html, sent.parse_mode) == ("Hi", "<b>Hi</b>", "HTML")
    assert sent.reply_markup == {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    assert sent.link_preview_options == {"is_disabled": True}
    assert (sent.disable_notification, sent.message_thread_id) == (True, 7)


async def test_query_string_parameters_work_with_get(
    http: aiohttp.ClientSession, server: BotApiStandIn
) -> None:
    server.add_user(5, started=True)
    url = f"{server.url}/bot{TOKEN}/sendMessage"
    async with http.get(url, params={"chat_id": "5", "text": "plain"}) as reply:
        body = await reply.json()

    assert body["result"]["text"] == "plain"


async def test_broken_reply_markup_json_is_refused(api: Api, server: BotApiStandIn) -> None:
    server.add_user(5, started=True)

    error = await api.error("sendMessage", chat_id=5, text="x", reply_markup="{oops")

    assert error == (400, "Bad Request: can't parse reply keyboard markup JSON object", None)


async def test_inline_buttons_are_checked_like_telegram(api: Api, server: BotApiStandIn) -> None:
    server.add_user(5, started=True)
    too_long = {"inline_keyboard": [[{"text": "x", "callback_data": "d" * 65}]]}
    no_action = {"inline_keyboard": [[{"text": "x"}]]}

    assert (await api.error("sendMessage", chat_id=5, text="x", reply_markup=too_long))[1] == (
        "Bad Request: BUTTON_DATA_INVALID"
    )
    assert (
        "Text buttons are unallowed"
        in (await api.error("sendMessage", chat_id=5, text="x", reply_markup=no_action))[1]
    )


async def test_an_inline_keyboard_holds_at_most_100_buttons(
    api: Api, server: BotApiStandIn
) -> None:
    server.add_user(5, started=True)
    sent = await api.ok("sendMessage", chat_id=5, text="x")

    def keyboard(buttons: int) -> dict[str, object]:
        rows = [[{"text": "x", "callback_data": f"{n}"}] for n in range(buttons)]
        return {"inline_keyboard": rows}

    assert await api.ok("sendMessage", chat_id=5, text="x", reply_markup=keyboard(100))
    for method, target in (
        ("sendMessage", {}),
        ("editMessageText", {"message_id": sent["message_id"], "text": "y"}),
        ("editMessageReplyMarkup", {"message_id": sent["message_id"]}),
    ):
        params = {"chat_id": 5, "text": "x", **target, "reply_markup": keyboard(101)}
        if method == "editMessageReplyMarkup":
            del params["text"]
        error = await api.error(method, **params)
        assert error == (400, "Bad Request: reply markup is too long", None), method


# -- sending and text rules ----------------------------------------------------------------


async def test_chats_must_be_introduced(api: Api, server: BotApiStandIn) -> None:
    assert await api.error("sendMessage", chat_id=42, text="x") == (
        400,
        "Bad Request: chat not found",
        None,
    )
    server.add_user(42)
    assert await api.error("sendMessage", chat_id=42, text="x") == (
        403,
        "Forbidden: bot can't initiate conversation with a user",
        None,
    )
    server.send_text(42, 42, "/start")
    assert (await api.ok("sendMessage", chat_id=42, text="x"))["message_id"] == 2


async def test_user_and_bot_messages_share_increasing_ids(api: Api, server: BotApiStandIn) -> None:
    first = server.send_text(5, 5, "/start")
    reply = await api.ok("sendMessage", chat_id=5, text="one")
    second = server.send_text(5, 5, "hello")
    again = await api.ok("sendMessage", chat_id=5, text="two")

    ids = [first["message"]["message_id"], reply["message_id"]]
    ids += [second["message"]["message_id"], again["message_id"]]
    assert ids == [1, 2, 3, 4]
    assert second["update_id"] == first["update_id"] + 1


async def test_html_errors_use_telegram_descriptions(api: Api, server: BotApiStandIn) -> None:
    server.add_user(5, started=True)

    error = await api.error("sendMessage", chat_id=5, text="Hi <div>x</div>", parse_mode="HTML")

    assert error == (
        400,
        'Bad Request: can\'t parse entities: Unsupported start tag "div" at byte offset 3',
        None,
    )
    assert server.messages(5) == []


async def test_markup_is_plain_text_without_parse_mode(api: Api, server: BotApiStandIn) -> None:
    server.add_user(5, started=True)

    await api.ok("sendMessage", chat_id=5, text="<div>&</div>")

    assert server.messages(5)[0].text == "<div>&</div>"


@pytest.mark.parametrize("text", ["", "   \n ", "<b></b>", "<b> </b>"])
async def test_empty_text_is_refused(api: Api, server: BotApiStandIn, text: str) -> None:
    server.add_user(5, started=True)

    error = await api.error("sendMessage", chat_id=5, text=text, parse_mode="HTML")

    assert error == (400, "Bad Request: message text is empty", None)


async def test_length_limit_counts_utf16_after_parsing(api: Api, server: BotApiStandIn) -> None:
    server.add_user(5, started=True)

    await api.ok("sendMessage", chat_id=5, text="<b>" + "😀" * 2048 + "</b>", parse_mode="HTML")
    error = await api.error("sendMessage", chat_id=5, text="😀" * 2048 + "a")
    markup_heavy = "<i>x</i>" * 4000  # 32000 bytes of HTML, 4000 characters of text

    assert error == (400, "Bad Request: message is too long", None)
    assert (await api.ok("sendMessage", chat_id=5, text=markup_heavy, parse_mode="HTML"))[
        "text"
    ] == "x" * 4000
    raw_too_long = await api.error(
        "sendMessage", chat_id=5, text="<i></i>" * 5000 + "x", parse_mode="HTML"
    )
    assert raw_too_long[1] == "Bad Request: message is too long"
    assert len(server.messages(5)) == 2


async def test_reply_parameters_must_point_at_a_message(api: Api, server: BotApiStandIn) -> None:
    asked = server.send_text(5, 5, "question")["message"]["message_id"]

    answer = await api.ok(
        "sendMessage", chat_id=5, text="answer", reply_parameters={"message_id": asked}
    )
    missing = await api.error(
        "sendMessage", chat_id=5, text="x", reply_parameters={"message_id": 99}
    )

    assert answer["reply_to_message"]["text"] == "question"
    assert missing == (400, "Bad Request: message to be replied not found", None)


# -- edits and deletes ---------------------------------------------------------------------


async def test_edit_rules(api: Api, server: BotApiStandIn) -> None:
    server.send_text(5, 5, "/start")
    keyboard = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    sent = await api.ok(
        "sendMessage", chat_id=5, text="<b>v1</b>", parse_mode="HTML", reply_markup=keyboard
    )
    mid = sent["message_id"]

    same = await api.error(
        "editMessageText",
        chat_id=5,
        message_id=mid,
        text="<b>v1</b>",
        parse_mode="HTML",
        reply_markup=keyboard,
    )
    edited = await api.ok("editMessageText", chat_id=5, message_id=mid, text="v2")
    missing = await api.error("editMessageText", chat_id=5, message_id=77, text="x")
    not_mine = await api.error("editMessageText", chat_id=5, message_id=1, text="x")

    assert same[0] == 400
    assert same[1].startswith("Bad Request: message is not modified: ")
    assert "reply_markup" not in edited
    assert "edit_date" in edited
    assert missing == (400, "Bad Request: message to edit not found", None)
    assert not_mine == (400, "Bad Request: message can't be edited", None)
    message = server.messages(5)[0]
    assert (message.text, message.reply_markup, message.edit_count) == ("v2", None, 1)
    assert message.history[0].html == "<b>v1</b>"
    assert message.history[0].reply_markup == keyboard


async def test_edit_reply_markup_and_delete(api: Api, server: BotApiStandIn) -> None:
    server.add_user(5, started=True)
    mid = (await api.ok("sendMessage", chat_id=5, text="x"))["message_id"]
    keyboard = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}

    await api.ok("editMessageReplyMarkup", chat_id=5, message_id=mid, reply_markup=keyboard)
    unchanged = await api.error(
        "editMessageReplyMarkup", chat_id=5, message_id=mid, reply_markup=keyboard
    )
    assert await api.ok("deleteMessage", chat_id=5, message_id=mid) is True
    gone = await api.error("deleteMessage", chat_id=5, message_id=mid)
    edit_gone = await api.error("editMessageText", chat_id=5, message_id=mid, text="y")

    assert unchanged[1].startswith("Bad Request: message is not modified")
    assert gone == (400, "Bad Request: message to delete not found", None)
    assert edit_gone == (400, "Bad Request: message to edit not found", None)
    message = server.messages(5)[0]
    assert (message.deleted, message.callback_data) == (True, ["a"])
    assert server.messages(5, include_deleted=False) == []


# -- chat states ---------------------------------------------------------------------------


async def test_blocking_emits_my_chat_member_and_forbids_sending(
    api: Api, server: BotApiStandIn
) -> None:
    server.send_text(5, 5, "/start")

    update = server.block_bot(5)
    blocked = await api.error("sendMessage", chat_id=5, text="x")
    server.unblock_bot(5)

    change = update["my_chat_member"]
    assert (change["old_chat_member"]["status"], change["new_chat_member"]["status"]) == (
        "member",
        "kicked",
    )
    assert change["new_chat_member"]["user"]["id"] == 123456
    assert blocked == (403, "Forbidden: bot was blocked by the user", None)
    assert (await api.ok("sendMessage", chat_id=5, text="back"))["text"] == "back"
    assert server.stats.errors[403] == 1


async def test_writing_after_blocking_restarts_the_bot(server: BotApiStandIn) -> None:
    server.send_text(5, 5, "/start")
    server.block_bot(5)

    server.send_text(5, 5, "/start")

    kinds = [next(k for k in u if k != "update_id") for u in server.pending_updates()]
    assert kinds == ["message", "my_chat_member", "my_chat_member", "message"]
    assert server.bot_status(5) == "member"


async def test_removed_from_group_then_added_back(api: Api, server: BotApiStandIn) -> None:
    server.add_group(-100, "Readers", admins=[1], members=[2])

    left = server.remove_bot_from_group(-100)
    kicked = await api.error("sendMessage", chat_id=-100, text="x")
    joined = server.add_bot_to_group(-100, by_user=2)

    assert left["my_chat_member"]["new_chat_member"]["status"] == "left"
    assert left["my_chat_member"]["from"]["id"] == 1
    assert kicked == (403, "Forbidden: bot was kicked from the group chat", None)
    assert joined["my_chat_member"]["old_chat_member"]["status"] == "left"
    assert joined["my_chat_member"]["new_chat_member"]["status"] == "member"
    assert (await api.ok("sendMessage", chat_id=-100, text="hi"))["chat"]["title"] == "Readers"


async def test_migrated_group_answers_with_the_new_id(api: Api, server: BotApiStandIn) -> None:
    server.add_group(-100, "Readers", admins=[1])

    new_id = server.migrate_group(-100, -1001234)
    error = await api.error("sendMessage", chat_id=-100, text="x")

    assert new_id == -1001234
    assert error == (
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        {"migrate_to_chat_id": -1001234},
    )
    old_msg, new_msg = (u["message"] for u in server.pending_updates())
    assert (old_msg["chat"]["id"], old_msg["migrate_to_chat_id"]) == (-100, -1001234)
    assert (new_msg["chat"]["type"], new_msg["migrate_from_chat_id"]) == ("supergroup", -100)
    assert (await api.ok("sendMessage", chat_id=-1001234, text="x"))["chat"]["id"] == -1001234


async def test_channel_posts_and_bot_posts_carry_sender_chat(
    api: Api, server: BotApiStandIn
) -> None:
    server.add_channel(-200, "News", username="news_channel")

    post = server.send_text(-200, 1, "editorial")
    sent = await api.ok("sendMessage", chat_id="@news_channel", text="digest")

    assert "from" not in post["channel_post"]
    assert post["channel_post"]["sender_chat"]["id"] == -200
    assert (sent["sender_chat"]["id"], sent["chat"]["id"]) == (-200, -200)


async def test_members_and_administrators(api: Api, server: BotApiStandIn) -> None:
    server.add_group(-300, "Club", type="supergroup", owner=1, admins=[2], members=[3])
    server.set_admin(-300, 3, is_admin=True)
    server.set_admin(-300, 2, is_admin=False)

    statuses = [
        (await api.ok("getChatMember", chat_id=-300, user_id=u))["status"] for u in (1, 2, 3)
    ]
    admins = await api.ok("getChatAdministrators", chat_id=-300)
    chat = await api.ok("getChat", chat_id=-300)
    unknown = await api.error("getChatMember", chat_id=-300, user_id=999)

    assert statuses == ["creator", "member", "administrator"]
    assert [a["user"]["id"] for a in admins] == [1, 3, 123456]
    assert (chat["type"], chat["title"]) == ("supergroup", "Club")
    assert unknown == (400, "Bad Request: user not found", None)


async def test_channel_members_as_telegram_reports_them(api: Api, server: BotApiStandIn) -> None:
    server.add_channel(-400, "News", owner=1, admins=[2], subscribers=[3])
    server.add_channel(-401, "Old news", owner=1, bot_is_admin=False)
    server.add_user(4, "Passer-by")

    statuses = [
        (await api.ok("getChatMember", chat_id=-400, user_id=u))["status"] for u in (1, 2, 3, 4)
    ]
    without_rights = await api.error("getChatMember", chat_id=-401, user_id=1)

    assert statuses == ["creator", "administrator", "member", "left"]
    assert without_rights == (400, "Bad Request: CHAT_ADMIN_REQUIRED", None)


# -- updates -------------------------------------------------------------------------------


async def test_get_updates_confirms_with_offset(api: Api, server: BotApiStandIn) -> None:
    ids = [server.send_text(5, 5, f"m{i}")["update_id"] for i in range(3)]

    everything = await api.ok("getUpdates")
    rest = await api.ok("getUpdates", offset=ids[1])
    limited = await api.ok("getUpdates", limit=1)

    assert [u["update_id"] for u in everything] == ids
    assert [u["update_id"] for u in rest] == ids[1:]
    assert [u["update_id"] for u in limited] == ids[1:2]
    assert [u["message"]["text"] for u in server.pending_updates()] == ["m1", "m2"]


async def test_long_poll_returns_when_an_update_arrives(api: Api, server: BotApiStandIn) -> None:
    poll = asyncio.create_task(api.ok("getUpdates", timeout=30))
    await server.wait_for(lambda: server.stats.requests["getUpdates"] == 1)

    server.send_text(5, 5, "/start@news_bot")
    updates = await asyncio.wait_for(poll, 10)

    message = updates[0]["message"]
    assert message["text"] == "/start@news_bot"
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 15}]


async def test_long_poll_without_updates_returns_empty(api: Api) -> None:
    assert await api.ok("getUpdates", timeout=0.05) == []


async def test_a_second_poller_ends_the_first_with_conflict(
    api: Api, server: BotApiStandIn
) -> None:
    first = asyncio.create_task(api.error("getUpdates", timeout=30))
    await server.wait_for(lambda: server.stats.requests["getUpdates"] == 1)

    second = asyncio.create_task(api.ok("getUpdates", timeout=30))
    status, description, _ = await asyncio.wait_for(first, 10)
    server.send_text(5, 5, "hi")

    assert status == 409
    assert description.startswith("Conflict: terminated by other getUpdates request")
    assert (await asyncio.wait_for(second, 10))[0]["message"]["text"] == "hi"


async def test_allowed_updates_filter_later_updates(api: Api, server: BotApiStandIn) -> None:
    await api.ok("getUpdates", allowed_updates=json.dumps(["callback_query"]))
    server.send_text(5, 5, "ignored")
    sent = await api.ok(
        "sendMessage",
        chat_id=5,
        text="x",
        reply_markup={"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
    )
    server.press_button(5, 5, sent["message_id"], "a")

    updates = await api.ok("getUpdates")

    assert [list(u)[1] for u in updates] == ["callback_query"]


async def test_get_updates_conflicts_with_a_webhook(api: Api) -> None:
    await api.ok("setWebhook", url="http://127.0.0.1:9/hook")

    error = await api.error("getUpdates")
    info = await api.ok("getWebhookInfo")
    await api.ok("deleteWebhook")

    assert error[0] == 409
    assert error[1].startswith("Conflict: can't use getUpdates method while webhook is active")
    assert info["url"] == "http://127.0.0.1:9/hook"
    assert await api.ok("getUpdates") == []


# -- buttons, commands, files ----------------------------------------------------------------


async def test_button_presses_and_answers(api: Api, server: BotApiStandIn) -> None:
    server.send_text(5, 5, "/start")
    keyboard = {"inline_keyboard": [[{"text": "Yes", "callback_data": "sub:yes"}]]}
    mid = (await api.ok("sendMessage", chat_id=5, text="Subscribe?", reply_markup=keyboard))[
        "message_id"
    ]

    with pytest.raises(ValueError, match="no button with callback data"):
        server.press_button(5, 5, mid, "sub:admin")
    query_id = server.press_button(5, 5, mid, "sub:yes")
    tampered = server.press_button(5, 5, mid, "sub:admin", force=True)
    await api.ok("answerCallbackQuery", callback_query_id=query_id, text="Done", show_alert=True)
    twice = await api.error("answerCallbackQuery", callback_query_id=query_id)

    query = server.pending_updates()[-2]["callback_query"]
    assert (query["data"], query["message"]["message_id"], query["from"]["id"]) == (
        "sub:yes",
        mid,
        5,
    )
    assert server.pending_updates()[-1]["callback_query"]["data"] == "sub:admin"
    answer = server.callback_answer(query_id)
    assert answer is not None
    assert (answer.text, answer.show_alert, answer.data) == ("Done", True, "sub:yes")
    assert server.callback_answer(tampered) is None
    assert twice[1].startswith("Bad Request: query is too old")


async def test_commands_are_kept_per_scope_and_language(api: Api, server: BotApiStandIn) -> None:
    server.add_group(-100, "G")
    start = [{"command": "start", "description": "Start"}]
    admin = [{"command": "stats", "description": "Statistics"}]

    await api.ok("setMyCommands", commands=start)
    await api.ok("setMyCommands", commands=start, language_code="be")
    await api.ok("setMyCommands", commands=admin, scope={"type": "chat", "chat_id": -100})
    bad = await api.error("setMyCommands", commands=[{"command": "Start", "description": "x"}])
    await api.ok("deleteMyCommands", language_code="be")

    assert await api.ok("getMyCommands") == start
    assert await api.ok("getMyCommands", scope={"type": "chat", "chat_id": -100}) == admin
    assert server.commands(scope={"type": "chat", "chat_id": -100}) == admin
    assert server.commands(scope="chat:-100") == admin
    assert server.commands("be") == []
    assert bad == (400, "Bad Request: BOT_COMMAND_INVALID", None)


async def test_user_documents_can_be_fetched_and_downloaded(
    api: Api, http: aiohttp.ClientSession, server: BotApiStandIn
) -> None:
    update = server.send_document(5, 5, "issue.md", "# Выпуск".encode(), caption="/import")
    document = update["message"]["document"]

    file = await api.ok("getFile", file_id=document["file_id"])
    async with http.get(f"{server.url}/file/bot{TOKEN}/{file['file_path']}") as reply:
        content = await reply.read()
    async with http.get(f"{server.url}/file/bot{TOKEN}/documents/nothing.md") as missing:
        missing_status = missing.status

    assert (document["file_name"], document["mime_type"]) == ("issue.md", "text/markdown")
    assert file["file_size"] == len("# Выпуск".encode())
    assert content == "# Выпуск".encode()
    assert missing_status == 404
    assert update["message"]["caption_entities"][0]["type"] == "bot_command"
    assert (await api.error("getFile", file_id="nope"))[1] == "Bad Request: invalid file_id"


async def test_bot_can_upload_a_document(
    http: aiohttp.ClientSession, server: BotApiStandIn
) -> None:
    server.add_user(5, started=True)
    form = aiohttp.FormData()
    form.add_field("chat_id", "5")
    form.add_field("caption", "<b>Archive</b>")
    form.add_field("parse_mode", "HTML")
    form.add_field("document", b"data", filename="a.txt", content_type="text/plain")

    async with http.post(f"{server.url}/bot{TOKEN}/sendDocument", data=form) as reply:
        body = await reply.json()

    message = body["result"]
    assert (message["caption"], message["document"]["file_name"]) == ("Archive", "a.txt")
    assert server.messages(5)[0].document == message["document"]


# -- flood limits and faults ---------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


async def test_flood_limits_refuse_without_delivering(http: aiohttp.ClientSession) -> None:
    clock = FakeClock()
    async with BotApiStandIn(token=TOKEN, limits=FloodLimits(enabled=True), clock=clock) as srv:
        api = Api(http, srv)
        srv.add_user(5, started=True)
        await api.ok("sendMessage", chat_id=5, text="one")
        refused = await api.error("sendMessage", chat_id=5, text="two")
        srv.add_group(-100, "G")
        for _ in range(20):
            await api.ok("sendMessage", chat_id=-100, text="g")
            clock.now += 1.0
        group_refused = await api.error("sendMessage", chat_id=-100, text="g")
        clock.now += 1.0
        markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
        message_id = srv.messages(5)[0].message_id
        edit = {"chat_id": 5, "message_id": message_id, "reply_markup": markup}
        await api.ok("editMessageReplyMarkup", **edit)
        edit_refused = await api.error("editMessageText", **edit, text="edited")
        srv.limits = FloodLimits(enabled=False)
        await api.ok("sendMessage", chat_id=5, text="three")

        assert refused == (429, "Too Many Requests: retry after 1", {"retry_after": 1})
        assert group_refused[2] == {"retry_after": 40}
        assert edit_refused[0] == 429  # edits count towards the chat's limit like sends
        assert [m.text for m in srv.messages(5)] == ["one", "three"]
        assert srv.stats.too_many_requests == 3
        assert srv.stats.too_many_requests_by_chat == {5: 2, -100: 1}


async def test_injected_errors_hit_only_matching_calls(api: Api, server: BotApiStandIn) -> None:
    server.add_user(5, started=True)
    server.add_user(6, started=True)
    server.inject("sendMessage", 5, error=Fault.forbidden(), times=2)
    server.inject("getMe", error=Fault.server_error(502))

    first = await api.error("sendMessage", chat_id=5, text="x")
    other_chat = await api.ok("sendMessage", chat_id=6, text="y")
    second = await api.error("sendMessage", chat_id="5", text="x")
    third = await api.ok("sendMessage", chat_id=5, text="z")
    gateway = await api.error("getMe")

    assert first == second == (403, "Forbidden: bot was blocked by the user", None)
    assert (other_chat["text"], third["text"]) == ("y", "z")
    assert gateway == (502, "Bad Gateway", None)
    assert server.fault_rules == []


async def test_injected_timeout_can_drop_or_deliver(
    http: aiohttp.ClientSession, server: BotApiStandIn
) -> None:
    server.add_user(5, started=True)
    server.inject("sendMessage", error=Fault.timeout(0.01, deliver=False))
    server.inject("sendMessage", error=Fault.timeout(0.01, deliver=True))
    url = f"{server.url}/bot{TOKEN}/sendMessage"

    with pytest.raises(aiohttp.ServerDisconnectedError):
        async with http.post(url, json={"chat_id": 5, "text": "dropped"}) as reply:
            await reply.read()
    async with http.post(url, json={"chat_id": 5, "text": "late"}) as reply:
        body = await reply.json()

    assert body["result"]["text"] == "late"
    assert [m.text for m in server.messages(5)] == ["late"]


async def test_rate_faults_repeat_for_the_same_seed(http: aiohttp.ClientSession) -> None:
    async def outcomes(seed: int) -> list[int]:
        async with BotApiStandIn(token=TOKEN, seed=seed) as srv:
            api = Api(http, srv)
            srv.add_user(5, started=True)
            srv.inject("sendMessage", error=Fault.server_error(500), times=None, rate=0.5)
            return [(await api("sendMessage", chat_id=5, text="x"))[0] for _ in range(40)]

    first, again = await outcomes(3), await outcomes(3)

    assert first == again
    assert set(first) == {200, 500}


# -- waiting, control over HTTP, webhooks ----------------------------------------------------


async def test_wait_for_counts_messages_and_times_out(api: Api, server: BotApiStandIn) -> None:
    server.add_user(5, started=True)
    waiter = asyncio.create_task(server.wait_for(2, chat_id=5))
    await api.ok("sendMessage", chat_id=5, text="a")
    await api.ok("sendMessage", chat_id=5, text="b")

    messages = await asyncio.wait_for(waiter, 10)

    assert [m.text for m in messages] == ["a", "b"]
    with pytest.raises(TimeoutError, match="2 messages arrived"):
        await server.wait_for(3, chat_id=5, timeout=0.05)


async def test_reset_forgets_the_world_but_keeps_update_ids_growing(
    server: BotApiStandIn,
) -> None:
    before = server.send_text(5, 5, "x")["update_id"]

    server.reset()
    after = server.send_text(5, 5, "y")["update_id"]

    assert after > before
    assert [u["message"]["text"] for u in server.pending_updates()] == ["y"]
    assert server.stats.requests == {}


async def test_control_routes_drive_the_server_from_outside(
    api: Api, server: BotApiStandIn
) -> None:
    async with ControlClient(server.url) as control:
        await control.call("add_user", user_id=5, first_name="Ann", language_code="be")
        update = await control.call("send_text", chat_id=5, user_id=5, text="/start")
        await control.call("inject", method="sendMessage", error=Fault.forbidden().to_json())
        blocked = await api.error("sendMessage", chat_id=5, text="x")
        await api.ok("sendMessage", chat_id=5, text="<i>hello</i>", parse_mode="HTML")
        messages = await control.call("wait_for", count=1, chat_id=5, timeout=5)
        limits = await control.call("set_limits", enabled=True, per_second=10)
        stats = await control.call("stats")
        document = await control.send_document(5, 5, "a.md", b"# A")
        with pytest.raises(ControlError, match="no button"):
            await control.call("press_button", chat_id=5, user_id=5, message_id=2, data="zz")
        with pytest.raises(TimeoutError):
            await control.call("wait_for", count=5, chat_id=5, timeout=0.05)

    assert update["message"]["from"]["language_code"] == "be"
    assert blocked[0] == 403
    assert messages[0]["text"] == "hello"
    assert messages[0]["html"] == "<i>hello</i>"
    assert limits["enabled"] is True
    assert server.limits.per_second == 10
    assert stats["errors"] == {"403": 1}
    assert document["message"]["document"]["file_size"] == 3


async def test_webhook_gets_updates_with_secret_and_retries(
    api: Api, http: aiohttp.ClientSession
) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    answers = [500, 200, 200]

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response(status=answers[len(received) - 1])

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with BotApiStandIn(token=TOKEN, webhook_retry_delay=0.01) as srv:
            hook_api = Api(http, srv)
            await hook_api.ok(
                "setWebhook", url=f"http://127.0.0.1:{port}/hook", secret_token="s3cr3t"
            )
            srv.send_text(5, 5, "one")
            srv.send_text(5, 5, "two")
            await srv.wait_for(lambda: not srv.pending_updates(), timeout=10)
            info = await hook_api.ok("getWebhookInfo")
    finally:
        await runner.cleanup()

    assert [secret for secret, _ in received] == ["s3cr3t"] * 3
    assert [u["message"]["text"] for _, u in received] == ["one", "one", "two"]
    assert info["pending_update_count"] == 0
    assert (
        info["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"
    )
