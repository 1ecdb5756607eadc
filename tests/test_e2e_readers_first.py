"""End to end: readers' answers go ahead of a running broadcast, and never stall it.

The bot polls the stand-in over HTTP while it broadcasts the newest sample issue under
Telegram-like flood limits (the stand-in answers 429 past them). What is checked is the
order in which messages reach the stand-in, not how long anything took: a reply must
overtake the broadcast sends already waiting, and a crowd of readers must leave the
broadcast its share of the slots.
"""

from __future__ import annotations

import time
from pathlib import Path

from bot.config import SendLimits
from bot.delivery.pacing import Lane
from standin import BotApiStandIn, FloodLimits, SentMessage
from tests.newsroom import Desk, newsroom, open_private_chats, prepare_database, readers

SLOW = SendLimits(per_second=5, per_chat_per_second=50, per_group_per_minute=3000)
"""A slow overall rate: 16 sends booked ahead would hold a reply back for three seconds."""
VISITOR = 20_001


def broadcast_messages(standin: BotApiStandIn, audience: dict[int, str]) -> list[SentMessage]:
    """Return what reached the broadcast's audience, in order of arrival."""
    return sorted(
        (m for chat_id in audience for m in standin.messages(chat_id)), key=lambda m: m.sent_at
    )


async def ask(desk: Desk, user: int, text: str) -> tuple[float, list[SentMessage]]:
    """Have a user write to the bot; return when, and every message of the answer."""
    before = len(desk.standin.messages(user))
    asked = time.monotonic()
    desk.standin.send_text(user, user, text)
    await desk.scene.settle()
    return asked, desk.standin.messages(user)[before:]


async def test_replies_overtake_the_broadcast_sends_waiting_for_their_slots(
    standin: BotApiStandIn, database: Path
) -> None:
    audience = readers(60)
    await prepare_database(database, audience)
    open_private_chats(standin, audience)
    standin.add_user(VISITOR, "Visitor", language_code="en", started=True)

    async with newsroom(standin, database, limits=SLOW) as desk:
        broadcast = await desk.send_newest()
        standin.limits = FloodLimits(enabled=True, per_second=5, chat_burst=3)
        await standin.wait_for(lambda: len(broadcast_messages(standin, audience)) >= 5)
        pacer = desk.application.bot_data.pacer
        for command in ("/help", "/latest", "/language"):
            assert pacer.waiting(Lane.BULK) >= 8  # the broadcast's workers are all waiting
            asked, answer = await ask(desk, VISITOR, command)
            assert answer, command
            # Within the chat's burst, every part left before the broadcast's next sends.
            for part in answer[:3]:
                overtaken = [
                    m
                    for m in broadcast_messages(standin, audience)
                    if asked < m.sent_at < part.sent_at
                ]
                assert len(overtaken) <= 3, (command, len(overtaken))
        assert desk.application.bot_data.delivery.stop(broadcast.id)
        await desk.finish(broadcast.id)
        assert standin.stats.too_many_requests == 0


async def test_a_crowd_of_readers_leaves_the_broadcast_its_share(
    standin: BotApiStandIn, database: Path
) -> None:
    audience = readers(90)
    crowd = range(30_001, 30_121)
    await prepare_database(database, audience)
    open_private_chats(standin, audience)
    for user in crowd:
        standin.add_user(user, f"Reader {user}", language_code="en", started=True)
    limits = SendLimits(per_second=20, per_chat_per_second=50, per_group_per_minute=3000)

    async with newsroom(standin, database, limits=limits) as desk:
        broadcast = await desk.send_newest()
        standin.limits = FloodLimits(enabled=True, per_second=20, chat_burst=3)
        await standin.wait_for(lambda: len(broadcast_messages(standin, audience)) >= 20)
        for user in crowd:  # all at once: far more than half the rate
            standin.send_text(user, user, "/help")
        await desk.scene.settle(timeout=60)
        replies = sorted(
            (m for user in crowd for m in standin.messages(user)), key=lambda m: m.sent_at
        )
        assert len(replies) >= len(crowd)
        first, last = replies[0].sent_at, replies[-1].sent_at
        during = [m for m in broadcast_messages(standin, audience) if first <= m.sent_at <= last]
        # While the readers waited, the broadcast kept at least about half of the slots.
        assert len(during) >= 0.8 * len(replies), (len(during), len(replies))
        assert desk.application.bot_data.delivery.stop(broadcast.id)
        await desk.finish(broadcast.id)
        assert standin.stats.too_many_requests == 0
