"""Editors compose, preview, send, schedule, stop and correct broadcasts inside Telegram.

Each handler reads the update, asks `bot.editorial.workflow` to act and shows the answer with
`bot.editorial.views`; the life of a broadcast is not decided here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from telegram import Message, Update
from telegram.ext import ApplicationHandlerStop

from bot.context import BotContext
from bot.delivery.compose import render_issue
from bot.editorial import views
from bot.editorial.scheduling import parse_local_time
from bot.editorial.workflow import Editor, ScheduleOutcome, UploadOutcome, already_delivered_text
from bot.errors import CorrectionRefused
from bot.interface import payloads
from bot.interface.payloads import IssueAction
from bot.newsletter.i18n import Translator
from bot.newsletter.telegram_html import escape
from bot.storage import IssueInfo
from handlers.common import answer_expired
from handlers.guards import editors_only

MAX_UPLOAD_BYTES: Final = 1_000_000
AWAITING_TIME: Final = "awaiting_schedule_for"
PENDING_CORRECTION: Final = "pending_correction"


def _editor(update: Update, t: Translator) -> Editor:
    assert update.effective_user is not None and update.effective_chat is not None
    return Editor(update.effective_user.id, update.effective_chat.id, t.language)


@editors_only
async def broadcast_command(update: Update, context: BotContext, t: Translator) -> None:
    """Start a broadcast: ask for the issue's files, or offer the imported unpublished issues."""
    assert update.effective_chat is not None
    text, markup = views.new_broadcast(t, await context.store.archive.unpublished_issues())
    await update.effective_chat.send_message(text, reply_markup=markup)


@editors_only
async def upload(update: Update, context: BotContext, t: Translator) -> None:
    """Take an uploaded issue file: store it, or offer the correction of a sent issue."""
    message = update.effective_message
    assert message is not None and message.document is not None
    document = message.document
    name = document.file_name or "upload.md"
    if (document.file_size or 0) > MAX_UPLOAD_BYTES:
        text = t.gettext("{file} is larger than 1 MB, the limit for an issue file.")
        await message.reply_text(escape(text.format(file=name)))
        return
    content = await (await document.get_file()).download_as_bytearray()
    result = await context.bot_data.editorial.receive_upload(name, bytes(content))
    text, markup = views.upload_answer(t, name, result)
    if markup is None:
        await message.reply_text(text)
    else:
        await message.chat.send_message(text, reply_markup=markup)
    if result.outcome is UploadOutcome.CORRECTION:
        assert context.chat_data is not None
        context.chat_data[PENDING_CORRECTION] = result.draft
    elif result.outcome is UploadOutcome.STORED:
        assert result.issue is not None
        await _issue_card(message, context, t, result.issue)


async def _issue_card(
    message: Message, context: BotContext, t: Translator, issue: IssueInfo
) -> None:
    total, versions = await context.store.archive.versions(issue.id)
    audience = await context.store.subscriptions.count_active()
    text, markup = views.issue_card(t, issue, total, versions, audience)
    await message.chat.send_message(text, reply_markup=markup)


@editors_only
async def editor_button(update: Update, context: BotContext, t: Translator) -> None:
    """Handle the buttons of an issue's card and of the questions that follow it."""
    query = update.callback_query
    assert query is not None and isinstance(query.message, Message)
    message = query.message
    match payloads.parse(query.data):
        case payloads.EditIssue(IssueAction.PICK, issue_id):
            issue = await context.store.archive.issue_info(issue_id)
            if issue is None or issue.published:
                await answer_expired(query, t)
                return
            await query.answer()
            await _issue_card(message, context, t, issue)
        case payloads.Preview(issue_id, language):
            await _preview(update, context, t, issue_id, language)
        case payloads.EditIssue(IssueAction.SEND, issue_id):
            await _confirm_send(update, context, t, issue_id)
        case payloads.EditIssue(IssueAction.GO, issue_id):
            await _send_now(update, context, t, issue_id)
        case payloads.EditIssue(IssueAction.SCHEDULE, issue_id):
            await _ask_time(update, context, t, issue_id)
        case payloads.ScheduleAt(issue_id, timestamp):
            await query.answer()
            try:
                when = datetime.fromtimestamp(timestamp, tz=UTC)
            except (ValueError, OverflowError, OSError):  # past year 9999: a forged press
                when = datetime.max.replace(tzinfo=UTC)
            await _schedule(
                message, context, t, editor=_editor(update, t), issue=issue_id, when=when
            )
        case payloads.EditIssue(IssueAction.CANCEL, _):
            await query.answer()
            assert context.chat_data is not None
            context.chat_data.pop(AWAITING_TIME, None)
            context.chat_data.pop(PENDING_CORRECTION, None)
            await query.edit_message_reply_markup(None)
            text = t.gettext("Cancelled. Nothing was sent or changed.")
            await message.chat.send_message(escape(text))
        case payloads.EditIssue(IssueAction.FIX, issue_id):
            await _apply_correction(update, context, t, issue_id)
        case _:
            await answer_expired(query, t)


async def _sendable(
    update: Update, context: BotContext, t: Translator, issue_id: int
) -> IssueInfo | None:
    """Return the issue if it may still be sent; else answer the press and return None."""
    query = update.callback_query
    assert query is not None
    holder = await context.bot_data.editorial.delivery_of(issue_id)
    if holder is not None:
        await query.answer(already_delivered_text(t, holder), show_alert=True)
        return None
    issue = await context.store.archive.issue_info(issue_id)
    if issue is None:
        await answer_expired(query, t)
    return issue


async def _confirm_send(update: Update, context: BotContext, t: Translator, issue_id: int) -> None:
    assert update.callback_query is not None and update.effective_chat is not None
    if (issue := await _sendable(update, context, t, issue_id)) is None:
        return
    await update.callback_query.answer()
    chats = sum((await context.store.subscriptions.count_active()).values())
    text, markup = views.confirm_send(t, issue, chats)
    await update.effective_chat.send_message(text, reply_markup=markup)


async def _send_now(update: Update, context: BotContext, t: Translator, issue_id: int) -> None:
    assert update.callback_query is not None
    if await _sendable(update, context, t, issue_id) is None:
        return
    await update.callback_query.answer()
    await update.callback_query.edit_message_reply_markup(None)
    await context.bot_data.editorial.send_now(issue_id, _editor(update, t))


async def _ask_time(update: Update, context: BotContext, t: Translator, issue_id: int) -> None:
    assert update.callback_query is not None and update.effective_chat is not None
    if await _sendable(update, context, t, issue_id) is None:
        return
    await update.callback_query.answer()
    assert context.chat_data is not None
    context.chat_data[AWAITING_TIME] = issue_id
    settings = context.settings
    now = datetime.now(settings.timezone)
    text, markup = views.ask_time(t, issue_id, settings.timezone, settings.weekly_slot, now)
    await update.effective_chat.send_message(text, reply_markup=markup)


async def _preview(
    update: Update, context: BotContext, t: Translator, issue_id: int, language: str
) -> None:
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    rendered = await render_issue(context.store, context.catalogs, issue_id)
    messages = [m for m in rendered if m.language == language]
    if not messages:
        await answer_expired(query, t)
        return
    await query.answer()
    chat = update.effective_chat
    await chat.send_message(views.preview_header(t, language, len(messages)))
    for message in messages:
        await chat.send_message(message.text)


async def schedule_text(update: Update, context: BotContext) -> None:
    """Take a typed date and time when the editor was asked for one."""
    if context.chat_data is None or AWAITING_TIME not in context.chat_data:
        return
    await _typed_time(update, context)
    raise ApplicationHandlerStop


@editors_only
async def _typed_time(update: Update, context: BotContext, t: Translator) -> None:
    message = update.effective_message
    assert message is not None and context.chat_data is not None
    when = parse_local_time(message.text or "", context.settings.timezone)
    if when is None:
        text = t.gettext("Write the date and time as YYYY-MM-DD HH:MM, e.g. 2026-10-05 09:00.")
        await message.reply_text(escape(text))
        return
    issue_id = context.chat_data[AWAITING_TIME]
    await _schedule(message, context, t, editor=_editor(update, t), issue=issue_id, when=when)


async def _schedule(
    message: Message,
    context: BotContext,
    t: Translator,
    *,
    editor: Editor,
    issue: int,
    when: datetime,
) -> None:
    result = await context.bot_data.editorial.schedule(issue, editor, when)
    if result.outcome is ScheduleOutcome.SCHEDULED and context.chat_data is not None:
        context.chat_data.pop(AWAITING_TIME, None)
    await message.chat.send_message(views.schedule_answer(t, result, context.settings.timezone))


async def _apply_correction(
    update: Update, context: BotContext, t: Translator, issue_id: int
) -> None:
    query = update.callback_query
    assert query is not None and update.effective_chat is not None
    assert context.chat_data is not None
    draft = context.chat_data.pop(PENDING_CORRECTION, None)
    issue = await context.store.archive.issue_info(issue_id)
    editorial = context.bot_data.editorial
    if (
        draft is None
        or issue is None
        or draft.week_start != issue.week_start
        or await editorial.sending(issue_id)
    ):
        await answer_expired(query, t)
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    try:
        await editorial.apply_correction(issue_id, draft, _editor(update, t))
    except CorrectionRefused as exc:
        await update.effective_chat.send_message(views.refusal(t, exc))
