"""Control actions: act as users and chats, inject faults and read what the bot sent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from standin.bot_methods import scope_key
from standin.errors import ControlError
from standin.faults import Fault, FaultRule
from standin.html_entities import find_bot_commands
from standin.model import (
    CHANNEL,
    GROUP,
    PRIVATE,
    SUPERGROUP,
    CallbackAnswer,
    CallbackQueryRecord,
    Chat,
    SentMessage,
    User,
)
from standin.state import StandInState, member_json

GROUP_ANONYMOUS_BOT = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}
_SUPERGROUP_ID_BASE = 1_000_000_000_000


class ControlActions(StandInState):
    """What tests do to the world and read from it, beside the bot's own calls."""

    # -- users and chats -----------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str = "Test",
        *,
        last_name: str | None = None,
        language_code: str | None = "en",
        username: str | None = None,
        started: bool = False,
    ) -> dict[str, Any]:
        """Introduce a user; with ``started`` their private chat is open without a message.

        Returns:
            The Bot API ``User`` object.
        """
        if user_id <= 0:
            raise ControlError("user ids are positive")
        user = User(user_id, first_name, last_name, username, language_code)
        self._users[user_id] = user
        chat = self._chats.get(user_id)
        if chat is None:
            self._register_chat(Chat(id=user_id, type=PRIVATE, user=user, opened=started))
        else:
            chat.user = user
            chat.opened = chat.opened or started
        self._notify()
        return user.to_json()

    def _ensure_user(self, user_id: int) -> User:
        """Return the user, introducing a default one when unknown."""
        user = self._users.get(user_id)
        if user is None:
            self.add_user(user_id, f"User {user_id}")
            user = self._users[user_id]
        return user

    def add_group(
        self,
        chat_id: int,
        title: str,
        *,
        type: str = GROUP,
        admins: Iterable[int] = (),
        members: Iterable[int] = (),
        owner: int | None = None,
        username: str | None = None,
        bot_is_admin: bool = True,
        bot_is_member: bool = True,
    ) -> dict[str, Any]:
        """Introduce a group or supergroup (negative id) with the bot in it by default.

        Returns:
            The Bot API ``Chat`` object.
        """
        if type not in (GROUP, SUPERGROUP):
            raise ControlError('type must be "group" or "supergroup"')
        return self._add_chat(
            chat_id,
            title,
            type,
            admins=admins,
            members=members,
            owner=owner,
            username=username,
            bot_is_admin=bot_is_admin,
            bot_is_member=bot_is_member,
        )

    def add_channel(
        self,
        chat_id: int,
        title: str,
        *,
        admins: Iterable[int] = (),
        subscribers: Iterable[int] = (),
        owner: int | None = None,
        username: str | None = None,
        bot_is_admin: bool = True,
    ) -> dict[str, Any]:
        """Introduce a channel (negative id) where the bot is an administrator by default.

        ``subscribers`` read the channel without rights: ``getChatMember`` calls them
        members, as it calls the owner creator and the ``admins`` administrators.

        Returns:
            The Bot API ``Chat`` object.
        """
        return self._add_chat(
            chat_id,
            title,
            CHANNEL,
            admins=admins,
            members=subscribers,
            owner=owner,
            username=username,
            bot_is_admin=bot_is_admin,
            bot_is_member=True,
        )

    def _add_chat(
        self,
        chat_id: int,
        title: str,
        kind: str,
        *,
        admins: Iterable[int],
        members: Iterable[int],
        owner: int | None,
        username: str | None,
        bot_is_admin: bool,
        bot_is_member: bool,
    ) -> dict[str, Any]:
        if chat_id >= 0:
            raise ControlError("group, supergroup and channel ids are negative")
        admin_ids = set(admins)
        people = set(members) | admin_ids | ({owner} if owner is not None else set())
        for user_id in people:
            self._ensure_user(user_id)
        bot_status = "member" if bot_is_member else "left"
        if bot_is_admin:
            bot_status = "administrator"
        chat = Chat(
            id=chat_id,
            type=kind,
            title=title,
            username=username,
            owner=owner,
            admins=admin_ids,
            members=people,
            bot_status=bot_status,
        )
        self._register_chat(chat)
        self._notify()
        return chat.to_json()

    def set_admin(self, chat_id: int, user_id: int, is_admin: bool = True) -> None:
        """Make a user an administrator of a chat, or take the rights away."""
        chat = self._group_like(chat_id)
        self._ensure_user(user_id)
        chat.members.add(user_id)
        if is_admin:
            chat.admins.add(user_id)
        else:
            chat.admins.discard(user_id)
        self._notify()

    def set_bot_admin(
        self, chat_id: int, is_admin: bool = True, *, by_user: int | None = None
    ) -> dict[str, Any]:
        """Promote or demote the bot in a chat it is in; emits ``my_chat_member``."""
        chat = self._group_like(chat_id)
        if chat.bot_status not in ("member", "administrator"):
            raise ControlError(f"the bot is not in chat {chat_id}")
        return self._change_bot_status(
            chat, "administrator" if is_admin else "member", self._actor(chat, by_user)
        )

    def _group_like(self, chat_id: int) -> Chat:
        """Return a group, supergroup or channel for a control action."""
        chat = self._chat_or_control_error(chat_id)
        if chat.type == PRIVATE:
            raise ControlError(f"chat {chat_id} is a private chat")
        return chat

    def _actor(self, chat: Chat, user_id: int | None) -> dict[str, Any]:
        """Return the ``User`` object of whoever acts on ``chat``."""
        if user_id is None:
            user_id = chat.owner if chat.owner is not None else min(chat.admins, default=None)
        if user_id is None:
            return dict(GROUP_ANONYMOUS_BOT)
        return self._ensure_user(user_id).to_json()

    def _change_bot_status(self, chat: Chat, status: str, actor: dict[str, Any]) -> dict[str, Any]:
        """Set the bot's membership in ``chat`` and emit the ``my_chat_member`` update."""
        old = chat.bot_status
        chat.bot_status = status
        bot = self.bot_user_json()
        return self._enqueue(
            "my_chat_member",
            {
                "chat": chat.to_json(),
                "from": actor,
                "date": self._unix_now(),
                "old_chat_member": member_json(bot, old, chat.type),
                "new_chat_member": member_json(bot, status, chat.type),
            },
        )

    def block_bot(self, user_id: int) -> dict[str, Any]:
        """Have the user block the bot: ``my_chat_member`` member→kicked, then sends get 403."""
        user = self._ensure_user(user_id)
        chat = self._chats[user_id]
        if chat.bot_status == "kicked":
            raise ControlError(f"user {user_id} already blocked the bot")
        return self._change_bot_status(chat, "kicked", user.to_json())

    def unblock_bot(self, user_id: int) -> dict[str, Any]:
        """Have the user unblock the bot: ``my_chat_member`` kicked→member."""
        user = self._ensure_user(user_id)
        chat = self._chats[user_id]
        if chat.bot_status != "kicked":
            raise ControlError(f"user {user_id} has not blocked the bot")
        chat.opened = True
        return self._change_bot_status(chat, "member", user.to_json())

    def remove_bot_from_group(self, chat_id: int, by_user: int | None = None) -> dict[str, Any]:
        """Remove the bot from a group or channel: ``my_chat_member`` to ``left``."""
        chat = self._group_like(chat_id)
        if chat.bot_status not in ("member", "administrator"):
            raise ControlError(f"the bot is not in chat {chat_id}")
        return self._change_bot_status(chat, "left", self._actor(chat, by_user))

    def add_bot_to_group(
        self, chat_id: int, by_user: int | None = None, *, as_admin: bool | None = None
    ) -> dict[str, Any]:
        """Add the bot back (as admin in channels by default): ``my_chat_member`` from ``left``."""
        chat = self._group_like(chat_id)
        if chat.bot_status in ("member", "administrator"):
            raise ControlError(f"the bot is already in chat {chat_id}")
        if as_admin is None:
            as_admin = chat.type == CHANNEL
        if by_user is not None:
            chat.members.add(by_user)
        status = "administrator" if as_admin else "member"
        return self._change_bot_status(chat, status, self._actor(chat, by_user))

    def migrate_group(
        self, chat_id: int, new_chat_id: int | None = None, *, by_user: int | None = None
    ) -> int:
        """Upgrade a group to a supergroup; return the supergroup's id.

        The old group then answers 400 with ``migrate_to_chat_id``. Two message updates are
        emitted, as Telegram does: one in the old group with ``migrate_to_chat_id`` and one in
        the new supergroup with ``migrate_from_chat_id``.
        """
        old = self._chat_or_control_error(chat_id)
        if old.type != GROUP or old.migrated_to is not None:
            raise ControlError(f"chat {chat_id} is not a basic group that can be upgraded")
        new_id = new_chat_id if new_chat_id is not None else -(_SUPERGROUP_ID_BASE + abs(chat_id))
        if new_id in self._chats or new_id >= 0:
            raise ControlError(f"chat id {new_id} cannot be used for the supergroup")
        new = Chat(
            id=new_id,
            type=SUPERGROUP,
            title=old.title,
            username=old.username,
            owner=old.owner,
            admins=set(old.admins),
            members=set(old.members),
            bot_status=old.bot_status,
            migrated_from=old.id,
        )
        old.migrated_to = new_id
        old.username = None
        self._register_chat(new)
        actor = self._actor(old, by_user)
        now = self._unix_now()
        steps = ((old, "migrate_to_chat_id", new_id), (new, "migrate_from_chat_id", old.id))
        for chat, key, value in steps:
            message: dict[str, Any] = {
                "message_id": chat.take_message_id(),
                "from": actor,
                "chat": chat.to_json(),
                "date": now,
                key: value,
            }
            chat.user_messages[message["message_id"]] = message
            self._enqueue("message", message)
        return new_id

    # -- acting as users -----------------------------------------------------------------

    def _chat_for_user(self, chat_id: int, user_id: int) -> tuple[Chat, User | None]:
        """Return the chat a user writes in (opening a private chat) and the user."""
        if chat_id > 0:
            if chat_id != user_id:
                raise ControlError("a private chat's id is the id of its user")
            user = self._ensure_user(user_id)
            chat = self._chats[user_id]
            if chat.bot_status == "kicked":
                chat.opened = True
                self._change_bot_status(chat, "member", user.to_json())
            chat.opened = True
            return chat, user
        chat = self._chat_or_control_error(chat_id)
        if chat.migrated_to is not None:
            raise ControlError(f"chat {chat_id} was upgraded to {chat.migrated_to}")
        if chat.bot_status not in ("member", "administrator"):
            raise ControlError(f"the bot is not in chat {chat_id} and would not see this")
        if chat.type == CHANNEL:
            return chat, None
        user = self._ensure_user(user_id)
        chat.members.add(user_id)
        return chat, user

    def _user_message(
        self,
        chat: Chat,
        user: User | None,
        reply_to_message_id: int | None,
        message_thread_id: int | None,
        content: dict[str, Any],
    ) -> dict[str, Any]:
        """Store a message written by a user (or a channel post) and emit its update."""
        message: dict[str, Any] = {"message_id": chat.take_message_id()}
        if user is None:
            message["sender_chat"] = chat.to_json()
        else:
            message["from"] = user.to_json()
        message["chat"] = chat.to_json()
        message["date"] = self._unix_now()
        if message_thread_id is not None:
            message["message_thread_id"] = message_thread_id
        if reply_to_message_id is not None:
            replied = self._message_json(chat, reply_to_message_id, with_reply=False)
            if replied is None:
                raise ControlError(f"no message {reply_to_message_id} in chat {chat.id}")
            message["reply_to_message"] = replied
        message.update(content)
        chat.user_messages[message["message_id"]] = message
        return self._enqueue("channel_post" if chat.type == CHANNEL else "message", message)

    def send_text(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        reply_to_message_id: int | None = None,
        message_thread_id: int | None = None,
    ) -> dict[str, Any]:
        """Have a user write ``text`` in a chat; ``/commands`` get ``bot_command`` entities.

        Returns:
            The update, as the bot receives it.
        """
        chat, user = self._chat_for_user(chat_id, user_id)
        content: dict[str, Any] = {"text": text}
        entities = find_bot_commands(text)
        if entities:
            content["entities"] = entities
        return self._user_message(chat, user, reply_to_message_id, message_thread_id, content)

    def send_document(  # noqa: PLR0917 - keeps the documented positional call shape
        self,
        chat_id: int,
        user_id: int,
        file_name: str,
        content: bytes,
        mime_type: str | None = "text/markdown",
        caption: str | None = None,
    ) -> dict[str, Any]:
        """Have a user send a file; the bot can fetch it with ``getFile`` and download it.

        Returns:
            The update, as the bot receives it.
        """
        chat, user = self._chat_for_user(chat_id, user_id)
        stored = self._store_file(content, file_name, mime_type)
        body: dict[str, Any] = {"document": stored.document_json()}
        if caption:
            body["caption"] = caption
            entities = find_bot_commands(caption)
            if entities:
                body["caption_entities"] = entities
        return self._user_message(chat, user, None, None, body)

    def press_button(
        self, chat_id: int, user_id: int, message_id: int, data: str, *, force: bool = False
    ) -> str:
        """Have a user press an inline button of a bot message; return the callback query id.

        Data that no button of the message carries is refused unless ``force`` is set, so a
        tampered press can be sent on purpose.
        """
        chat = self._chat_or_control_error(chat_id)
        sent = chat.sent_by_id.get(message_id)
        if sent is None or sent.deleted:
            raise ControlError(f"no live bot message {message_id} in chat {chat_id}")
        if not force and data not in sent.callback_data:
            raise ControlError(
                f"message {message_id} has no button with callback data {data!r} "
                f"(it has {sent.callback_data}); pass force=True to send it anyway"
            )
        user = self._ensure_user(user_id)
        query_id = self._new_query_id()
        self._queries[query_id] = CallbackQueryRecord(query_id, user_id, chat_id, message_id, data)
        self._enqueue(
            "callback_query",
            {
                "id": query_id,
                "from": user.to_json(),
                "message": self._sent_json(sent),
                "chat_instance": str(abs(chat_id) * 7 + 1_000_003),
                "data": data,
            },
        )
        return query_id

    # -- faults and limits ---------------------------------------------------------------

    def inject(
        self,
        method: str | None = "sendMessage",
        chat_id: int | str | None = None,
        *,
        error: Fault,
        times: int | None = 1,
        rate: float | None = None,
    ) -> FaultRule:
        """Make matching calls fail with ``error``.

        Args:
            method: Bot API method to match (any case); ``None`` matches every method.
            chat_id: Chat to match; ``None`` matches every chat.
            error: What happens to a matching call.
            times: How many calls the rule affects; ``None`` for no end.
            rate: Chance in [0, 1] that a matching call is affected, drawn from the server's
                seeded generator; pair it with ``times=None`` for a steady error rate.
        """
        return self._faults.add(error, method=method, chat_id=chat_id, times=times, rate=rate)

    def clear_faults(self) -> None:
        """Remove every injected rule."""
        self._faults.clear()

    @property
    def fault_rules(self) -> list[FaultRule]:
        """Return the injected rules still in force."""
        return self._faults.rules

    # -- reading -------------------------------------------------------------------------

    def messages(self, chat_id: int, *, include_deleted: bool = True) -> list[SentMessage]:
        """Return the messages the bot sent to a chat, in send order."""
        chat = self._chats.get(chat_id)
        if chat is None:
            return []
        return [m for m in chat.sent if include_deleted or not m.deleted]

    def all_messages(self) -> list[SentMessage]:
        """Return every message the bot sent, in send order."""
        return list(self._sent)

    def last_message(self, chat_id: int) -> SentMessage | None:
        """Return the latest message the bot sent to a chat."""
        chat = self._chats.get(chat_id)
        return chat.sent[-1] if chat and chat.sent else None

    def callback_answers(self, query_id: str | None = None) -> list[CallbackAnswer]:
        """Return the bot's answers to button presses, all or those of one query."""
        return [
            record.answer
            for record in self._queries.values()
            if record.answer is not None and (query_id is None or record.query_id == query_id)
        ]

    def callback_answer(self, query_id: str) -> CallbackAnswer | None:
        """Return the bot's answer to one button press, if it answered."""
        record = self._queries.get(query_id)
        return None if record is None else record.answer

    def commands(
        self, language_code: str | None = None, scope: dict[str, Any] | str | None = None
    ) -> list[dict[str, str]]:
        """Return the commands set for a scope (dict or key like ``"chat:-100"``) and language."""
        key = (scope_key(scope), language_code or "")
        return [dict(c) for c in self._commands.get(key, [])]

    def bot_status(self, chat_id: int) -> str:
        """Return the bot's membership in a chat: member, administrator, left or kicked."""
        return self._chat_or_control_error(chat_id).bot_status

    def chat(self, chat_id: int) -> Chat:
        """Return the record of a chat."""
        return self._chat_or_control_error(chat_id)

    # -- waiting and resetting -----------------------------------------------------------

    async def wait_for(
        self,
        condition: int | Callable[[], bool],
        *,
        chat_id: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline like asyncio.wait_for's
    ) -> list[SentMessage]:
        """Wait until a chat (or all chats) got ``condition`` messages, or a predicate holds.

        The condition is checked again on every change of the world (messages, edits,
        updates, answers, chats) instead of polling; a predicate over ``stats`` alone is
        checked only when one of those changes too.

        Returns:
            The messages of ``chat_id``, or of all chats when it is ``None``.

        Raises:
            TimeoutError: The condition did not come true within ``timeout`` seconds.
        """

        def sent() -> list[SentMessage]:
            return self.all_messages() if chat_id is None else self.messages(chat_id)

        if isinstance(condition, int):
            count = condition

            def check() -> bool:
                if chat_id is None:
                    return len(self._sent) >= count
                chat = self._chats.get(chat_id)
                return chat is not None and len(chat.sent) >= count
        else:
            check = condition
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not check():
            if not await self.wait_change(deadline - loop.time()) and not check():
                where = "all chats" if chat_id is None else f"chat {chat_id}"
                wanted = f"{condition} messages" if isinstance(condition, int) else "condition"
                raise TimeoutError(
                    f"timed out after {timeout}s waiting for {wanted} in {where}; "
                    f"{len(sent())} messages arrived"
                )
        return sent()

    def reset(self) -> None:
        """Forget users, chats, messages, updates, faults and counters.

        The bot's own settings (webhook, allowed updates, commands, descriptions) stay, and
        update ids keep increasing so a polling bot's offset stays valid.
        """
        webhook, allowed = self._webhook, self._allowed_updates
        commands, descriptions = self._commands, self._descriptions
        self._init_world()
        self._webhook, self._allowed_updates = webhook, allowed
        self._commands, self._descriptions = commands, descriptions
        self._limiter.reset()
        self._faults.clear()
        self._faults.reseed(self._seed)
        self._notify()
