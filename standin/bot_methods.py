"""The Bot API methods the stand-in answers, with Telegram's checks and error texts."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from itertools import islice
from typing import Any, Literal

from standin.errors import bad_request, conflict, too_many_requests
from standin.html_entities import HtmlParseError, ParsedText, parse_html, strip_text, utf16_len
from standin.model import (
    CHANNEL,
    JPEG_SIGNATURE,
    PNG_SIGNATURE,
    PRIVATE,
    CallbackAnswer,
    Chat,
    MessageVersion,
    SentMessage,
    StoredFile,
    WebhookConfig,
)
from standin.params import Params
from standin.state import DEFAULT_UPDATE_TYPES, StandInState, member_json

Handler = Callable[[Params], Awaitable[Any]]

TEXT_LIMIT = 4096
INLINE_KEYBOARD_BUTTONS = 100
"""Most buttons Telegram accepts in one inline keyboard."""
CAPTION_LIMIT = 1024
RAW_TEXT_LIMIT_BYTES = 32 * 1024
DOWNLOAD_LIMIT_BYTES = 20 * 1024 * 1024
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"

_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_BUTTON_URL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://\S+|[\w-]+(?:\.[\w-]+)+(?:[/?#]\S*)?)$")
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_WEBHOOK_URL = re.compile(r"^https?://[^\s/?#]+")
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_SCOPES_WITHOUT_CHAT = frozenset(
    {"default", "all_private_chats", "all_group_chats", "all_chat_administrators"}
)
_SCOPES_WITH_CHAT = frozenset({"chat", "chat_administrators", "chat_member"})

# Bot API method name -> attribute of BotApiMethods that serves it.
METHODS = {
    "getMe": "_get_me",
    "getUpdates": "_get_updates",
    "setWebhook": "_set_webhook",
    "deleteWebhook": "_delete_webhook",
    "getWebhookInfo": "_get_webhook_info",
    "logOut": "_return_true",
    "close": "_return_true",
    "sendMessage": "_send_message",
    "editMessageText": "_edit_message_text",
    "editMessageReplyMarkup": "_edit_message_reply_markup",
    "deleteMessage": "_delete_message",
    "deleteMessages": "_delete_messages",
    "answerCallbackQuery": "_answer_callback_query",
    "setMyCommands": "_set_my_commands",
    "getMyCommands": "_get_my_commands",
    "deleteMyCommands": "_delete_my_commands",
    "getChat": "_get_chat",
    "getChatMember": "_get_chat_member",
    "getChatAdministrators": "_get_chat_administrators",
    "getChatMemberCount": "_get_chat_member_count",
    "sendDocument": "_send_document",
    "sendPhoto": "_send_photo",
    "getFile": "_get_file",
    "sendChatAction": "_send_chat_action",
    "setMyDescription": "_set_my_description",
    "getMyDescription": "_get_my_description",
    "setMyShortDescription": "_set_my_short_description",
    "getMyShortDescription": "_get_my_short_description",
    "setChatMenuButton": "_return_true",
}


def scope_key(scope: object) -> str:
    """Return a readable key for a ``BotCommandScope`` object (``None`` is the default scope).

    Keys look like ``default``, ``all_private_chats``, ``chat:-100`` or ``chat_member:-100:42``.
    """
    if scope is None:
        return "default"
    if isinstance(scope, str):
        return scope
    if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
        raise bad_request("can't parse BotCommandScope JSON object")
    kind = scope["type"]
    if kind in _SCOPES_WITHOUT_CHAT:
        return kind
    if kind not in _SCOPES_WITH_CHAT:
        raise bad_request("wrong bot command scope type specified")
    if scope.get("chat_id") in (None, ""):
        raise bad_request("chat_id is empty")
    key = f"{kind}:{scope['chat_id']}"
    if kind == "chat_member":
        if scope.get("user_id") in (None, ""):
            raise bad_request("user_id is empty")
        key += f":{scope['user_id']}"
    return key


class BotApiMethods(StandInState):
    """Serve Bot API calls against the world kept by ``StandInState``."""

    def _method_table(self) -> dict[str, tuple[str, Handler]]:
        """Return lower-case method name -> (canonical name, handler)."""
        return {name.lower(): (name, getattr(self, attr)) for name, attr in METHODS.items()}

    # -- helpers -------------------------------------------------------------------------

    def _format(
        self, raw: str, parse_mode: str | None, entities: object, *, caption: bool
    ) -> ParsedText:
        """Parse text or a caption as Telegram does, enforcing its emptiness and length rules."""
        if len(raw) * 4 > RAW_TEXT_LIMIT_BYTES and len(raw.encode("utf-8")) > RAW_TEXT_LIMIT_BYTES:
            raise bad_request("message caption is too long" if caption else "message is too long")
        mode = (parse_mode or "").strip()
        if not mode:
            parsed = ParsedText(raw, _validated_entities(entities))
        elif mode.lower() == "html":
            try:
                parsed = parse_html(raw)
            except HtmlParseError as error:
                raise bad_request(f"can't parse entities: {error}") from None
        elif mode.lower() in ("markdown", "markdownv2"):
            raise bad_request(
                f"can't parse entities: parse mode {mode} is not supported here; use HTML"
            )
        else:
            raise bad_request("unsupported parse_mode")
        parsed = strip_text(parsed)
        if caption:
            if utf16_len(parsed.text) > CAPTION_LIMIT:
                raise bad_request("message caption is too long")
            return parsed
        if not parsed.text:
            raise bad_request("message text is empty")
        if utf16_len(parsed.text) > TEXT_LIMIT:
            raise bad_request("message is too long")
        return parsed

    def _reply_markup(self, params: Params) -> dict[str, Any] | None:
        """Return the ``reply_markup`` object after checking inline keyboards like Telegram."""
        markup = params.get_json("reply_markup", what="reply keyboard markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            _check_inline_keyboard(markup["inline_keyboard"])
        return markup

    def _reply_target(self, params: Params, chat: Chat) -> int | None:
        """Return the id of the message replied to, checking that it exists."""
        reply = params.get_json("reply_parameters", what="reply parameters")
        allow_missing = params.get_bool("allow_sending_without_reply")
        if reply is None:
            message_id = params.get_int("reply_to_message_id")
        elif isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply"))
        else:
            raise bad_request("can't parse reply parameters JSON object")
        if message_id is None:
            return None
        try:
            message_id = int(message_id)
        except (TypeError, ValueError):
            raise bad_request("message to be replied not found") from None
        if self._message_exists(chat, message_id):
            return message_id
        if allow_missing:
            return None
        raise bad_request("message to be replied not found")

    def _admit(self, chat: Chat, *, paid: bool = False) -> None:
        """Count a send against the flood limits or refuse it with 429."""
        retry_after = self._limiter.acquire(chat.id, group=chat.is_group_like, paid=paid)
        if retry_after is not None:
            raise too_many_requests(retry_after)

    def _record_sent(
        self,
        chat: Chat,
        params: Params,
        *,
        raw: str,
        parsed: ParsedText,
        parse_mode: str | None,
        markup: dict[str, Any] | None,
        reply_to: int | None,
        document: StoredFile | None = None,
        photo: StoredFile | None = None,
    ) -> SentMessage:
        """Store a message the bot sent and wake whoever waits for it."""
        sent = SentMessage(
            message_id=chat.take_message_id(),
            chat_id=chat.id,
            html=raw,
            text=parsed.text,
            parse_mode=parse_mode,
            entities=parsed.entities,
            reply_markup=markup,
            sent_at=self._clock(),
            date=self._unix_now(),
            link_preview_options=params.get_json(
                "link_preview_options", what="link preview options"
            ),
            reply_to_message_id=reply_to,
            message_thread_id=params.get_int("message_thread_id"),
            disable_notification=params.get_bool("disable_notification"),
            protect_content=params.get_bool("protect_content"),
            allow_paid_broadcast=params.get_bool("allow_paid_broadcast"),
            document=None if document is None else document.document_json(),
            photo=None if photo is None else photo.photo_json(),
        )
        chat.sent.append(sent)
        chat.sent_by_id[sent.message_id] = sent
        self._sent.append(sent)
        self._stats.messages_sent += 1
        self._notify()
        return sent

    def _editable(self, chat: Chat, params: Params) -> SentMessage:
        """Return the bot's live message named by ``message_id`` or raise Telegram's error."""
        if params.raw("inline_message_id"):
            raise bad_request("message to edit not found")
        message_id = params.get_int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        sent = chat.sent_by_id.get(message_id)
        if sent is None or sent.deleted:
            if message_id in chat.user_messages:
                raise bad_request("message can't be edited")
            raise bad_request("message to edit not found")
        return sent

    def _replace(
        self,
        sent: SentMessage,
        raw: str,
        parsed: ParsedText,
        parse_mode: str | None,
        markup: dict[str, Any] | None,
    ) -> None:
        """Apply an edit, keeping the previous version in the history."""
        sent.history.append(
            MessageVersion(sent.html, sent.text, sent.entities, sent.reply_markup, self._clock())
        )
        sent.html, sent.text, sent.entities = raw, parsed.text, parsed.entities
        sent.parse_mode, sent.reply_markup = parse_mode, markup
        sent.edit_date = self._unix_now()
        self._stats.messages_edited += 1
        self._notify()

    # -- identity, updates and webhooks --------------------------------------------------

    async def _return_true(self, params: Params) -> bool:
        return True

    async def _get_me(self, params: Params) -> dict[str, Any]:
        return {
            **self.bot_user_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: Params) -> list[dict[str, Any]]:
        if self._webhook is not None:
            raise conflict(
                "can't use getUpdates method while webhook is active; use deleteWebhook to "
                "delete the webhook first"
            )
        offset = params.get_int("offset") or 0
        limit = min(max(params.get_int("limit") or 100, 1), 100)
        timeout = max(params.get_float("timeout") or 0.0, 0.0)
        self._set_allowed_updates(params.get_json("allowed_updates", what="allowed updates"))
        if offset > 0:
            while self._updates and self._updates[0]["update_id"] < offset:
                self._updates.popleft()
        elif offset < 0:
            while len(self._updates) > -offset:
                self._updates.popleft()
        self._poll_generation += 1
        generation = self._poll_generation
        will_wait = not self._updates and timeout > 0
        if will_wait or self._polls_waiting:
            self._notify()  # a newer call ends an older long poll, as Telegram does
        if will_wait:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            self._polls_waiting += 1
            try:
                while not self._updates and not self._closing:
                    if not await self.wait_change(deadline - loop.time()):
                        break
                    if generation != self._poll_generation:
                        raise conflict(
                            "terminated by other getUpdates request; make sure that only one "
                            "bot instance is running"
                        )
                    if self._webhook is not None:
                        return []
            finally:
                self._polls_waiting -= 1
        return list(islice(self._updates, limit))

    async def _set_webhook(self, params: Params) -> bool:
        url = params.get_str("url") or ""
        if not url:
            return await self._delete_webhook(params)
        if not _WEBHOOK_URL.match(url):
            raise bad_request("bad webhook: invalid webhook URL specified")
        secret = params.get_str("secret_token")
        if secret is not None and not _SECRET.match(secret):
            raise bad_request("secret token contains unallowed characters")
        max_connections = params.get_int("max_connections") or 40
        if not 1 <= max_connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        self._set_allowed_updates(params.get_json("allowed_updates", what="allowed updates"))
        if params.get_bool("drop_pending_updates"):
            self._updates.clear()
        self._webhook = WebhookConfig(
            url=url,
            secret_token=secret,
            max_connections=max_connections,
            ip_address=params.get_str("ip_address"),
        )
        self._notify()
        return True

    async def _delete_webhook(self, params: Params) -> bool:
        if params.get_bool("drop_pending_updates"):
            self._updates.clear()
        self._webhook = None
        self._notify()
        return True

    async def _get_webhook_info(self, params: Params) -> dict[str, Any]:
        webhook = self._webhook
        info: dict[str, Any] = {
            "url": "" if webhook is None else webhook.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if webhook is not None:
            info["max_connections"] = webhook.max_connections
            if webhook.ip_address:
                info["ip_address"] = webhook.ip_address
            if webhook.last_error_date is not None:
                info["last_error_date"] = webhook.last_error_date
                info["last_error_message"] = webhook.last_error_message or ""
            if self._allowed_updates != DEFAULT_UPDATE_TYPES:
                info["allowed_updates"] = sorted(self._allowed_updates)
        return info

    # -- messages ------------------------------------------------------------------------

    async def _send_message(self, params: Params) -> dict[str, Any]:
        chat = self._chat_for_sending(params.chat_id())
        raw = params.get_str("text")
        if raw is None:
            raise bad_request("message text is empty")
        parse_mode = params.get_str("parse_mode") or None
        parsed = self._format(raw, parse_mode, params.get_json("entities"), caption=False)
        markup = self._reply_markup(params)
        reply_to = self._reply_target(params, chat)
        self._admit(chat, paid=params.get_bool("allow_paid_broadcast"))
        sent = self._record_sent(
            chat,
            params,
            raw=raw,
            parsed=parsed,
            parse_mode=parse_mode,
            markup=markup,
            reply_to=reply_to,
        )
        return self._sent_json(sent)

    async def _send_document(self, params: Params) -> dict[str, Any]:
        return self._send_file(params, "document")

    async def _send_photo(self, params: Params) -> dict[str, Any]:
        return self._send_file(params, "photo")

    def _send_file(self, params: Params, kind: Literal["document", "photo"]) -> dict[str, Any]:
        """Send a document or a photo with its caption, as sendDocument and sendPhoto do."""
        chat = self._chat_for_sending(params.chat_id())
        stored = self._document_from(params, kind)
        if kind == "photo" and not stored.content.startswith((PNG_SIGNATURE, JPEG_SIGNATURE)):
            raise bad_request("IMAGE_PROCESS_FAILED")
        raw = params.get_str("caption") or ""
        parse_mode = params.get_str("parse_mode") or None
        parsed = self._format(raw, parse_mode, params.get_json("caption_entities"), caption=True)
        markup = self._reply_markup(params)
        reply_to = self._reply_target(params, chat)
        self._admit(chat, paid=params.get_bool("allow_paid_broadcast"))
        sent = self._record_sent(
            chat,
            params,
            raw=raw,
            parsed=parsed,
            parse_mode=parse_mode,
            markup=markup,
            reply_to=reply_to,
            **{kind: stored},
        )
        return self._sent_json(sent)

    def file_content_by_id(self, file_id: str) -> bytes:
        """Return the bytes of a file the server knows by its id (a sent photo, say)."""
        return self._files[file_id].content

    def _document_from(self, params: Params, field: str = "document") -> StoredFile:
        """Return the file of a ``sendDocument`` (or ``sendPhoto``) call: an upload or a
        known ``file_id``."""
        value = params.raw(field)
        upload = None
        if isinstance(value, str) and value.startswith("attach://"):
            upload = params.files.get(value.removeprefix("attach://"))
        elif field in params.files:
            upload = params.files[field]
        if upload is not None:
            return self._store_file(upload.content, upload.filename, upload.content_type)
        if isinstance(value, str) and value:
            known = self._files.get(value)
            if known is not None:
                return known
            if value.startswith(("http://", "https://")):
                name = value.rstrip("/").rsplit("/", 1)[-1] or "document"
                return self._store_file(b"", name, None)
            raise bad_request("wrong file identifier/HTTP URL specified")
        raise bad_request(f"there is no {field} in the request")

    async def _edit_message_text(self, params: Params) -> dict[str, Any]:
        chat = self._chat_for_sending(params.chat_id())
        sent = self._editable(chat, params)
        raw = params.get_str("text")
        if raw is None:
            raise bad_request("message text is empty")
        parse_mode = params.get_str("parse_mode") or None
        parsed = self._format(raw, parse_mode, params.get_json("entities"), caption=False)
        if sent.document is not None:
            raise bad_request("there is no text in the message to edit")
        markup = self._reply_markup(params)
        if (
            parsed.text == sent.text
            and parsed.entities == sent.entities
            and markup == sent.reply_markup
        ):
            raise bad_request(NOT_MODIFIED)
        self._admit(chat)
        preview = params.get_json("link_preview_options", what="link preview options")
        if preview is not None:
            sent.link_preview_options = preview
        self._replace(sent, raw, parsed, parse_mode, markup)
        return self._sent_json(sent)

    async def _edit_message_reply_markup(self, params: Params) -> dict[str, Any]:
        chat = self._chat_for_sending(params.chat_id())
        sent = self._editable(chat, params)
        markup = self._reply_markup(params)
        if markup == sent.reply_markup:
            raise bad_request(NOT_MODIFIED)
        self._admit(chat)
        parsed = ParsedText(sent.text, sent.entities)
        self._replace(sent, sent.html, parsed, sent.parse_mode, markup)
        return self._sent_json(sent)

    def _delete_one(self, chat: Chat, message_id: int) -> bool:
        """Delete one live message of ``chat``; return whether there was one."""
        sent = chat.sent_by_id.get(message_id)
        if sent is not None:
            if sent.deleted:
                return False
            sent.deleted = True
        elif chat.user_messages.pop(message_id, None) is None:
            return False
        self._stats.messages_deleted += 1
        self._notify()
        return True

    async def _delete_message(self, params: Params) -> bool:
        chat = self._chat_for_reading(params.chat_id())
        message_id = params.get_int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        if not self._delete_one(chat, message_id):
            raise bad_request("message to delete not found")
        return True

    async def _delete_messages(self, params: Params) -> bool:
        chat = self._chat_for_reading(params.chat_id())
        message_ids = params.get_json("message_ids")
        if not isinstance(message_ids, list) or not 1 <= len(message_ids) <= 100:
            raise bad_request("message_ids must be a non-empty list of at most 100 ids")
        for message_id in message_ids:
            self._delete_one(chat, int(message_id))
        return True

    async def _answer_callback_query(self, params: Params) -> bool:
        record = self._queries.get(params.get_str("callback_query_id") or "")
        if record is None or record.answer is not None:
            raise bad_request(QUERY_INVALID)
        text = params.get_str("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        record.answer = CallbackAnswer(
            query_id=record.query_id,
            user_id=record.user_id,
            chat_id=record.chat_id,
            message_id=record.message_id,
            data=record.data,
            text=text,
            show_alert=params.get_bool("show_alert"),
            url=params.get_str("url"),
            cache_time=params.get_int("cache_time"),
        )
        self._notify()
        return True

    async def _send_chat_action(self, params: Params) -> bool:
        self._chat_for_sending(params.chat_id())
        if params.get_str("action") not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    # -- commands and descriptions -------------------------------------------------------

    def _commands_key(self, params: Params) -> tuple[str, str]:
        """Return the (scope, language) key of a commands call, checking both."""
        scope = params.get_json("scope", what="BotCommandScope")
        if isinstance(scope, dict) and scope.get("chat_id") not in (None, ""):
            chat_ref = scope["chat_id"]
            chat = self._chat_for_reading(
                chat_ref if isinstance(chat_ref, int) else _int_or_text(chat_ref)
            )
            scope = {**scope, "chat_id": chat.id}
        language = params.get_str("language_code") or ""
        if language and not _LANGUAGE.match(language):
            raise bad_request("invalid language code specified")
        return scope_key(scope), language

    async def _set_my_commands(self, params: Params) -> bool:
        commands = params.get_json("commands", what="bot commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse bot commands JSON object")
        if len(commands) > 100:
            raise bad_request("too many commands specified")
        cleaned = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand JSON object")
            name, description = command.get("command"), command.get("description")
            if not isinstance(name, str) or not _COMMAND.match(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        key = self._commands_key(params)
        if cleaned:
            self._commands[key] = cleaned
        else:
            self._commands.pop(key, None)
        self._notify()
        return True

    async def _get_my_commands(self, params: Params) -> list[dict[str, str]]:
        return [dict(c) for c in self._commands.get(self._commands_key(params), [])]

    async def _delete_my_commands(self, params: Params) -> bool:
        self._commands.pop(self._commands_key(params), None)
        self._notify()
        return True

    def _set_description(self, params: Params, field: str, limit: int) -> bool:
        text = params.get_str(field) or ""
        if len(text) > limit:
            raise bad_request(f"{field.replace('_', ' ')} is too long")
        language = params.get_str("language_code") or ""
        if text:
            self._descriptions[(field, language)] = text
        else:
            self._descriptions.pop((field, language), None)
        return True

    async def _set_my_description(self, params: Params) -> bool:
        return self._set_description(params, "description", 512)

    async def _set_my_short_description(self, params: Params) -> bool:
        return self._set_description(params, "short_description", 120)

    async def _get_my_description(self, params: Params) -> dict[str, str]:
        language = params.get_str("language_code") or ""
        return {"description": self._descriptions.get(("description", language), "")}

    async def _get_my_short_description(self, params: Params) -> dict[str, str]:
        language = params.get_str("language_code") or ""
        key = ("short_description", language)
        return {"short_description": self._descriptions.get(key, "")}

    # -- chats and members ---------------------------------------------------------------

    async def _get_chat(self, params: Params) -> dict[str, Any]:
        chat = self._chat_for_reading(params.chat_id())
        return {
            **chat.to_json(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _member(self, chat: Chat, user_id: int) -> dict[str, Any]:
        """Return the ``ChatMember`` object of ``user_id`` in ``chat``."""
        if user_id == self.bot_id:
            return member_json(self.bot_user_json(), chat.bot_status, chat.type)
        user = self._users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        if chat.type == PRIVATE:
            status = "member" if user_id == chat.id else "left"
        elif user_id == chat.owner:
            status = "creator"
        elif user_id in chat.admins:
            status = "administrator"
        elif user_id in chat.members:
            status = "member"
        else:
            status = "left"
        return member_json(user.to_json(), status, chat.type)

    async def _get_chat_member(self, params: Params) -> dict[str, Any]:
        chat = self._chat_for_reading(params.chat_id())
        user_id = params.get_int("user_id")
        if user_id is None:
            raise bad_request("invalid user_id specified")
        if chat.type == CHANNEL and user_id != self.bot_id and chat.bot_status != "administrator":
            # Only a channel's administrators may see who else is in it.
            raise bad_request("CHAT_ADMIN_REQUIRED")
        return self._member(chat, user_id)

    async def _get_chat_administrators(self, params: Params) -> list[dict[str, Any]]:
        chat = self._chat_for_reading(params.chat_id())
        if chat.type == PRIVATE:
            raise bad_request("there are no administrators in the private chat")
        ids = ([chat.owner] if chat.owner is not None else []) + sorted(chat.admins - {chat.owner})
        admins = [self._member(chat, user_id) for user_id in ids if user_id in self._users]
        if chat.bot_status == "administrator":
            admins.append(self._member(chat, self.bot_id))
        return admins

    async def _get_chat_member_count(self, params: Params) -> int:
        chat = self._chat_for_reading(params.chat_id())
        if chat.type == PRIVATE:
            return 2
        people = chat.members | chat.admins | ({chat.owner} if chat.owner is not None else set())
        return len(people) + (chat.bot_status in ("member", "administrator"))

    # -- files ---------------------------------------------------------------------------

    async def _get_file(self, params: Params) -> dict[str, Any]:
        stored = self._files.get(params.get_str("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.content) > DOWNLOAD_LIMIT_BYTES:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }


def _int_or_text(value: object) -> int | str:
    """Return ``value`` as an int when it is numeric, else as text."""
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        return text


def _validated_entities(entities: object) -> list[dict[str, Any]]:
    """Return explicitly given entities after a shape check."""
    if entities is None:
        return []
    if not isinstance(entities, list) or not all(
        isinstance(e, dict) and {"type", "offset", "length"} <= e.keys() for e in entities
    ):
        raise bad_request("can't parse entities JSON object")
    return [dict(e) for e in entities]


def _check_inline_keyboard(rows: object) -> None:
    """Refuse inline keyboards Telegram would refuse."""
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
        )
    if sum(len(row) for row in rows) > INLINE_KEYBOARD_BUTTONS:
        raise bad_request("reply markup is too long")
    for row in rows:
        for button in row:
            if not isinstance(button, dict):
                raise bad_request(
                    "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
                )
            if not isinstance(button.get("text"), str):
                raise bad_request(
                    'can\'t parse inline keyboard button: Field "text" must be of type String'
                )
            if not any(action in button for action in _BUTTON_ACTIONS):
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the "
                    "inline keyboard"
                )
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
            if "url" in button:
                url = button["url"]
                if not isinstance(url, str) or not _BUTTON_URL.match(url):
                    raise bad_request(
                        f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL"
                    )
