"""The stand-in's world: bot identity, users, chats, pending updates and change notification."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from standin.errors import CHAT_NOT_FOUND, ApiError, bad_request, forbidden
from standin.faults import FaultInjector
from standin.limits import FloodLimiter, FloodLimits
from standin.model import (
    CHANNEL,
    PRIVATE,
    CallbackQueryRecord,
    Chat,
    SentMessage,
    Stats,
    StoredFile,
    User,
    WebhookConfig,
)

ALL_UPDATE_TYPES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
)
DEFAULT_UPDATE_TYPES = frozenset(ALL_UPDATE_TYPES) - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}
DEFAULT_BOT_ID = 7_000_000_001


_ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": True,
    "can_edit_stories": True,
    "can_delete_stories": True,
}


def member_json(user: dict[str, Any], status: str, chat_type: str) -> dict[str, Any]:
    """Return the ``ChatMember`` object for ``user`` with ``status`` in a chat of that type."""
    data: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        data["is_anonymous"] = False
    elif status == "administrator":
        data.update(_ADMIN_RIGHTS)
        if chat_type == CHANNEL:
            data["can_post_messages"] = True
            data["can_edit_messages"] = True
        else:
            data["can_pin_messages"] = True
    elif status == "kicked":
        data["until_date"] = 0
    return data


def _content_json(sent: SentMessage) -> dict[str, Any]:
    """Return the text or document fields of a sent message's ``Message`` object."""
    data: dict[str, Any] = {}
    if sent.document is not None or sent.photo is not None:
        if sent.photo is not None:
            data["photo"] = sent.photo
        else:
            data["document"] = sent.document
        if sent.text:
            data["caption"] = sent.text
            if sent.entities:
                data["caption_entities"] = sent.entities
        return data
    data["text"] = sent.text
    if sent.entities:
        data["entities"] = sent.entities
    if sent.link_preview_options:
        data["link_preview_options"] = sent.link_preview_options
    return data


def _bot_id_from_token(token: str | None) -> int | None:
    """Return the numeric bot id at the start of a ``123:ABC`` token, if there is one."""
    if token is None:
        return None
    prefix = token.partition(":")[0]
    return int(prefix) if prefix.isdigit() else None


class StandInState:
    """Everything the server remembers, plus notification of every change."""

    def __init__(
        self,
        *,
        token: str | None = None,
        bot_id: int | None = None,
        bot_username: str = "standin_bot",
        bot_first_name: str = "Stand-in Bot",
        limits: FloodLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
        seed: int | None = 0,
    ) -> None:
        """Create an empty world for one bot."""
        self.token = token
        self.bot_id = bot_id or _bot_id_from_token(token) or DEFAULT_BOT_ID
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self._clock = clock
        self._limiter = FloodLimiter(limits, clock)
        self._faults = FaultInjector(seed)
        self._seed = seed
        self._changed = asyncio.Event()
        self._version = 0
        self._closing = False
        self._closed = asyncio.Event()
        self._next_update_id = 1
        self._next_query_id = 1
        self._next_file_number = 1
        self._poll_generation = 0
        self._polls_waiting = 0
        self._init_world()

    def _init_world(self) -> None:
        """Set every piece of per-test state to empty."""
        self._users: dict[int, User] = {}
        self._chats: dict[int, Chat] = {}
        self._chats_by_username: dict[str, int] = {}
        self._updates: deque[dict[str, Any]] = deque()
        self._allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self._sent: list[SentMessage] = []
        self._queries: dict[str, CallbackQueryRecord] = {}
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._descriptions: dict[tuple[str, str], str] = {}
        self._webhook: WebhookConfig | None = None
        self._stats = Stats()

    # -- identity and clocks -------------------------------------------------------------

    def bot_user_json(self) -> dict[str, Any]:
        """Return the bot's own ``User`` object."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _unix_now(self) -> int:
        """Return the real unix time used for message dates."""
        return int(time.time())

    # -- change notification -------------------------------------------------------------

    def _notify(self) -> None:
        """Wake everything waiting for a change of state."""
        self._version += 1
        event = self._changed
        self._changed = asyncio.Event()
        event.set()

    async def wait_change(self, max_wait: float | None) -> bool:
        """Wait until the next change or ``max_wait`` seconds; return whether a change came."""
        event = self._changed
        if max_wait is not None and max_wait <= 0:
            return False
        try:
            async with asyncio.timeout(max_wait):
                await event.wait()
        except TimeoutError:
            return False
        return True

    # -- updates -------------------------------------------------------------------------

    def _enqueue(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Create an update of ``kind``; queue it unless ``allowed_updates`` excludes it."""
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        if kind in self._allowed_updates:
            self._updates.append(update)
        self._notify()
        return update

    def _set_allowed_updates(self, allowed: object) -> None:
        """Store an ``allowed_updates`` list; an empty list means the default set."""
        if allowed is None:
            return
        if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
            raise bad_request("can't parse allowed updates JSON object")
        self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATE_TYPES

    def pending_updates(self) -> list[dict[str, Any]]:
        """Return the updates not yet confirmed by ``getUpdates`` or delivered to a webhook."""
        return list(self._updates)

    def pending_updates_view(self) -> deque[dict[str, Any]]:
        """Return the live queue of pending updates (do not modify it)."""
        return self._updates

    # -- webhook delivery ----------------------------------------------------------------

    @property
    def webhook(self) -> WebhookConfig | None:
        """Return the webhook set by ``setWebhook``, if any."""
        return self._webhook

    def webhook_delivered(self, update: dict[str, Any]) -> None:
        """Drop ``update`` from the queue after the webhook accepted it."""
        if self._updates and self._updates[0] is update:
            self._updates.popleft()
        if self._webhook is not None:
            self._webhook.delivered += 1
        self._stats.webhook_deliveries += 1
        self._notify()

    def webhook_failed(self, message: str) -> None:
        """Record a failed delivery as ``getWebhookInfo`` reports it."""
        if self._webhook is not None:
            self._webhook.last_error_date = self._unix_now()
            self._webhook.last_error_message = message
        self._stats.webhook_failures += 1
        self._notify()

    async def wait_closing(self, delay: float) -> None:
        """Sleep ``delay`` seconds, or less when the server starts closing."""
        if self._closing or delay <= 0:
            return
        try:
            async with asyncio.timeout(delay):
                await self._closed.wait()
        except TimeoutError:
            return

    # -- chats ---------------------------------------------------------------------------

    def _find_chat(self, chat_id: int | str) -> Chat | None:
        """Return the chat with this id or ``@username``."""
        if isinstance(chat_id, int):
            return self._chats.get(chat_id)
        if chat_id.startswith("@"):
            found = self._chats_by_username.get(chat_id[1:].lower())
            return None if found is None else self._chats.get(found)
        return None

    def _chat_for_reading(self, chat_id: int | str) -> Chat:
        """Return a chat the bot may look at, or raise the error Telegram gives."""
        chat = self._find_chat(chat_id)
        if chat is None:
            raise bad_request(CHAT_NOT_FOUND)
        if chat.migrated_to is not None:
            raise bad_request(
                "group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        return chat

    def _chat_for_sending(self, chat_id: int | str) -> Chat:
        """Return a chat the bot may post in, or raise the error Telegram gives."""
        chat = self._chat_for_reading(chat_id)
        if chat.type == PRIVATE:
            if chat.bot_status == "kicked":
                raise forbidden("bot was blocked by the user")
            if not chat.opened:
                raise forbidden("bot can't initiate conversation with a user")
            return chat
        if chat.bot_status in ("left", "kicked"):
            if chat.type == CHANNEL:
                raise forbidden("bot is not a member of the channel chat")
            raise forbidden(f"bot was kicked from the {chat.type} chat")
        if chat.type == CHANNEL and chat.bot_status != "administrator":
            raise bad_request("need administrator rights in the channel chat")
        return chat

    def _chat_or_control_error(self, chat_id: int) -> Chat:
        """Return a chat for a control action or raise ``KeyError`` naming it."""
        chat = self._chats.get(chat_id)
        if chat is None:
            raise KeyError(f"unknown chat {chat_id}")
        return chat

    def _register_chat(self, chat: Chat) -> Chat:
        """Add ``chat`` to the world, indexing its username."""
        self._chats[chat.id] = chat
        if chat.username:
            self._chats_by_username[chat.username.lower()] = chat.id
        return chat

    # -- message objects -----------------------------------------------------------------

    def _sent_json(self, sent: SentMessage, *, with_reply: bool = True) -> dict[str, Any]:
        """Return the ``Message`` object of a message the bot sent."""
        chat = self._chats[sent.chat_id]
        data: dict[str, Any] = {"message_id": sent.message_id}
        if chat.type == CHANNEL:
            data["sender_chat"] = chat.to_json()
        else:
            data["from"] = self.bot_user_json()
        data["chat"] = chat.to_json()
        data["date"] = sent.date
        if sent.message_thread_id is not None:
            data["message_thread_id"] = sent.message_thread_id
        if sent.edit_date is not None:
            data["edit_date"] = sent.edit_date
        data.update(_content_json(sent))
        if sent.reply_markup and "inline_keyboard" in sent.reply_markup:
            data["reply_markup"] = sent.reply_markup
        if with_reply and sent.reply_to_message_id is not None:
            replied = self._message_json(chat, sent.reply_to_message_id, with_reply=False)
            if replied is not None:
                data["reply_to_message"] = replied
        return data

    def _message_json(
        self, chat: Chat, message_id: int, *, with_reply: bool = True
    ) -> dict[str, Any] | None:
        """Return the ``Message`` object of any live message in ``chat``, or ``None``."""
        sent = chat.sent_by_id.get(message_id)
        if sent is not None:
            return None if sent.deleted else self._sent_json(sent, with_reply=with_reply)
        message = chat.user_messages.get(message_id)
        if message is None:
            return None
        if not with_reply and "reply_to_message" in message:
            return {k: v for k, v in message.items() if k != "reply_to_message"}
        return message

    def _message_exists(self, chat: Chat, message_id: int) -> bool:
        """Tell whether ``message_id`` is a live message of ``chat``."""
        sent = chat.sent_by_id.get(message_id)
        if sent is not None:
            return not sent.deleted
        return message_id in chat.user_messages

    # -- files ---------------------------------------------------------------------------

    def _store_file(
        self, content: bytes, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        """Keep ``content`` under a fresh file id and download path."""
        number = self._next_file_number
        self._next_file_number += 1
        extension = ""
        if file_name and "." in file_name:
            extension = "." + file_name.rsplit(".", 1)[1]
        stored = StoredFile(
            file_id=f"BQACAgIAAx{number:010d}{self.bot_id}",
            file_unique_id=f"AgAD{number:08d}",
            file_path=f"documents/file_{number}{extension}",
            file_name=file_name,
            mime_type=mime_type,
            content=content,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def file_content(self, file_path: str) -> bytes | None:
        """Return the bytes behind a ``getFile`` path, or ``None``."""
        stored = self._files_by_path.get(file_path)
        return None if stored is None else stored.content

    # -- shared counters -----------------------------------------------------------------

    def _count_error(self, error: ApiError, chat_id: object = None) -> None:
        """Count an error answer, and a 429 against its chat."""
        self._stats.errors[error.error_code] += 1
        if error.error_code == 429:
            self._stats.too_many_requests += 1
            if isinstance(chat_id, int):
                self._stats.too_many_requests_by_chat[chat_id] += 1

    @property
    def stats(self) -> Stats:
        """Return the live counters."""
        return self._stats

    @property
    def limits(self) -> FloodLimits:
        """Return the flood limits in force."""
        return self._limiter.limits

    @limits.setter
    def limits(self, limits: FloodLimits) -> None:
        """Change the flood limits at run time."""
        self._limiter.limits = limits

    @property
    def limiter(self) -> FloodLimiter:
        """Return the flood limiter (its windows and refusal counts)."""
        return self._limiter

    def _new_query_id(self) -> str:
        """Return a fresh callback query id."""
        query_id = f"{4_000_000_000_000 + self._next_query_id}"
        self._next_query_id += 1
        return query_id

    @property
    def closing(self) -> bool:
        """Tell whether the server is shutting down."""
        return self._closing
