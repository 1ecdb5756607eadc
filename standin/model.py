"""The stand-in's records: users, chats, messages the bot sent, files, answers and counters."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

PRIVATE = "private"
GROUP = "group"
SUPERGROUP = "supergroup"
CHANNEL = "channel"


@dataclass
class User:
    """A user the tests act as."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "en"

    def to_json(self) -> dict[str, Any]:
        """Return the Bot API ``User`` object."""
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass
class MessageVersion:
    """A message's content before one of its edits."""

    html: str
    text: str
    entities: list[dict[str, Any]]
    reply_markup: dict[str, Any] | None
    replaced_at: float


@dataclass
class SentMessage:
    """A message the bot sent, as the chat sees it now, with its earlier versions.

    Attributes:
        html: The raw text (or caption) as the bot sent it, HTML markup included.
        text: The plain text after entity parsing and trimming.
        sent_at: When it arrived, on the server's monotonic clock.
        date: Unix time of sending, as in the ``Message`` object.
        history: Earlier versions, oldest first; one per successful edit.
    """

    message_id: int
    chat_id: int
    html: str
    text: str
    parse_mode: str | None
    entities: list[dict[str, Any]]
    reply_markup: dict[str, Any] | None
    sent_at: float
    date: int
    link_preview_options: dict[str, Any] | None = None
    reply_to_message_id: int | None = None
    message_thread_id: int | None = None
    disable_notification: bool = False
    protect_content: bool = False
    allow_paid_broadcast: bool = False
    document: dict[str, Any] | None = None
    photo: list[dict[str, Any]] | None = None
    """The PhotoSize objects of a sendPhoto message (one size: the image as sent)."""
    history: list[MessageVersion] = field(default_factory=list)
    edit_date: int | None = None
    deleted: bool = False

    @property
    def edit_count(self) -> int:
        """Return how many times the message was edited."""
        return len(self.history)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Return the inline keyboard buttons, row by row, flattened."""
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard") or []
        return [button for row in rows for button in row]

    @property
    def callback_data(self) -> list[str]:
        """Return the callback data of the inline keyboard buttons in order."""
        return [b["callback_data"] for b in self.buttons if "callback_data" in b]


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"


@dataclass
class StoredFile:
    """A file known to the server, downloadable through ``getFile``."""

    file_id: str
    file_unique_id: str
    file_path: str
    file_name: str | None
    mime_type: str | None
    content: bytes

    def photo_json(self) -> list[dict[str, Any]]:
        """Return the Bot API ``PhotoSize`` list: one size, read from a PNG's header."""
        width = height = 0
        if self.content.startswith(PNG_SIGNATURE) and len(self.content) >= 24:
            width = int.from_bytes(self.content[16:20], "big")
            height = int.from_bytes(self.content[20:24], "big")
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "file_size": len(self.content),
                "width": width,
                "height": height,
            }
        ]

    def document_json(self) -> dict[str, Any]:
        """Return the Bot API ``Document`` object."""
        data: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
        }
        if self.file_name:
            data["file_name"] = self.file_name
        if self.mime_type:
            data["mime_type"] = self.mime_type
        return data


@dataclass
class Chat:
    """A chat: private with a user, a group, a supergroup or a channel."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    user: User | None = None
    owner: int | None = None
    admins: set[int] = field(default_factory=set)
    members: set[int] = field(default_factory=set)
    bot_status: str = "member"
    opened: bool = True
    migrated_to: int | None = None
    migrated_from: int | None = None
    next_message_id: int = 1
    sent: list[SentMessage] = field(default_factory=list)
    sent_by_id: dict[int, SentMessage] = field(default_factory=dict)
    user_messages: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def is_group_like(self) -> bool:
        """Tell whether the per-group minute limit applies (groups, supergroups, channels)."""
        return self.type != PRIVATE

    def take_message_id(self) -> int:
        """Return the next message id of this chat."""
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def to_json(self) -> dict[str, Any]:
        """Return the Bot API ``Chat`` object."""
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == PRIVATE and self.user is not None:
            data["first_name"] = self.user.first_name
            if self.user.last_name:
                data["last_name"] = self.user.last_name
            if self.user.username:
                data["username"] = self.user.username
            return data
        data["title"] = self.title or ""
        if self.username:
            data["username"] = self.username
        return data


@dataclass
class CallbackAnswer:
    """The bot's answer to a button press."""

    query_id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None


@dataclass
class CallbackQueryRecord:
    """A button press waiting for, or having received, the bot's answer."""

    query_id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answer: CallbackAnswer | None = None


@dataclass
class WebhookConfig:
    """The webhook set by ``setWebhook`` and how deliveries to it went."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
    delivered: int = 0


@dataclass
class Stats:
    """Counters of what the server saw and answered."""

    requests: Counter[str] = field(default_factory=Counter)
    errors: Counter[int] = field(default_factory=Counter)
    too_many_requests: int = 0
    too_many_requests_by_chat: Counter[int] = field(default_factory=Counter)
    messages_sent: int = 0
    messages_edited: int = 0
    messages_deleted: int = 0
    webhook_deliveries: int = 0
    webhook_failures: int = 0

    def to_json(self) -> dict[str, Any]:
        """Return the counters as a JSON object (chat ids as strings)."""
        return {
            "requests": dict(self.requests),
            "errors": {str(code): n for code, n in self.errors.items()},
            "too_many_requests": self.too_many_requests,
            "too_many_requests_by_chat": {
                str(chat): n for chat, n in self.too_many_requests_by_chat.items()
            },
            "messages_sent": self.messages_sent,
            "messages_edited": self.messages_edited,
            "messages_deleted": self.messages_deleted,
            "webhook_deliveries": self.webhook_deliveries,
            "webhook_failures": self.webhook_failures,
        }
