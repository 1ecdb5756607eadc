"""Editors compose, preview, send, schedule, stop and correct broadcasts inside Telegram."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from bot import callbacks, editor_reports, render
from bot.content import LANGUAGES, IssueDraft
from bot.context import BotContext
from bot.delivery.compose import render_issue
from bot.delivery.corrections import CorrectionRefused, plan_correction
from bot.editorial import already_delivered_text, start_broadcast
from bot.i18n import LANGUAGE_NAMES, Translator
from bot.importer import ContentErrors, parse_issue, parse_upload
from bot.scheduling import (
    next_slot,
    parse_local_time,
    schedule_broadcast,
    unschedule_broadcast,
)
from bot.storage import BroadcastKind, BroadcastStatus, IssueInfo, StorageError
from bot.telegram_html import escape, truncate_html
from handlers.common import answer_expired, translator

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES: Final = 1_000_000
MAX_SCHEDULE_AHEAD: Final = timedelta(days=366)
AWAITING_TIME: Final = "awaiting_schedule_for"
PENDING_CORRECTION: Final = "pending_correction"


async def editor_translator(update: Update, context: BotContext) -> Translator | None:
    """Return the editor's translator, or refuse (and log) anyone else; None when refused."""
    t = await translator(update, context)
    user, chat = update.effective_user, update.effective_chat
    assert chat is not None
    if user is None or user.id not in context.settings.editor_ids:
        log.warning(
            "Refused an editor action from user %s in chat %s",
            user.id if user else None,
            chat.id,
        )
        text = t.gettext("This is only for the newsletter's editors.")
    elif chat.type != ChatType.PRIVATE:
        text = t.gettext("Editor commands work only in a private chat with the bot.")
    else:
        return t
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    else:
        await chat.send_message(escape(text))
    return None


def _button(text: str, action: callbacks.Action) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.encode(action))


async def broadcast_command(update: Update, context: BotContext) -> None:
    """Start a broadcast: ask for the issue's files, or offer the imported unpublished issues."""
    t = await editor_translator(update, context)
    if t is None:
        return
    chat = update.effective_chat
    assert chat is not None
    text = t.gettext(
        "New broadcast. Send me the issue's Markdown files as documents, one per language "
        "(the format the importer reads)."
    )
    issues = await context.store.archive.unpublished_issues()
    markup = None
    if issues:
        text += "\n\n" + t.gettext("Or pick an issue that is already imported:")
        markup = InlineKeyboardMarkup(
            [
                [
                    _button(
                        t.format_week(issue.week_start, issue.week_end),
                        callbacks.EditIssue("pick", issue.id),
                    )
                ]
                for issue in issues[:10]
            ]
        )
    await chat.send_message(escape(text), reply_markup=markup)


async def upload(update: Update, context: BotContext) -> None:
    """Validate an uploaded issue file; store it, or prepare a correction of a sent issue."""
    t = await editor_translator(update, context)
    if t is None:
        return
    message = update.effective_message
    assert message is not None and message.document is not None
    document = message.document
    name = document.file_name or "upload.md"
    if (document.file_size or 0) > MAX_UPLOAD_BYTES:
        await message.reply_text(
            escape(
                t.gettext("{file} is larger than 1 MB, the limit for an issue file.").format(
                    file=name
                )
            )
        )
        return
    content = await (await document.get_file()).download_as_bytearray()
    archive = context.store.archive
    try:
        text = bytes(content).decode("utf-8-sig")
        draft = parse_issue(text, name)
        # The same checks as a batch import, against the languages already stored.
        draft = parse_upload(text, name, await archive.stored_content(draft))
    except UnicodeDecodeError:
        await message.reply_text(
            escape(t.gettext("{file} is not UTF-8 text; save it as UTF-8.").format(file=name))
        )
        return
    except ContentErrors as errors:
        lines = [escape(t.gettext("{file} was not imported:").format(file=name))]
        lines += [escape(f"• {error}") for error in errors.errors]
        await message.reply_text(truncate_html("\n".join(lines), render.MESSAGE_LIMIT))
        return
    existing = await archive.issue_by_week(draft.week_start)
    if existing is not None and existing.published:
        delivered = await context.store.broadcasts.last_delivery(existing.id)
        if delivered is not None:
            await _offer_correction(message, context, t, existing, draft)
            return
    try:
        await archive.save_issues([draft])
    except StorageError as exc:
        await message.reply_text(escape(t.gettext("{file} was not imported:").format(file=name)))
        await message.reply_text(escape(str(exc)))
        return
    issue = await archive.issue_by_week(draft.week_start)
    assert issue is not None
    await message.reply_text(
        escape(
            t.gettext("Stored the {language} version of the issue of {week}.").format(
                language=LANGUAGE_NAMES[draft.language],
                week=t.format_week(draft.week_start, draft.week_end),
            )
        )
    )
    await _issue_card(message, context, t, issue)


async def _issue_card(
    message: Message, context: BotContext, t: Translator, issue: IssueInfo
) -> None:
    """Show an issue with its versions, audience and what the editor can do with it."""
    total, versions = await context.store.archive.versions(issue.id)
    audience = await context.store.subscriptions.count_active()
    week = t.format_week(issue.week_start, issue.week_end)
    lines = [
        render.bold(t.gettext("Issue of {week}").format(week=week)),
        escape(
            t.ngettext("{count} commentary", "{count} commentaries", total).format(
                count=t.format_number(total)
            )
        ),
        "",
        editor_reports.audience_text(t, audience, versions, total),
        "",
        escape(t.gettext("Preview each language, then send or schedule.")),
    ]
    rows = [
        [
            _button(
                t.gettext("Preview: {language}").format(language=LANGUAGE_NAMES[language]),
                callbacks.Preview(issue.id, language),
            )
            for language in LANGUAGES
        ],
        [
            _button(t.gettext("Send now"), callbacks.EditIssue("send", issue.id)),
            _button(t.gettext("Schedule"), callbacks.EditIssue("sched", issue.id)),
        ],
        [_button(t.gettext("Cancel"), callbacks.EditIssue("cancel", issue.id))],
    ]
    await message.chat.send_message("\n".join(lines), reply_markup=InlineKeyboardMarkup(rows))


async def _still_sending(context: BotContext, issue_id: int) -> bool:
    """Tell whether a broadcast of the issue (the issue itself or a correction) is running."""
    running = await context.store.broadcasts.with_status(BroadcastStatus.SENDING)
    return any(broadcast.issue.id == issue_id for broadcast in running)


def _refusal(t: Translator, exc: CorrectionRefused) -> str:
    """Say, in the editor's language, why a correction cannot be applied."""
    reason = t.gettext(exc.reason).format(**exc.details)
    return escape(t.gettext("This correction cannot be applied: {reason}.").format(reason=reason))


async def _offer_correction(
    message: Message, context: BotContext, t: Translator, issue: IssueInfo, draft: IssueDraft
) -> None:
    if await _still_sending(context, issue.id):
        # Messages not sent yet would go out with the old text and never be edited.
        await message.reply_text(
            escape(
                t.gettext(
                    "The issue of {week} is still being sent; send the corrected file again "
                    "after the final report."
                ).format(week=t.format_week(issue.week_start, issue.week_end))
            )
        )
        return
    try:
        plan = await plan_correction(context.store, context.catalogs, issue.id, draft)
    except CorrectionRefused as exc:
        await message.reply_text(_refusal(t, exc))
        return
    week = t.format_week(issue.week_start, issue.week_end)
    if not plan.changed:
        await message.reply_text(
            escape(
                t.gettext("The issue of {week} was already delivered with this text.").format(
                    week=week
                )
            )
        )
        return
    assert context.chat_data is not None
    context.chat_data[PENDING_CORRECTION] = draft
    lines = [
        render.bold(t.gettext("Correction of the issue of {week}").format(week=week)),
        escape(t.gettext("Delivered messages that will be edited (not sent again):")),
    ]
    lines += [
        escape(
            f"{LANGUAGE_NAMES[language]}: "
            + t.ngettext("{count} message", "{count} messages", n).format(count=t.format_number(n))
        )
        for language, n in sorted(plan.by_language().items())
    ]
    first = plan.changed[0]
    lines += ["", escape(t.gettext("The first changed message will read:")), ""]
    lines.append(truncate_html(first.text, 3000))
    markup = InlineKeyboardMarkup(
        [
            [
                _button(t.gettext("Apply the correction"), callbacks.EditIssue("fix", issue.id)),
                _button(t.gettext("Cancel"), callbacks.EditIssue("cancel", issue.id)),
            ]
        ]
    )
    await message.chat.send_message("\n".join(lines), reply_markup=markup)


async def editor_button(update: Update, context: BotContext) -> None:
    """Handle the buttons of the editor dialogs."""
    t = await editor_translator(update, context)
    if t is None:
        return
    query = update.callback_query
    assert query is not None and query.message is not None
    message = query.message
    assert isinstance(message, Message)
    match callbacks.parse(query.data):
        case callbacks.EditIssue("pick", issue_id):
            issue = await context.store.archive.issue_info(issue_id)
            if issue is None or issue.published:
                await _expired(update, t)
                return
            await query.answer()
            await _issue_card(message, context, t, issue)
        case callbacks.Preview(issue_id, language):
            await _preview(update, context, t, issue_id, language)
        case callbacks.EditIssue("send", issue_id):
            await _confirm_send(update, context, t, issue_id)
        case callbacks.EditIssue("go", issue_id):
            await _send_now(update, context, t, issue_id)
        case callbacks.EditIssue("sched", issue_id):
            await _ask_time(update, context, t, issue_id)
        case callbacks.ScheduleAt(issue_id, timestamp):
            await query.answer()
            try:
                when = datetime.fromtimestamp(timestamp, tz=UTC)
            except (ValueError, OverflowError, OSError):  # past year 9999: a forged press
                when = datetime.max.replace(tzinfo=UTC)
            await _schedule(
                message, context, t, editor_id=query.from_user.id, issue_id=issue_id, when=when
            )
        case callbacks.EditIssue("cancel", _):
            await query.answer()
            assert context.chat_data is not None
            context.chat_data.pop(AWAITING_TIME, None)
            context.chat_data.pop(PENDING_CORRECTION, None)
            await query.edit_message_reply_markup(None)
            await message.chat.send_message(
                escape(t.gettext("Cancelled. Nothing was sent or changed."))
            )
        case callbacks.EditIssue("fix", issue_id):
            await _apply_correction(update, context, t, issue_id)
        case _:
            await _expired(update, t)


async def broadcast_button(update: Update, context: BotContext) -> None:
    """Handle the Stop button of a running broadcast and Cancel of a scheduled one."""
    t = await editor_translator(update, context)
    if t is None:
        return
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    match callbacks.parse(query.data):
        case callbacks.Stop(broadcast_id):
            if context.bot_data.delivery.stop(broadcast_id):
                await query.answer(
                    t.gettext("Stopping. Messages already sent stay with the readers.")
                )
            else:
                await query.answer(t.gettext("This broadcast is not running."), show_alert=True)
        case callbacks.Resume(broadcast_id):
            if await context.bot_data.delivery.resume_one(broadcast_id):
                await query.answer(t.gettext("Resuming: only what was not sent goes out."))
                await query.edit_message_reply_markup(editor_reports.stop_button(t, broadcast_id))
            else:
                await query.answer(
                    t.gettext("This broadcast has nothing to resume."), show_alert=True
                )
        case callbacks.Unschedule(broadcast_id):
            await query.answer()
            if await context.store.broadcasts.cancel_scheduled(broadcast_id):
                unschedule_broadcast(context.job_queue, broadcast_id)
                text = t.gettext("The scheduled broadcast was cancelled.")
            else:
                text = t.gettext("That broadcast is not scheduled any more.")
            await update.effective_chat.send_message(escape(text))
        case _:
            await _expired(update, t)


async def _expired(update: Update, t: Translator) -> None:
    assert update.callback_query is not None
    await answer_expired(update.callback_query, t)


async def _preview(
    update: Update, context: BotContext, t: Translator, issue_id: int, language: str
) -> None:
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    messages = [
        m
        for m in await render_issue(context.store, context.catalogs, issue_id)
        if m.language == language
    ]
    if not messages:
        await _expired(update, t)
        return
    await query.answer()
    chat = update.effective_chat
    await chat.send_message(
        render.bold(
            t.ngettext(
                "Preview, {language}: {count} message, exactly as readers get it",
                "Preview, {language}: {count} messages, exactly as readers get them",
                len(messages),
            ).format(language=LANGUAGE_NAMES[language], count=t.format_number(len(messages)))
        )
    )
    for rendered in messages:
        await chat.send_message(rendered.text)


async def _refused_as_sent(
    update: Update, context: BotContext, t: Translator, issue_id: int
) -> bool:
    """Answer a press for an issue another broadcast delivers; return True if it does."""
    holder = await context.store.broadcasts.last_delivery(issue_id)
    if holder is None:
        return False
    assert update.callback_query is not None
    await update.callback_query.answer(already_delivered_text(t, holder), show_alert=True)
    return True


async def _already_sent(context: BotContext, issue_id: int) -> bool:
    return await context.store.broadcasts.last_delivery(issue_id) is not None


async def _confirm_send(update: Update, context: BotContext, t: Translator, issue_id: int) -> None:
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    issue = await context.store.archive.issue_info(issue_id)
    if issue is None:
        await _expired(update, t)
        return
    if await _refused_as_sent(update, context, t, issue_id):
        return
    await query.answer()
    chats = sum((await context.store.subscriptions.count_active()).values())
    text = t.ngettext(
        "Send the issue of {week} to {count} chat now?",
        "Send the issue of {week} to {count} chats now?",
        chats,
    ).format(week=t.format_week(issue.week_start, issue.week_end), count=t.format_number(chats))
    markup = InlineKeyboardMarkup(
        [
            [
                _button(t.gettext("Yes, send now"), callbacks.EditIssue("go", issue_id)),
                _button(t.gettext("Cancel"), callbacks.EditIssue("cancel", issue_id)),
            ]
        ]
    )
    await update.effective_chat.send_message(escape(text), reply_markup=markup)


async def _send_now(update: Update, context: BotContext, t: Translator, issue_id: int) -> None:
    query = update.callback_query
    user, chat = update.effective_user, update.effective_chat
    assert query is not None and user is not None and chat is not None
    issue = await context.store.archive.issue_info(issue_id)
    if issue is None:
        await _expired(update, t)
        return
    if await _refused_as_sent(update, context, t, issue_id):
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    await _drop_schedules(context, issue_id)
    broadcast_id = await context.store.broadcasts.create(
        issue_id, editor_id=user.id, editor_chat_id=chat.id
    )
    await start_broadcast(
        bot=context.bot,
        store=context.store,
        delivery=context.bot_data.delivery,
        catalogs=context.catalogs,
        default_language=context.settings.default_language,
        broadcast_id=broadcast_id,
    )


async def _drop_schedules(context: BotContext, issue_id: int) -> None:
    """Cancel the planned broadcasts of an issue: sending or scheduling it replaces them.

    Only those planned for a time: one another editor is starting right now is left to
    the store, which lets exactly one of them deliver the issue.
    """
    broadcasts = context.store.broadcasts
    for planned in await broadcasts.with_status(BroadcastStatus.SCHEDULED):
        if (
            planned.issue.id == issue_id
            and planned.kind is BroadcastKind.ISSUE
            and planned.scheduled_at is not None
        ):
            if await broadcasts.cancel_scheduled(planned.id):
                log.info("Broadcast %s replaced by a newer one of issue %s", planned.id, issue_id)
            unschedule_broadcast(context.job_queue, planned.id)


async def _ask_time(update: Update, context: BotContext, t: Translator, issue_id: int) -> None:
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    if await context.store.archive.issue_info(issue_id) is None or await _already_sent(
        context, issue_id
    ):
        await _expired(update, t)
        return
    await query.answer()
    assert context.chat_data is not None
    context.chat_data[AWAITING_TIME] = issue_id
    zone = context.settings.timezone
    now = datetime.now(zone)
    choices = [now + timedelta(hours=1), (now + timedelta(days=1)).replace(hour=9, minute=0)]
    if context.settings.weekly_slot is not None:
        choices.insert(0, next_slot(context.settings.weekly_slot, now))
    rows = [
        [
            _button(
                f"{t.format_date(when.date())} {when:%H:%M}",
                callbacks.ScheduleAt(issue_id, int(when.timestamp())),
            )
        ]
        for when in choices
    ]
    text = t.gettext(
        "When should it go out? Pick a time, or send a date and time as YYYY-MM-DD HH:MM ({zone})."
    ).format(zone=str(zone))
    await update.effective_chat.send_message(escape(text), reply_markup=InlineKeyboardMarkup(rows))


async def schedule_text(update: Update, context: BotContext) -> None:
    """Take a typed date and time when the editor was asked for one."""
    if context.chat_data is None or AWAITING_TIME not in context.chat_data:
        return
    t = await editor_translator(update, context)
    message = update.effective_message
    if t is None or message is None:
        return
    when = parse_local_time(message.text or "", context.settings.timezone)
    if when is None:
        await message.reply_text(
            escape(
                t.gettext("Write the date and time as YYYY-MM-DD HH:MM, e.g. 2026-10-05 09:00.")
            )
        )
        raise ApplicationHandlerStop
    issue_id = context.chat_data.pop(AWAITING_TIME)
    assert update.effective_user is not None
    await _schedule(
        message, context, t, editor_id=update.effective_user.id, issue_id=issue_id, when=when
    )
    raise ApplicationHandlerStop


async def _schedule(
    message: Message,
    context: BotContext,
    t: Translator,
    *,
    editor_id: int,
    issue_id: int,
    when: datetime,
) -> None:
    now = datetime.now(when.tzinfo)
    if when <= now + timedelta(seconds=30):
        await message.chat.send_message(
            escape(t.gettext("Pick a time at least a minute from now."))
        )
        return
    if when > now + MAX_SCHEDULE_AHEAD:
        await message.chat.send_message(escape(t.gettext("Pick a time within the next year.")))
        return
    if await context.store.archive.issue_info(issue_id) is None or await _already_sent(
        context, issue_id
    ):
        await message.chat.send_message(
            escape(t.gettext("This list has expired. Send the command again."))
        )
        return
    if context.chat_data is not None:
        context.chat_data.pop(AWAITING_TIME, None)
    await _drop_schedules(context, issue_id)
    broadcast_id = await context.store.broadcasts.create(
        issue_id, editor_id=editor_id, editor_chat_id=message.chat.id, scheduled_at=when
    )
    broadcast = await context.store.broadcasts.get(broadcast_id)
    assert broadcast is not None
    schedule_broadcast(context.job_queue, broadcast)
    local = when.astimezone(context.settings.timezone)
    await message.chat.send_message(
        escape(
            t.gettext(
                "Scheduled for {date} at {time} ({zone}). "
                "/scheduled lists all scheduled broadcasts."
            ).format(
                date=t.format_date(local.date()),
                time=f"{local:%H:%M}",
                zone=str(context.settings.timezone),
            )
        )
    )


async def _apply_correction(
    update: Update, context: BotContext, t: Translator, issue_id: int
) -> None:
    query = update.callback_query
    user, chat = update.effective_user, update.effective_chat
    assert query is not None and user is not None and chat is not None
    assert context.chat_data is not None
    draft = context.chat_data.pop(PENDING_CORRECTION, None)
    issue = await context.store.archive.issue_info(issue_id)
    if (
        draft is None
        or issue is None
        or draft.week_start != issue.week_start
        or await _still_sending(context, issue_id)
    ):
        await _expired(update, t)
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    try:
        plan = await plan_correction(context.store, context.catalogs, issue_id, draft)
    except CorrectionRefused as exc:
        await chat.send_message(_refusal(t, exc))
        return
    await context.store.archive.save_issues([draft])
    broadcast_id = await context.store.broadcasts.create(
        issue_id, editor_id=user.id, editor_chat_id=chat.id, kind=BroadcastKind.CORRECTION
    )
    progress = await chat.send_message(
        escape(t.gettext("Preparing the broadcast…")),
        reply_markup=editor_reports.stop_button(t, broadcast_id),
    )
    await context.store.broadcasts.set_progress_message(broadcast_id, progress.message_id)
    await context.store.broadcasts.start_correction(broadcast_id, plan.source.id, plan.changed)
    broadcast = await context.store.broadcasts.get(broadcast_id)
    assert broadcast is not None
    context.bot_data.delivery.launch(broadcast)


async def scheduled_command(update: Update, context: BotContext) -> None:
    """List the running broadcasts (with Stop) and the scheduled ones (with Cancel)."""
    t = await editor_translator(update, context)
    if t is None:
        return
    chat = update.effective_chat
    assert chat is not None
    broadcasts = context.store.broadcasts
    running = await broadcasts.with_status(BroadcastStatus.SENDING)
    for broadcast in running:
        progress = context.bot_data.delivery.progress(broadcast.id)
        done, total = (progress.done, progress.total) if progress else (0, 0)
        text = t.gettext("Sending now: the issue of {week}, {done} of {total} messages").format(
            week=t.format_week(broadcast.issue.week_start, broadcast.issue.week_end),
            done=t.format_number(done),
            total=t.format_number(total),
        )
        await chat.send_message(
            escape(text),
            reply_markup=InlineKeyboardMarkup(
                [[_button(t.gettext("Stop"), callbacks.Stop(broadcast.id))]]
            ),
        )
    planned = await broadcasts.with_status(BroadcastStatus.SCHEDULED)
    if not planned:
        if not running:
            await chat.send_message(escape(t.gettext("No broadcast is scheduled.")))
        return
    zone = context.settings.timezone
    for broadcast in planned:
        assert broadcast.scheduled_at is not None
        local = broadcast.scheduled_at.astimezone(zone)
        text = t.gettext("The issue of {week}: {date} at {time}").format(
            week=t.format_week(broadcast.issue.week_start, broadcast.issue.week_end),
            date=t.format_date(local.date()),
            time=f"{local:%H:%M}",
        )
        await chat.send_message(
            escape(text),
            reply_markup=InlineKeyboardMarkup(
                [[_button(t.gettext("Cancel"), callbacks.Unschedule(broadcast.id))]]
            ),
        )
