"""End to end: an editor composes, previews, sends, schedules, stops and corrects broadcasts.

The editor talks to the real bot through the Bot API stand-in: commands, uploaded Markdown
files and button presses. What readers and channels received is read back from the stand-in.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import SendLimits
from bot.demo import BOT_USERNAME
from bot.editorial.scheduling import job_name
from bot.storage import BroadcastStatus, ChatStatus, DeliveryStatus, Store
from standin import BotApiStandIn, Fault
from tests.newsroom import (
    EDITOR,
    NEWEST_LABEL,
    NEWEST_WEEK,
    REFUSAL,
    WEEK_WORD,
    newsroom,
    open_private_chats,
    prepare_database,
    readers,
    sample_file,
)

OUTSIDER = 9001
CHANNEL, CHANNEL_NAME = -100_500, "mirror_be"


def corrected(content: bytes, old: str, new: str) -> bytes:
    text = content.decode()
    assert text.count(old) == 1, old
    return text.replace(old, new).encode()


async def test_outsiders_are_refused_everything_and_learn_nothing(
    standin: BotApiStandIn, database: Path, caplog: pytest.LogCaptureFixture
) -> None:
    audience = readers(3)
    await prepare_database(database, audience)
    open_private_chats(standin, audience)
    standin.add_user(OUTSIDER, "Curious", language_code="en", started=True)
    group = -4100
    standin.add_group(group, "Editors' lounge", admins=[EDITOR], members=[OUTSIDER])
    caplog.set_level(logging.WARNING, logger="handlers.guards")

    async with newsroom(standin, database) as desk:
        issue = await desk.newest_issue()
        replies = []
        for command in ("/broadcast", "/stats", "/scheduled", "/channels", "/channels add @x be"):
            replies += await desk.say(command, user=OUTSIDER)
        name, content = sample_file("en")
        replies += await desk.upload(name, content, user=OUTSIDER)
        assert [reply.text for reply in replies] == [REFUSAL] * 6
        assert all(not reply.buttons for reply in replies)

        later = int((datetime.now(UTC) + timedelta(hours=2)).timestamp())
        pressed = [
            f"ei:pick:{issue.id}",
            f"ei:send:{issue.id}",
            f"ei:go:{issue.id}",
            f"ei:sched:{issue.id}",
            f"ei:fix:{issue.id}",
            f"pv:{issue.id}:en",
            f"at:{issue.id}:{later}",
            "st:1",
            "us:1",
            f"rc:{CHANNEL}",
        ]
        for data in pressed:
            answer, new = await desk.press_data(data, user=OUTSIDER, force=True)
            assert (answer, new) == (REFUSAL, []), data

        # An editor, but in a group: nothing is shown there either.
        before = len(standin.messages(group))
        await desk.scene.say(group, EDITOR, f"/stats@{BOT_USERNAME}")
        said = [m.text for m in standin.messages(group)[before:]]
        assert said == ["Editor commands work only in a private chat with the bot."]

        assert await desk.store.broadcasts.recent(5) == []
        assert await desk.store.broadcasts.with_status(BroadcastStatus.SCHEDULED) == []
        info = await desk.store.archive.issue_info(issue.id)
        assert info is not None and not info.published
        assert all(standin.messages(chat) == [] for chat in audience)
    refusals = [r for r in caplog.records if r.getMessage().startswith("Refused an editor")]
    assert len(refusals) == 6 + len(pressed)
    assert all(f"user {OUTSIDER}" in r.getMessage() for r in refusals)


async def test_bad_files_get_their_errors_back_and_nothing_is_stored(
    standin: BotApiStandIn, database: Path
) -> None:
    await prepare_database(database, {}, newest_stored=False)
    async with newsroom(standin, database) as desk:
        name, content = sample_file("en")
        link = "link: https://weekly.example.org/en/2026-09-21/pardons"
        link_line = content.decode().splitlines().index(link) + 1
        broken = content.decode().replace("author: Maryna Dzeravianka\n", "", 1)
        broken = broken.replace(link, "link: weekly.example.org/pardons")
        replies = await desk.upload(name, broken.encode())
        assert len(replies) == 1
        lines = replies[0].text.splitlines()
        assert lines[0] == f"{name} was not imported:"
        assert lines[1].startswith(f"• {name}:{link_line}: link must be an http:// or https://")
        assert any(
            line.startswith(f"• {name}:") and "missing metadata: author" in line
            for line in lines[2:]
        ), lines

        latin1 = content.decode().replace("Pardons", "Pardóns").encode("latin-1", "replace")
        replies = await desk.upload(name, latin1)
        assert [r.text for r in replies] == [f"{name} is not UTF-8 text; save it as UTF-8."]

        assert await desk.store.archive.issue_by_week(NEWEST_WEEK) is None
        assert await desk.store.archive.unpublished_issues() == []


async def test_uploaded_issue_previews_exactly_what_readers_then_receive(
    standin: BotApiStandIn, database: Path
) -> None:
    audience = readers(6)
    await prepare_database(database, audience, newest_stored=False)
    open_private_chats(standin, audience)

    async with newsroom(standin, database) as desk:
        for language in ("be", "ru", "en"):
            name, content = sample_file(language)
            replies = await desk.upload(name, content)
            assert replies[0].text.startswith("Stored the ")
            assert replies[-1].text.startswith(f"Issue of {NEWEST_LABEL}")
        card = replies[-1].text
        assert "Беларуская: 2 chats; 1 commentary will be sent in another language" in card
        assert "English: 2 chats; every commentary has a version in this language" in card

        previews: dict[str, list[str]] = {}
        for language, label in (("be", "Беларуская"), ("ru", "Русский"), ("en", "English")):
            shown = await desk.press(f"Preview: {label}")
            assert shown[0].text.startswith(f"Preview, {label}: 4 messages")
            previews[language] = [m.html for m in shown[1:]]
            assert WEEK_WORD[language] in shown[1].text
        assert all(standin.messages(chat) == [] for chat in audience)

        await desk.press("Send now")
        await desk.press("Yes, send now")
        broadcast = await desk.finish((await desk.store.broadcasts.recent(1))[0].id)
        for chat_id, language in audience.items():
            assert desk.received(chat_id) == previews[language], chat_id
        report = desk.progress_message(broadcast).text
        assert report.startswith(f"Delivered: the issue of {NEWEST_LABEL}")
        assert "24 messages sent" in report

        # Sent once: the card's buttons do not send it again.
        answer, new = await desk.press_data(f"ei:go:{broadcast.issue.id}", force=True)
        assert answer is not None
        assert answer.startswith(
            f"Nothing was sent: the issue of {NEWEST_LABEL} was already sent on "
        )
        assert answer.endswith(". Upload a corrected file to fix it.")
        assert new == []
        offer = await desk.say("/broadcast")
        assert offer[-1].buttons == []


async def test_cancel_before_sending_sends_nothing(standin: BotApiStandIn, database: Path) -> None:
    audience = readers(6)
    await prepare_database(database, audience)
    open_private_chats(standin, audience)

    async with newsroom(standin, database) as desk:
        await desk.pick_newest()
        confirm = await desk.press("Send now")
        assert confirm[-1].text == f"Send the issue of {NEWEST_LABEL} to 6 chats now?"
        said = await desk.press("Cancel")
        assert [m.text for m in said] == ["Cancelled. Nothing was sent or changed."]
        assert confirm[-1].buttons == []  # the question's buttons are gone

        assert await desk.store.broadcasts.recent(5) == []
        assert not (await desk.newest_issue()).published
        assert all(standin.messages(chat) == [] for chat in audience)
        offer = await desk.say("/broadcast")
        assert [b["text"] for b in offer[-1].buttons] == [NEWEST_LABEL]


async def test_stop_keeps_what_was_sent_and_cancels_the_rest(
    standin: BotApiStandIn, database: Path
) -> None:
    audience = readers(150)
    await prepare_database(database, audience)
    open_private_chats(standin, audience)
    slow = SendLimits(per_second=100, per_chat_per_second=50, per_group_per_minute=3000)

    async with newsroom(standin, database, limits=slow) as desk:
        broadcast = await desk.send_newest()
        await standin.wait_for(lambda: standin.stats.messages_sent >= 60, timeout=10)
        await desk.scene.press(EDITOR, EDITOR, "Stop")
        answers = standin.callback_answers()
        assert answers[-1].text == "Stopping. Messages already sent stay with the readers."
        broadcast = await desk.finish(broadcast.id)

        assert broadcast.status is BroadcastStatus.CANCELLED
        rows = await desk.outbox(broadcast.id)
        statuses = {row["status"] for row in rows}
        assert statuses == {DeliveryStatus.SENT, DeliveryStatus.CANCELLED}
        expected = await desk.expected_html(broadcast.id)
        sent_to: dict[int, int] = {}
        for row in rows:
            if row["status"] == DeliveryStatus.SENT:
                sent_to[row["chat_id"]] = sent_to.get(row["chat_id"], 0) + 1
        for chat_id, language in audience.items():
            assert desk.received(chat_id) == expected[language][: sent_to.get(chat_id, 0)]
        sent = sum(sent_to.values())
        assert 60 <= sent < len(rows)

        report = desk.progress_message(broadcast)
        assert report.text.startswith(f"Stopped: the issue of {NEWEST_LABEL}")
        assert f"{sent} messages sent" in report.text
        assert [b["text"] for b in report.buttons] == ["Resume"]
        answer, _ = await desk.press_data(f"st:{broadcast.id}", force=True)
        assert answer == "This broadcast is not running."

        # Resume sends the rest to the same audience; nothing arrives twice.
        await desk.press("Resume")
        assert standin.callback_answers()[-1].text == (
            "Resuming: only what was not sent goes out."
        )
        broadcast = await desk.finish(broadcast.id)
        assert broadcast.status is BroadcastStatus.DONE
        assert {row["status"] for row in await desk.outbox(broadcast.id)} == {DeliveryStatus.SENT}
        for chat_id, language in audience.items():
            assert desk.received(chat_id) == expected[language]
        report = desk.progress_message(broadcast)
        assert report.text.startswith(f"Delivered: the issue of {NEWEST_LABEL}")
        assert report.buttons == []
        answer, _ = await desk.press_data(f"rs:{broadcast.id}", force=True)
        assert answer == "This broadcast has nothing to resume."


async def test_a_scheduled_broadcast_survives_a_restart_and_starts_by_itself(
    standin: BotApiStandIn, database: Path
) -> None:
    audience = readers(9)
    await prepare_database(database, audience)
    open_private_chats(standin, audience)
    when = datetime.now(UTC) + timedelta(seconds=4)
    async with await Store.open(database) as store:
        issue = await store.archive.issue_by_week(NEWEST_WEEK)
        assert issue is not None
        broadcast_id = await store.broadcasts.create(
            issue.id, editor_id=EDITOR, editor_chat_id=EDITOR, scheduled_at=when
        )

    async with newsroom(standin, database) as desk:
        listed = await desk.say("/scheduled")
        assert len(listed) == 1 and listed[0].text.startswith(f"The issue of {NEWEST_LABEL}: ")
        assert [b["callback_data"] for b in listed[0].buttons] == [f"us:{broadcast_id}"]
    assert all(standin.messages(chat) == [] for chat in audience)

    # A new process on the same database: the broadcast starts on time by itself.
    async with newsroom(standin, database) as desk:
        stored = await desk.store.broadcasts.get(broadcast_id)
        assert stored is not None and stored.status is BroadcastStatus.SCHEDULED
        assert desk.application.job_queue is not None
        assert desk.application.job_queue.get_jobs_by_name(job_name(broadcast_id))

        def reported() -> bool:
            return any(m.text.startswith("Delivered:") for m in standin.messages(EDITOR))

        await standin.wait_for(reported, timeout=20)
        broadcast = await desk.finish(broadcast_id)
        assert broadcast.status is BroadcastStatus.DONE
        expected = await desk.expected_html(broadcast_id)
        for chat_id, language in audience.items():
            assert desk.received(chat_id) == expected[language], chat_id
        assert desk.progress_message(broadcast).text.startswith(
            f"Delivered: the issue of {NEWEST_LABEL}"
        )
        assert (await desk.say("/scheduled"))[-1].text == "No broadcast is scheduled."


async def test_schedule_from_the_card_list_it_and_cancel_it(
    standin: BotApiStandIn, database: Path
) -> None:
    audience = readers(3)
    await prepare_database(database, audience)
    open_private_chats(standin, audience)

    async with newsroom(standin, database) as desk:
        issue = await desk.newest_issue()
        await desk.pick_newest()
        ask = await desk.press("Schedule")
        assert ask[-1].text.startswith("When should it go out?")
        choices = [b["callback_data"] for b in ask[-1].buttons]
        assert all(data.startswith(f"at:{issue.id}:") for data in choices)

        # Too soon to be worth scheduling.
        soon = int((datetime.now(UTC) + timedelta(seconds=5)).timestamp())
        _, said = await desk.press_data(f"at:{issue.id}:{soon}", force=True)
        assert [m.text for m in said] == ["Pick a time at least a minute from now."]

        _, said = await desk.press_data(choices[0])
        assert said[-1].text.startswith("Scheduled for ")
        planned = await desk.store.broadcasts.with_status(BroadcastStatus.SCHEDULED)
        assert len(planned) == 1
        broadcast_id = planned[0].id
        assert desk.application.job_queue is not None
        assert desk.application.job_queue.get_jobs_by_name(job_name(broadcast_id))

        # The editor's next words are a search again, not a date.
        found = await desk.say("potash")
        assert not found[-1].text.startswith("Write the date and time")

        listed = await desk.say("/scheduled")
        assert len(listed) == 1 and listed[0].text.startswith(f"The issue of {NEWEST_LABEL}: ")
        said = await desk.press("Cancel")
        assert [m.text for m in said] == ["The scheduled broadcast was cancelled."]
        assert (await desk.store.broadcasts.status(broadcast_id)) is BroadcastStatus.CANCELLED
        assert not desk.application.job_queue.get_jobs_by_name(job_name(broadcast_id))
        _, said = await desk.press_data(f"us:{broadcast_id}", force=True)
        assert [m.text for m in said] == ["That broadcast is not scheduled any more."]
        assert (await desk.say("/scheduled"))[-1].text == "No broadcast is scheduled."
        assert all(standin.messages(chat) == [] for chat in audience)


async def test_an_issue_scheduled_twice_or_then_sent_now_is_delivered_once(
    standin: BotApiStandIn, database: Path
) -> None:
    audience = readers(6)
    await prepare_database(database, audience)
    open_private_chats(standin, audience)

    async with newsroom(standin, database) as desk:
        await desk.pick_newest()
        ask = await desk.press("Schedule")
        first, second = (b["callback_data"] for b in ask[-1].buttons[:2])
        await desk.press_data(first)
        await desk.press_data(second)
        planned = await desk.store.broadcasts.with_status(BroadcastStatus.SCHEDULED)
        assert len(planned) == 1, "scheduling again must move the broadcast, not add one"
        assert desk.application.job_queue is not None
        jobs = [job.name or "" for job in desk.application.job_queue.jobs()]
        assert [name for name in jobs if name.startswith("broadcast-")] == [
            job_name(planned[0].id)
        ]

        # Sending now replaces the schedule: nothing is left to go out a second time.
        await desk.press("Send now")
        await desk.press("Yes, send now")
        sent = (await desk.store.broadcasts.recent(1))[0]
        await desk.finish(sent.id)
        assert await desk.store.broadcasts.with_status(BroadcastStatus.SCHEDULED) == []
        assert not any(
            (job.name or "").startswith("broadcast-") for job in desk.application.job_queue.jobs()
        )
        expected = await desk.expected_html(sent.id)
        for chat_id, language in audience.items():
            assert desk.received(chat_id) == expected[language], chat_id


async def test_a_correction_edits_the_delivered_messages_in_place(
    standin: BotApiStandIn, database: Path
) -> None:
    audience = readers(9)
    await prepare_database(database, audience)
    open_private_chats(standin, audience)
    old = "Belarusian farms have brought in their best grain harvest in five years."
    new = "Belarusian farms have brought in their biggest grain harvest in six years."

    async with newsroom(standin, database) as desk:
        delivered = await desk.finish((await desk.send_newest()).id)
        before = {chat: desk.received(chat) for chat in audience}

        name, content = sample_file("en")
        offer = await desk.upload(name, content)
        assert [m.text for m in offer] == [
            f"The issue of {NEWEST_LABEL} was already delivered with this text."
        ]
        offer = await desk.upload(name, corrected(content, old, new))
        shown = offer[-1].text
        assert shown.startswith(f"Correction of the issue of {NEWEST_LABEL}")
        assert "English: 1 message" in shown
        assert "Беларуская" not in shown and "Русский" not in shown
        assert new in shown
        assert [b["text"] for b in offer[-1].buttons] == ["Apply the correction", "Cancel"]
        assert all(desk.received(chat) == before[chat] for chat in audience)

        await desk.press("Apply the correction")
        correction = (await desk.store.broadcasts.recent(1))[0]
        assert correction.id != delivered.id
        correction = await desk.finish(correction.id)

        english = [chat for chat, language in audience.items() if language == "en"]
        for chat_id in audience:
            messages = standin.messages(chat_id)
            assert len(messages) == len(before[chat_id])  # edited, nothing new sent
            edited = [i for i, m in enumerate(messages) if m.edit_count]
            if chat_id in english:
                assert edited == [1], chat_id
                assert messages[1].history[0].html == before[chat_id][1]
                assert new in messages[1].text and old not in messages[1].text
                assert [m.html for m in messages[:1] + messages[2:]] == (
                    before[chat_id][:1] + before[chat_id][2:]
                )
            else:
                assert edited == [], chat_id
        report = desk.progress_message(correction).text
        assert report.startswith(f"Corrected: the issue of {NEWEST_LABEL}")
        assert f"{len(english)} messages sent" in report
        found = await desk.say("/search biggest grain")
        assert "A good harvest" in found[-1].text  # the corrected text is what is searched


async def test_a_correction_that_changes_the_number_of_parts_is_refused(
    standin: BotApiStandIn, database: Path
) -> None:
    audience = readers(3)
    await prepare_database(database, audience)
    open_private_chats(standin, audience)
    sentence = "Belarusian farms have brought in their best grain harvest in five years."
    padding = "\n\n".join(
        f"An added paragraph {n} of the corrected text, long enough to need a new message. " * 4
        for n in range(16)
    )

    async with newsroom(standin, database) as desk:
        delivered = await desk.finish((await desk.send_newest()).id)
        before = {chat: desk.received(chat) for chat in audience}
        name, content = sample_file("en")
        longer = corrected(content, sentence, sentence + "\n\n" + padding)
        said = await desk.upload(name, longer)
        assert [m.text for m in said] == [
            "This correction cannot be applied: the corrected text splits into a different "
            "number of messages than was delivered; shorten or lengthen it so that it splits "
            "as before."
        ]
        extra = content.decode() + (
            "\n# A late addition\nkey: late-addition-2026-09\ntopic: economy\n"
            "topic-name: Economy\nkicker: Too late\nauthor: Someone\n\nA lead.\n"
        )
        said = await desk.upload(name, extra.encode())
        assert [m.text for m in said] == [
            "This correction cannot be applied: the file adds commentaries that were not "
            "delivered: late-addition-2026-09."
        ]
        assert all(not m.edit_count for chat in audience for m in standin.messages(chat))

        # A pending correction applies to its own issue only, whatever button says otherwise.
        said = await desk.upload(
            name, corrected(content, sentence, sentence.replace("best", "biggest"))
        )
        assert said[-1].text.startswith(f"Correction of the issue of {NEWEST_LABEL}")
        older = await desk.store.archive.issue_by_week(NEWEST_WEEK - timedelta(days=7))
        assert older is not None
        answer, said = await desk.press_data(f"ei:fix:{older.id}", force=True)
        assert answer == "This list has expired. Send the command again." and said == []

        assert await desk.store.broadcasts.recent(5) == [delivered]
        assert all(desk.received(chat) == before[chat] for chat in audience)
        english = await desk.store.archive.issue(delivered.issue.id, "en")
        assert english is not None
        assert all("added paragraph" not in c.body for c in english.commentaries)
        assert all("biggest" not in c.lead for c in english.commentaries)


async def test_stats_and_mirror_channels(standin: BotApiStandIn, database: Path) -> None:
    audience = readers(7)
    await prepare_database(database, audience)
    open_private_chats(standin, audience)
    standin.add_channel(CHANNEL, "Mirror in Belarusian", username=CHANNEL_NAME)
    standin.add_channel(-100_600, "Not ours", username="not_ours", bot_is_admin=False)

    async with newsroom(standin, database) as desk:
        said = await desk.say("/channels")
        assert said[-1].text.startswith("No channel mirrors the broadcasts.")
        said = await desk.say("/channels add @nowhere be")
        assert (
            said[-1].text == "I cannot see @nowhere; add the bot to it as an administrator first."
        )
        said = await desk.say("/channels add @not_ours be")
        assert said[-1].text == "The bot must be an administrator of @not_ours allowed to post."
        said = await desk.say(f"/channels add @{CHANNEL_NAME} xx")
        assert said[-1].text == "Write it as: /channels add @channel be"
        said = await desk.say(f"/channels add @{CHANNEL_NAME} be")
        assert said[-1].text == "Mirror in Belarusian now receives every broadcast in Беларуская."
        channel = await desk.store.subscriptions.get(CHANNEL)
        assert channel is not None and channel.status is ChatStatus.ACTIVE
        assert channel.language == "be"

        listed = await desk.say("/channels")
        assert "Mirror in Belarusian — Беларуская" in listed[-1].text
        labels = [b["text"] for b in listed[-1].buttons]
        assert labels == ["Stop mirroring to Mirror in Belarusian"]

        broadcast = await desk.finish((await desk.send_newest()).id)
        expected = await desk.expected_html(broadcast.id)
        assert desk.received(CHANNEL) == expected["be"]

        stats = (await desk.say("/stats"))[-1].text
        assert "Беларуская: 4 (channels 1, private chats 3)" in stats
        assert "Русский: 2 (private chats 2)" in stats
        assert "English: 2 (private chats 2)" in stats
        assert (
            f"{NEWEST_LABEL} (issue, delivered): sent {4 * 4 + 2 * 4 + 2 * 4}, failed 0, skipped 0"
            in stats
        )

        said = await desk.press("Stop mirroring to Mirror in Belarusian")
        assert [m.text for m in said] == ["The channel no longer receives broadcasts."]
        channel = await desk.store.subscriptions.get(CHANNEL)
        assert channel is not None and channel.status is ChatStatus.UNSUBSCRIBED
        said = await desk.say("/channels")
        assert said[-1].text.startswith("No channel mirrors the broadcasts.")
        stats = (await desk.say("/stats"))[-1].text
        assert "Беларуская: 3 (private chats 3)" in stats


async def test_a_correction_waits_until_the_issue_is_no_longer_being_sent(
    standin: BotApiStandIn, database: Path
) -> None:
    audience = readers(150)
    await prepare_database(database, audience)
    open_private_chats(standin, audience)
    slow = SendLimits(per_second=100, per_chat_per_second=50, per_group_per_minute=3000)
    old = "Belarusian farms have brought in their best grain harvest in five years."
    new = "Belarusian farms have brought in their biggest grain harvest in six years."

    async with newsroom(standin, database, limits=slow) as desk:
        broadcast = await desk.send_newest()
        await standin.wait_for(lambda: standin.stats.messages_sent >= 40, timeout=10)
        name, content = sample_file("en")
        # Readers still waiting for the issue would get the old text and no edit.
        said = await desk.upload(name, corrected(content, old, new))
        assert [m.text for m in said] == [
            f"The issue of {NEWEST_LABEL} is still being sent; send the corrected file again "
            "after the final report."
        ]
        assert (await desk.store.broadcasts.recent(1))[0].id == broadcast.id
        await desk.scene.press(EDITOR, EDITOR, "Stop")
        await desk.finish(broadcast.id)

        said = await desk.upload(name, corrected(content, old, new))
        assert said[-1].text.startswith(f"Correction of the issue of {NEWEST_LABEL}")


async def test_the_report_reaches_the_editor_even_if_the_progress_message_is_gone(
    standin: BotApiStandIn, database: Path, caplog: pytest.LogCaptureFixture
) -> None:
    audience = readers(6)
    await prepare_database(database, audience)
    open_private_chats(standin, audience)
    gone = Fault.bad_request("message to edit not found")  # the editor deleted it

    async with newsroom(standin, database) as desk:
        standin.inject("editMessageText", EDITOR, error=gone, times=None)
        broadcast = await desk.finish((await desk.send_newest()).id)

        assert broadcast.status is BroadcastStatus.DONE
        report = standin.messages(EDITOR)[-1]
        assert report.text.startswith(f"Delivered: the issue of {NEWEST_LABEL}")
        assert "24 messages sent" in report.text
    assert not [r for r in caplog.records if "stopped on an error" in r.getMessage()]


async def test_uploads_stay_out_of_readers_sight_and_must_agree_with_stored_languages(
    standin: BotApiStandIn, database: Path
) -> None:
    await prepare_database(database, {}, newest_stored=False)
    reader = 4242
    standin.add_user(reader, "Reader", language_code="en", started=True)
    async with newsroom(standin, database) as desk:
        name, content = sample_file("en")
        lines = content.decode().splitlines()
        # A new topic in an unpublished upload: readers do not see it before it is sent.
        renamed = corrected(
            content,
            "topic: belarus-eu\ntopic-name: Belarus and the EU",
            "topic: neighbours\ntopic-name: Neighbours",
        )
        replies = await desk.upload(name, renamed)
        assert replies[0].text.startswith("Stored the English version"), replies[0].text
        topics = await desk.say("/topics", user=reader)
        assert "Neighbours" not in topics[-1].text
        preview = await desk.press("Preview: English")
        assert any("Neighbours" in message.text for message in preview)

        # A file that renames a published topic is refused with the line to fix.
        line = lines.index("topic-name: Economy") + 1
        replies = await desk.upload(
            name, corrected(content, "topic-name: Economy", "topic-name: The economy")
        )
        assert replies[0].text.splitlines()[0] == f"{name} was not imported:"
        assert replies[0].text.splitlines()[1] == (
            f"• {name}:{line}: topic 'economy' is named 'The economy' here but 'Economy' in "
            "the published issues (en); use the same name"
        )

        # Another language must agree with the stored one: topic per key, week-end.
        ru_name, ru_content = sample_file("ru")
        ru_lines = ru_content.decode().splitlines()
        topic_line = ru_lines.index("topic: society") + 1
        moved = corrected(ru_content, "topic: society", "topic: economy")
        moved = moved.decode().replace("week-end: 2026-09-27", "week-end: 2026-09-26").encode()
        replies = await desk.upload(ru_name, moved)
        errors = replies[0].text.splitlines()[1:]
        assert errors[:2] == [
            f"• {ru_name}:3: week-end 2026-09-26 differs from week-end 2026-09-27 of the "
            "stored issue of the week (en)",
            f"• {ru_name}:{topic_line}: commentary 'rural-doctors-2026-09' has topic 'economy' "
            "here but 'society' in the stored version (en)",
        ], errors
        assert (
            f"• {ru_name}:{ru_lines.index('topic: belarus-eu') + 1}: commentary "
            "'lithuania-transit-2026-09' has topic 'belarus-eu' here but 'neighbours' in the "
            "stored version (en)"
        ) in errors
        topics = await desk.say("/topics", user=reader)
        assert "Neighbours" not in topics[-1].text

        # Once sent, the new topic is there for readers.
        await desk.press("Send now")
        await desk.press("Yes, send now")
        started = await desk.store.broadcasts.recent(1)
        await desk.finish(started[0].id)
        topics = await desk.say("/topics", user=reader)
        assert "Neighbours" in topics[-1].text
        found = await desk.say("/search transit", user=reader)
        assert "Nothing found" not in found[-1].text


async def test_a_schedule_time_out_of_range_gets_a_clear_answer(
    standin: BotApiStandIn, database: Path
) -> None:
    await prepare_database(database, {})
    async with newsroom(standin, database) as desk:
        issue = await desk.newest_issue()
        await desk.pick_newest()
        far = int(datetime(9999, 12, 31, tzinfo=UTC).timestamp()) + 10 * 365 * 86400
        for timestamp in (far, 2**40):
            _, replies = await desk.press_data(f"at:{issue.id}:{timestamp}", force=True)
            assert [r.text for r in replies] == ["Pick a time within the next year."]
        await desk.press("Schedule")
        replies = await desk.say("2099-01-01 09:00")
        assert [r.text for r in replies] == ["Pick a time within the next year."]
        assert await desk.store.broadcasts.with_status(BroadcastStatus.SCHEDULED) == []
