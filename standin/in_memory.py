"""An in-memory Bot API: a request layer that answers like Telegram, and real updates.

For handler tests and benchmarks that feed updates straight to the application: the
request layer answers the calls the bot makes (recording them, unless told not to) and
refuses anything else, so nothing touches the network. End-to-end tests use the HTTP
stand-in instead.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot, Update
from telegram.request import BaseRequest, RequestData

BOT_ID = 7000
BOT_USERNAME = "weekly_test_bot"
TOKEN = f"{BOT_ID}:TESTTOKENTESTTOKENTESTTOKEN"


@dataclass
class Call:
    """One Bot API call the bot made."""

    method: str
    params: dict[str, Any]


@dataclass
class RecordingRequest(BaseRequest):
    """Answer Bot API calls from memory and record them."""

    admins: dict[int, set[int]] = field(default_factory=dict)
    record: bool = True
    """False keeps no calls: for benchmarks that send millions of messages."""
    calls: list[Call] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(100))

    @property
    def read_timeout(self) -> float | None:
        """Return no read timeout."""
        return None

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    def sent(self, chat_id: int | None = None) -> list[Call]:
        """Return the messages sent or edited, optionally in one chat."""
        kinds = {"sendMessage", "editMessageText"}
        return [
            c
            for c in self.calls
            if c.method in kinds and (chat_id is None or c.params.get("chat_id") == chat_id)
        ]

    def texts(self, chat_id: int | None = None) -> list[str]:
        """Return the texts of the messages sent or edited."""
        return [c.params["text"] for c in self.sent(chat_id)]

    def answers(self) -> list[dict[str, Any]]:
        """Return the callback query answers."""
        return [c.params for c in self.calls if c.method == "answerCallbackQuery"]

    def clear(self) -> None:
        """Forget the calls recorded so far."""
        self.calls.clear()

    async def do_request(  # noqa: PLR0917 - the signature is BaseRequest's
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        """Answer one call like Telegram would."""
        name = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        if self.record:
            self.calls.append(Call(name, params))
        result = self._result(name, params)
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _result(self, name: str, params: dict[str, Any]) -> Any:
        if name == "getMe":
            return bot_user()
        if name in ("sendMessage", "editMessageText"):
            chat_id = int(params["chat_id"])
            return {
                "message_id": params.get("message_id") or next(self._ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                "text": params["text"],
                "from": bot_user(),
            }
        if name == "getChatMember":
            chat_id, user_id = int(params["chat_id"]), int(params["user_id"])
            status = "administrator" if user_id in self.admins.get(chat_id, set()) else "member"
            member: dict[str, Any] = {"user": user(user_id), "status": status}
            if status == "administrator":
                member |= dict.fromkeys(
                    (
                        "can_be_edited",
                        "is_anonymous",
                        "can_manage_chat",
                        "can_delete_messages",
                        "can_manage_video_chats",
                        "can_restrict_members",
                        "can_promote_members",
                        "can_change_info",
                        "can_invite_users",
                        "can_post_stories",
                        "can_edit_stories",
                        "can_delete_stories",
                    ),
                    True,
                )
            return member
        if name in (
            "answerCallbackQuery",
            "setMyCommands",
            "editMessageReplyMarkup",
            "deleteWebhook",
        ):
            return True
        raise AssertionError(f"unexpected Bot API call {name} {params}")


def bot_user() -> dict[str, Any]:
    """Return the bot's own user object."""
    return {"id": BOT_ID, "is_bot": True, "first_name": "Weekly", "username": BOT_USERNAME}


def user(user_id: int, language_code: str | None = "en") -> dict[str, Any]:
    """Return a user object."""
    data: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
    if language_code:
        data["language_code"] = language_code
    return data


def chat(chat_id: int) -> dict[str, Any]:
    """Return a chat object: positive ids are private chats, negative ones supergroups."""
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
    return {"id": chat_id, "type": "supergroup", "title": f"Group {chat_id}"}


class Updates:
    """Build real updates with increasing ids."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot
        self._ids = itertools.count(1)

    def _update(self, **payload: Any) -> Update:
        update = Update.de_json({"update_id": next(self._ids), **payload}, self._bot)
        assert update is not None
        return update

    def message(
        self, chat_id: int, text: str, *, user_id: int | None = None, language: str | None = "en"
    ) -> Update:
        """Return a text message; a leading /word becomes a bot command."""
        sender = user_id if user_id is not None else chat_id
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": chat(chat_id),
            "from": user(sender, language),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._update(message=message)

    def press(
        self,
        chat_id: int,
        data: str,
        *,
        user_id: int | None = None,
        message_id: int = 1,
        language: str | None = "en",
    ) -> Update:
        """Return a button press on a message the bot sent."""
        sender = user_id if user_id is not None else chat_id
        return self._update(
            callback_query={
                "id": str(next(self._ids)),
                "from": user(sender, language),
                "chat_instance": "ci",
                "data": data,
                "message": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "chat": chat(chat_id),
                    "from": bot_user(),
                    "text": "…",
                },
            }
        )

    def bot_status(self, chat_id: int, old: str, new: str, *, by: int | None = None) -> Update:
        """Return a my_chat_member update: the bot's status in a chat changed."""
        return self._update(
            my_chat_member={
                "chat": chat(chat_id),
                "from": user(by if by is not None else abs(chat_id)),
                "date": int(time.time()),
                "old_chat_member": {
                    "user": bot_user(),
                    "status": old,
                    **({"until_date": 0} if old == "kicked" else {}),
                },
                "new_chat_member": {
                    "user": bot_user(),
                    "status": new,
                    **({"until_date": 0} if new == "kicked" else {}),
                },
            }
        )

    def migrated(self, old_chat_id: int, new_chat_id: int) -> Update:
        """Return the service message a group gets when it becomes a supergroup."""
        return self._update(
            message={
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": {"id": old_chat_id, "type": "group", "title": "Club"},
                "from": user(1),
                "migrate_to_chat_id": new_chat_id,
            }
        )
