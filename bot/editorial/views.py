"""What editors are shown in their dialogs: issue cards, questions, plans and lists.

Each function returns the HTML text of one message and its keyboard; handlers send them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.config import WeeklySlot
from bot.delivery.corrections import CorrectionPlan
from bot.delivery.sender import Progress
from bot.editorial.reports import audience_text
from bot.editorial.scheduling import next_slot
from bot.editorial.workflow import Scheduled, ScheduleOutcome, Upload, UploadOutcome
from bot.errors import CorrectionRefused
from bot.interface import payloads
from bot.interface.payloads import IssueAction
from bot.newsletter.content import LANGUAGES
from bot.newsletter.i18n import LANGUAGE_NAMES, Translator
from bot.newsletter.render import bold
from bot.newsletter.telegram_html import MESSAGE_LIMIT, escape, truncate_html
from bot.storage import Broadcast, IssueInfo

View = tuple[str, InlineKeyboardMarkup | None]
"""A message's HTML text and its keyboard."""

CHANGED_PREVIEW_LIMIT = 3000
"""How much of the first changed message a correction's plan quotes."""


def _button(text: str, action: payloads.Action) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=payloads.encode(action))


def _on_issue(text: str, action: IssueAction, issue_id: int) -> InlineKeyboardButton:
    return _button(text, payloads.EditIssue(action, issue_id))


def _week(t: Translator, issue: IssueInfo) -> str:
    return t.format_week(issue.week_start, issue.week_end)


def new_broadcast(t: Translator, unpublished: Sequence[IssueInfo]) -> View:
    """Ask for the issue's files, offering the imported issues not yet published."""
    text = t.gettext(
        "New broadcast. Send me the issue's Markdown files as documents, one per language "
        "(the format the importer reads)."
    )
    if not unpublished:
        return escape(text), None
    text += "\n\n" + t.gettext("Or pick an issue that is already imported:")
    rows = [[_on_issue(_week(t, issue), IssueAction.PICK, issue.id)] for issue in unpublished[:10]]
    return escape(text), InlineKeyboardMarkup(rows)


def issue_card(
    t: Translator,
    issue: IssueInfo,
    commentaries: int,
    versions: Mapping[str, int],
    audience: Mapping[str, int],
) -> View:
    """Show an issue with its versions, its audience and what the editor can do with it."""
    lines = [
        bold(t.gettext("Issue of {week}").format(week=_week(t, issue))),
        escape(
            t.ngettext("{count} commentary", "{count} commentaries", commentaries).format(
                count=t.format_number(commentaries)
            )
        ),
        "",
        audience_text(t, audience, versions, commentaries),
        "",
        escape(t.gettext("Preview each language, then send or schedule.")),
    ]
    rows = [
        [
            _button(
                t.gettext("Preview: {language}").format(language=LANGUAGE_NAMES[language]),
                payloads.Preview(issue.id, language),
            )
            for language in LANGUAGES
        ],
        [
            _on_issue(t.gettext("Send now"), IssueAction.SEND, issue.id),
            _on_issue(t.gettext("Schedule"), IssueAction.SCHEDULE, issue.id),
        ],
        [_on_issue(t.gettext("Cancel"), IssueAction.CANCEL, issue.id)],
    ]
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def preview_header(t: Translator, language: str, count: int) -> str:
    """Announce a preview of one language's messages."""
    return bold(
        t.ngettext(
            "Preview, {language}: {count} message, exactly as readers get it",
            "Preview, {language}: {count} messages, exactly as readers get them",
            count,
        ).format(language=LANGUAGE_NAMES[language], count=t.format_number(count))
    )


def confirm_send(t: Translator, issue: IssueInfo, chats: int) -> View:
    """Ask whether to send an issue now, saying to how many chats."""
    text = t.ngettext(
        "Send the issue of {week} to {count} chat now?",
        "Send the issue of {week} to {count} chats now?",
        chats,
    ).format(week=_week(t, issue), count=t.format_number(chats))
    markup = InlineKeyboardMarkup(
        [
            [
                _on_issue(t.gettext("Yes, send now"), IssueAction.GO, issue.id),
                _on_issue(t.gettext("Cancel"), IssueAction.CANCEL, issue.id),
            ]
        ]
    )
    return escape(text), markup


def ask_time(
    t: Translator, issue_id: int, zone: ZoneInfo, slot: WeeklySlot | None, now: datetime
) -> View:
    """Offer times to schedule an issue at: the weekly slot, in an hour, tomorrow at 9:00."""
    choices = [now + timedelta(hours=1), (now + timedelta(days=1)).replace(hour=9, minute=0)]
    if slot is not None:
        choices.insert(0, next_slot(slot, now))
    rows = [
        [
            _button(
                f"{t.format_date(when.date())} {t.format_time(when)}",
                payloads.ScheduleAt(issue_id, int(when.timestamp())),
            )
        ]
        for when in choices
    ]
    text = t.gettext(
        "When should it go out? Pick a time, or send a date and time as YYYY-MM-DD HH:MM ({zone})."
    ).format(zone=str(zone))
    return escape(text), InlineKeyboardMarkup(rows)


def schedule_answer(t: Translator, result: Scheduled, zone: ZoneInfo) -> str:
    """Confirm the time a broadcast was scheduled for, or say why it was not."""
    match result.outcome:
        case ScheduleOutcome.TOO_SOON:
            return escape(t.gettext("Pick a time at least a minute from now."))
        case ScheduleOutcome.TOO_LATE:
            return escape(t.gettext("Pick a time within the next year."))
        case ScheduleOutcome.UNAVAILABLE:
            return escape(t.gettext("This list has expired. Send the command again."))
    assert result.broadcast is not None and result.broadcast.scheduled_at is not None
    local = result.broadcast.scheduled_at.astimezone(zone)
    return escape(
        t.gettext(
            "Scheduled for {date} at {time} ({zone}). /scheduled lists all scheduled broadcasts."
        ).format(date=t.format_date(local.date()), time=t.format_time(local), zone=str(zone))
    )


def refusal(t: Translator, exc: CorrectionRefused) -> str:
    """Say, in the editor's language, why a correction cannot be applied."""
    reason = t.gettext(exc.reason).format(**exc.details)
    return escape(t.gettext("This correction cannot be applied: {reason}.").format(reason=reason))


def correction_offer(t: Translator, issue: IssueInfo, plan: CorrectionPlan) -> View:
    """Show how many delivered messages a correction edits and the first one's new text."""
    lines = [
        bold(t.gettext("Correction of the issue of {week}").format(week=_week(t, issue))),
        escape(t.gettext("Delivered messages that will be edited (not sent again):")),
    ]
    lines += [
        escape(
            f"{LANGUAGE_NAMES[language]}: "
            + t.ngettext("{count} message", "{count} messages", n).format(count=t.format_number(n))
        )
        for language, n in sorted(plan.by_language().items())
    ]
    lines += ["", escape(t.gettext("The first changed message will read:")), ""]
    lines.append(truncate_html(plan.changed[0].text, CHANGED_PREVIEW_LIMIT))
    markup = InlineKeyboardMarkup(
        [
            [
                _on_issue(t.gettext("Apply the correction"), IssueAction.FIX, issue.id),
                _on_issue(t.gettext("Cancel"), IssueAction.CANCEL, issue.id),
            ]
        ]
    )
    return "\n".join(lines), markup


def running_entry(t: Translator, broadcast: Broadcast, progress: Progress | None) -> View:
    """List a broadcast being sent, with its Stop button."""
    done, total = (progress.done, progress.total) if progress else (0, 0)
    text = t.gettext("Sending now: the issue of {week}, {done} of {total} messages").format(
        week=_week(t, broadcast.issue),
        done=t.format_number(done),
        total=t.format_number(total),
    )
    markup = InlineKeyboardMarkup([[_button(t.gettext("Stop"), payloads.Stop(broadcast.id))]])
    return escape(text), markup


def planned_entry(t: Translator, broadcast: Broadcast, zone: ZoneInfo) -> View:
    """List a scheduled broadcast, with its Cancel button."""
    assert broadcast.scheduled_at is not None
    local = broadcast.scheduled_at.astimezone(zone)
    text = t.gettext("The issue of {week}: {date} at {time}").format(
        week=_week(t, broadcast.issue),
        date=t.format_date(local.date()),
        time=t.format_time(local),
    )
    markup = InlineKeyboardMarkup(
        [[_button(t.gettext("Cancel"), payloads.Unschedule(broadcast.id))]]
    )
    return escape(text), markup


def upload_answer(t: Translator, name: str, result: Upload) -> View:
    """Say what became of an uploaded file: stored, refused with its errors, or a correction."""
    issue = result.issue
    week = "" if issue is None else _week(t, issue)
    match result.outcome:
        case UploadOutcome.NOT_UTF8:
            text = t.gettext("{file} is not UTF-8 text; save it as UTF-8.").format(file=name)
        case UploadOutcome.INVALID:
            lines = [escape(t.gettext("{file} was not imported:").format(file=name))]
            lines += [escape(f"• {error}") for error in result.errors]
            return truncate_html("\n".join(lines), MESSAGE_LIMIT), None
        case UploadOutcome.STORED:
            assert result.draft is not None
            text = t.gettext("Stored the {language} version of the issue of {week}.").format(
                language=LANGUAGE_NAMES[result.draft.language], week=week
            )
        case UploadOutcome.STILL_SENDING:
            text = t.gettext(
                "The issue of {week} is still being sent; send the corrected file again "
                "after the final report."
            ).format(week=week)
        case UploadOutcome.REFUSED:
            assert result.refusal is not None
            return refusal(t, result.refusal), None
        case UploadOutcome.UNCHANGED:
            text = t.gettext("The issue of {week} was already delivered with this text.")
            text = text.format(week=week)
        case UploadOutcome.CORRECTION:
            assert issue is not None and result.plan is not None
            return correction_offer(t, issue, result.plan)
    return escape(text), None
