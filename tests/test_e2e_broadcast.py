"""End to end: broadcasts under Telegram's faults, checked by what every chat received.

The bot polls the Bot API stand-in over HTTP; the editor sends the newest sample issue from
Telegram, the stand-in refuses, delays or drops some sends, and each chat's messages are
compared with the broadcast's rendered messages for its language.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

from telegram.request import BaseRequest

from bot.config import HTTP_CLIENTS, SendLimits
from bot.newsletter.content import LANGUAGES
from bot.newsletter.i18n import LANGUAGE_NAMES
from bot.storage import ChatStatus, DeliveryStatus
from bot.transport import new_request
from standin import BotApiStandIn, Fault, FloodLimits
from tests.newsroom import (
    EDITOR,
    WEEK_WORD,
    Desk,
    newsroom,
    open_private_chats,
    prepare_database,
    readers,
    report_counts,
)


def short_timeouts() -> BaseRequest:
    """The bot's default HTTP layer, giving up on a Bot API call after half a second."""
    return new_request(
        HTTP_CLIENTS[0], connection_pool_size=64, read_timeout=0.5, pool_timeout=5.0
    )


async def assert_everyone_got_everything(
    desk: Desk, broadcast_id: int, audience: dict[int, str]
) -> None:
    expected = await desk.expected_html(broadcast_id)
    assert set(expected) == set(LANGUAGES)
    for chat_id, language in audience.items():
        assert desk.received(chat_id) == expected[language], chat_id


async def test_blocked_chats_get_nothing_pause_and_are_reported_while_others_get_it_all(
    standin: BotApiStandIn, database: Path
) -> None:
    audience = readers(200)
    blocked = set(list(audience)[::10])  # 10%: blocked the bot, the bot was not told yet
    await prepare_database(database, audience)
    open_private_chats(standin, audience)
    for chat_id in blocked:
        standin.inject("sendMessage", chat_id, error=Fault.forbidden(), times=None)

    async with newsroom(standin, database) as desk:
        broadcast = await desk.finish((await desk.send_newest()).id)

        expected = await desk.expected_html(broadcast.id)
        for chat_id, language in audience.items():
            if chat_id in blocked:
                assert desk.received(chat_id) == [], chat_id
                chat = await desk.store.subscriptions.get(chat_id)
                assert chat is not None and chat.status is ChatStatus.BLOCKED
            else:
                assert desk.received(chat_id) == expected[language], chat_id
                assert WEEK_WORD[language] in standin.messages(chat_id)[0].text
        # Each blocked chat was tried once: its first refusal stops the rest.
        refused = [rule.fired for rule in standin.fault_rules]
        assert refused == [1] * len(blocked)

        report = desk.progress_message(broadcast).text
        assert report.startswith("Delivered: the issue of"), report
        parts = {language: len(expected[language]) for language in LANGUAGES}
        for language in LANGUAGES:
            chats = [c for c, lang in audience.items() if lang == language]
            gone = len([c for c in chats if c in blocked])
            counts = report_counts(report, LANGUAGE_NAMES[language])
            assert counts == {
                "sent": (len(chats) - gone) * parts[language],
                "total": len(chats) * parts[language],
                "blocked": gone,
                "failed": 0,
                "skipped": gone * (parts[language] - 1),
            }


async def test_a_429_storm_pauses_the_broadcast_and_loses_or_repeats_nothing(
    standin: BotApiStandIn, database: Path
) -> None:
    audience = readers(120)
    await prepare_database(database, audience)
    open_private_chats(standin, audience)

    async with newsroom(standin, database) as desk:
        broadcast = await desk.send_newest()
        await standin.wait_for(lambda: standin.stats.messages_sent >= 100, timeout=10)
        standin.inject("sendMessage", error=Fault.too_many_requests(1), times=4)
        broadcast = await desk.finish(broadcast.id)

        await assert_everyone_got_everything(desk, broadcast.id, audience)
        assert standin.stats.too_many_requests == 4
        rows = await desk.outbox(broadcast.id)
        assert {row["status"] for row in rows} == {DeliveryStatus.SENT}
        assert {row["attempts"] for row in rows} == {1}  # a 429 is not an attempt
        # Everything paused for retry_after: a gap of most of a second between arrivals,
        # where the sends otherwise come milliseconds apart.
        arrivals = sorted(m.sent_at for chat in audience for m in standin.messages(chat))
        assert max(b - a for a, b in pairwise(arrivals)) >= 0.5
        assert "failed 0" in desk.progress_message(broadcast).text


async def test_sends_that_time_out_undelivered_are_retried_and_arrive_once(
    standin: BotApiStandIn, database: Path
) -> None:
    audience = readers(120)
    slow = list(audience)[3::20]  # 5% of the chats
    await prepare_database(database, audience)
    open_private_chats(standin, audience)
    for chat_id in slow:
        standin.inject("sendMessage", chat_id, error=Fault.timeout(1.0, deliver=False))

    async with newsroom(standin, database, request=short_timeouts()) as desk:
        broadcast = await desk.finish((await desk.send_newest()).id)

        await assert_everyone_got_everything(desk, broadcast.id, audience)
        rows = await desk.outbox(broadcast.id)
        assert {row["status"] for row in rows} == {DeliveryStatus.SENT}
        retried = {row["chat_id"] for row in rows if row["attempts"] == 2}
        assert retried == set(slow)
        assert max(row["attempts"] for row in rows) == 2


async def test_a_send_delivered_after_its_timeout_may_arrive_twice_but_no_more(
    standin: BotApiStandIn, database: Path
) -> None:
    """Telegram got the message, the answer came too late: the retry duplicates it.

    This is the one duplicate the bot cannot rule out; it is bounded by the number of
    timed-out sends, and the chat still reads every part in order.
    """
    audience = readers(120)
    slow = list(audience)[3::20]
    await prepare_database(database, audience)
    open_private_chats(standin, audience)
    for chat_id in slow:
        standin.inject("sendMessage", chat_id, error=Fault.timeout(1.0, deliver=True))

    async with newsroom(standin, database, request=short_timeouts()) as desk:
        broadcast = await desk.finish((await desk.send_newest()).id)

        expected = await desk.expected_html(broadcast.id)
        extra = 0
        for chat_id, language in audience.items():
            got = desk.received(chat_id)
            once = [text for i, text in enumerate(got) if i == 0 or got[i - 1] != text]
            assert once == expected[language], chat_id
            extra += len(got) - len(once)
            if chat_id not in slow:
                assert len(got) == len(expected[language]), chat_id
        assert extra <= len(slow)


async def test_a_group_that_becomes_a_supergroup_mid_broadcast_gets_the_rest_there(
    standin: BotApiStandIn, database: Path
) -> None:
    group, admin = -4001, 4002
    # The group's id sorts first, so its first part goes out first and its second part
    # is a whole round (200 rows) later, beyond what the sender has claimed ahead.
    audience = {group: "ru", **readers(200)}
    await prepare_database(database, audience, kinds={group: "group"})
    open_private_chats(standin, audience)
    standin.add_group(group, "Readers' club", admins=[admin])

    async with newsroom(standin, database, concurrency=4) as desk:
        broadcast = await desk.send_newest()
        await standin.wait_for(1, chat_id=group, timeout=10)
        supergroup = standin.migrate_group(group, by_user=admin)
        broadcast = await desk.finish(broadcast.id)

        expected = (await desk.expected_html(broadcast.id))["ru"]
        assert desk.received(group) + desk.received(supergroup) == expected
        assert desk.received(group) == expected[:1]
        assert await desk.store.subscriptions.get(group) is None
        moved = await desk.store.subscriptions.get(supergroup)
        assert moved is not None and moved.status is ChatStatus.ACTIVE
        assert moved.language == "ru"
        rows = [r for r in await desk.outbox(broadcast.id) if r["chat_id"] in (group, supergroup)]
        assert [r["status"] for r in rows] == [DeliveryStatus.SENT] * len(expected)


async def test_a_part_telegram_refuses_fails_with_its_reason_and_is_not_retried(
    standin: BotApiStandIn, database: Path
) -> None:
    audience = readers(30)
    victim = list(audience)[4]
    await prepare_database(database, audience)
    open_private_chats(standin, audience)
    reason = 'can\'t parse entities: Unsupported start tag "spoiler" at byte offset 120'
    rule = standin.inject("sendMessage", victim, error=Fault.bad_request(reason), times=1)

    async with newsroom(standin, database) as desk:
        broadcast = await desk.finish((await desk.send_newest()).id)

        expected = await desk.expected_html(broadcast.id)
        language = audience[victim]
        # The refused first part is not sent again; the chat reads the rest in order.
        assert rule.fired == 1
        assert desk.received(victim) == expected[language][1:]
        for chat_id, lang in audience.items():
            if chat_id != victim:
                assert desk.received(chat_id) == expected[lang], chat_id
        rows = await desk.outbox(broadcast.id)
        failed = [r for r in rows if r["status"] == DeliveryStatus.FAILED]
        assert [(r["chat_id"], r["seq"], r["attempts"]) for r in failed] == [(victim, 0, 1)]
        assert "parse entities" in failed[0]["error"].lower()
        assert sum(r["status"] == DeliveryStatus.SENT for r in rows) == len(rows) - 1
        report = desk.progress_message(broadcast).text
        assert report_counts(report, LANGUAGE_NAMES[language])["failed"] == 1
        assert "Most common failures:" in report and "parse entities" in report.lower()


async def test_readers_who_leave_or_switch_language_mid_broadcast_get_nothing_more(
    standin: BotApiStandIn, database: Path
) -> None:
    audience = readers(90)
    leaver, switcher = 10_002, 10_005  # English readers near the front of every round
    assert audience[leaver] == audience[switcher] == "en"
    await prepare_database(database, audience)
    open_private_chats(standin, audience)
    limits = SendLimits(per_second=100, per_chat_per_second=50, per_group_per_minute=3000)

    async with newsroom(standin, database, limits=limits, concurrency=4) as desk:
        broadcast = await desk.send_newest()
        await standin.wait_for(1, chat_id=switcher, timeout=10)
        await desk.say("/unsubscribe", user=leaver)
        await desk.say("/language", user=switcher)
        await desk.press_data("lang:ru", user=switcher)
        broadcast = await desk.finish(broadcast.id)

        rendered = await desk.expected_html(broadcast.id)
        issue_texts = {text for texts in rendered.values() for text in texts}
        for chat_id in (leaver, switcher):
            got = [text for text in desk.received(chat_id) if text in issue_texts]
            assert got == rendered["en"][:1], chat_id  # the first part only, in English
        switched = await desk.store.subscriptions.get(switcher)
        assert switched is not None and switched.language == "ru"
        rows = await desk.outbox(broadcast.id)
        skipped = {r["chat_id"]: r["error"] for r in rows if r["status"] == DeliveryStatus.SKIPPED}
        assert set(skipped) == {leaver, switcher}
        assert "unsubscribed" in skipped[leaver]
        assert "language" in skipped[switcher]
        for chat_id, language in audience.items():
            if chat_id not in (leaver, switcher):
                assert desk.received(chat_id) == rendered[language], chat_id


async def test_telegrams_real_flood_limits_draw_no_429_and_progress_is_shown(
    standin: BotApiStandIn, database: Path
) -> None:
    audience = readers(36)
    await prepare_database(database, audience)
    open_private_chats(standin, audience)

    async with newsroom(standin, database, limits=SendLimits()) as desk:
        await desk.pick_newest()
        await desk.press("Send now")
        # Telegram's limits from here on: 30 messages a second, one a second per chat.
        standin.limits = FloodLimits(enabled=True)
        await desk.press("Yes, send now")
        broadcast = (await desk.store.broadcasts.recent(1))[0]
        broadcast = await desk.finish(broadcast.id)

        await assert_everyone_got_everything(desk, broadcast.id, audience)
        # No send to a reader was refused. (The editor's own chat is left out: the final
        # report may follow the last progress edit within the same second.)
        assert not set(standin.limiter.refused_by_chat) & set(audience)
        assert standin.limiter.refused <= standin.limiter.refused_by_chat[EDITOR]

        progress = desk.progress_message(broadcast)
        versions = [version.text for version in progress.history] + [progress.text]
        assert versions[0] == "Preparing the broadcast…"
        running = [v for v in versions[1:-1] if "messages handled" in v]
        assert running, versions
        assert all(v.startswith("Sending the issue of") for v in running)
        assert any(
            [b.get("text") for row in version.reply_markup["inline_keyboard"] for b in row]
            == ["Stop"]
            for version in progress.history
            if version.reply_markup
        )
        assert versions[-1].startswith("Delivered: the issue of")
        assert "144 messages sent" in versions[-1]
        assert progress.buttons == []
        assert standin.messages(EDITOR)[-1] is progress
