"""What editors read: audiences, live progress, final reports, statistics."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, TelegramError
from telegram.ext import ExtBot

from bot.delivery.sender import BLOCKED, Progress
from bot.interface import payloads
from bot.newsletter.content import LANGUAGES
from bot.newsletter.i18n import LANGUAGE_NAMES, Catalogs, Translator, reply_language
from bot.newsletter.render import bold
from bot.newsletter.telegram_html import escape
from bot.storage import Broadcast, BroadcastKind, BroadcastStatus, DeliveryStatus, Store

log = logging.getLogger(__name__)


def editor_translator(
    catalogs: Catalogs, default_language: str, broadcast: Broadcast
) -> Translator:
    """Return the translator of the editor who planned a broadcast."""
    return catalogs[reply_language(broadcast.editor_language, None, default_language)]


def _week(t: Translator, broadcast: Broadcast) -> str:
    return t.format_week(broadcast.issue.week_start, broadcast.issue.week_end)


def audience_text(
    t: Translator, audience: Mapping[str, int], versions: Mapping[str, int], commentaries: int
) -> str:
    """Describe who will get an issue: chats per language and the languages that fall back."""
    lines = [bold(t.gettext("Audience"))]
    for language in LANGUAGES:
        chats = t.ngettext("{count} chat", "{count} chats", audience.get(language, 0)).format(
            count=t.format_number(audience.get(language, 0))
        )
        have = versions.get(language, 0)
        if have == commentaries:
            note = t.gettext("every commentary has a version in this language")
        elif have == 0:
            note = t.gettext("no version in this language: readers get another language")
        else:
            missing = commentaries - have
            note = t.ngettext(
                "{count} commentary will be sent in another language",
                "{count} commentaries will be sent in another language",
                missing,
            ).format(count=t.format_number(missing))
        lines.append(escape(f"{LANGUAGE_NAMES[language]}: {chats}; {note}"))
    return "\n".join(lines)


def progress_text(t: Translator, broadcast: Broadcast, progress: Progress) -> str:
    """Describe a running broadcast: sent of total, blocked and failed, per language."""
    if broadcast.kind is BroadcastKind.CORRECTION:
        title = t.gettext("Correcting the issue of {week}")
    else:
        title = t.gettext("Sending the issue of {week}")
    lines = [bold(title.format(week=_week(t, broadcast)))]
    lines.append(
        escape(
            t.gettext("{done} of {total} messages handled").format(
                done=t.format_number(progress.done), total=t.format_number(progress.total)
            )
        )
    )
    lines += _outcome_lines(t, progress)
    left = progress.seconds_left()
    if left is not None and progress.done < progress.total:
        minutes = max(1, round(left / 60))
        lines.append(
            escape(
                t.ngettext(
                    "About {count} minute left", "About {count} minutes left", minutes
                ).format(count=t.format_number(minutes))
            )
        )
    return "\n".join(lines)


def _outcome_lines(t: Translator, progress: Progress) -> list[str]:
    lines = []
    for language in progress.languages:
        total = progress.total_by_language[language]
        if not total:
            continue
        lines.append(
            escape(
                t.gettext(
                    "{language}: sent {sent} of {total}, blocked {blocked}, failed {failed}, "
                    "skipped {skipped}"
                ).format(
                    language=LANGUAGE_NAMES.get(language, language),
                    sent=t.format_number(progress.count(DeliveryStatus.SENT, language)),
                    total=t.format_number(total),
                    blocked=t.format_number(progress.count(BLOCKED, language)),
                    failed=t.format_number(progress.count(DeliveryStatus.FAILED, language)),
                    skipped=t.format_number(progress.count(DeliveryStatus.SKIPPED, language)),
                )
            )
        )
    return lines


def final_text(
    t: Translator, broadcast: Broadcast, progress: Progress, reasons: Sequence[tuple[str, int]]
) -> str:
    """Describe a broadcast that ended."""
    if broadcast.status is BroadcastStatus.CANCELLED:
        title = t.gettext("Stopped: the issue of {week}")
    elif broadcast.kind is BroadcastKind.CORRECTION:
        title = t.gettext("Corrected: the issue of {week}")
    else:
        title = t.gettext("Delivered: the issue of {week}")
    lines = [bold(title.format(week=_week(t, broadcast)))]
    sent = progress.count(DeliveryStatus.SENT)
    lines.append(
        escape(
            t.ngettext("{count} message sent", "{count} messages sent", sent).format(
                count=t.format_number(sent)
            )
        )
    )
    lines += _outcome_lines(t, progress)
    if reasons:
        lines.append(escape(t.gettext("Most common failures:")))
        lines += [escape(f"• {reason} ({t.format_number(n)})") for reason, n in reasons]
    return "\n".join(lines)


def stop_button(t: Translator, broadcast_id: int) -> InlineKeyboardMarkup:
    """Return the button that stops a running broadcast."""
    return _one_button(t.gettext("Stop"), payloads.Stop(broadcast_id))


def resume_button(t: Translator, broadcast_id: int) -> InlineKeyboardMarkup:
    """Return the button that carries on with a stopped or halted broadcast."""
    return _one_button(t.gettext("Resume"), payloads.Resume(broadcast_id))


def _one_button(label: str, action: payloads.Action) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=payloads.encode(action))]]
    )


def halted_text(t: Translator, broadcast: Broadcast, progress: Progress, reason: str) -> str:
    """Describe a broadcast that cannot go on for now, and what happens next."""
    lines = [
        bold(t.gettext("Halted: the issue of {week}").format(week=_week(t, broadcast))),
        escape(t.gettext("Sending cannot go on: {reason}").format(reason=reason)),
        escape(
            t.gettext("{done} of {total} messages handled").format(
                done=t.format_number(progress.done), total=t.format_number(progress.total)
            )
        ),
        *_outcome_lines(t, progress),
        "",
        escape(
            t.gettext(
                "Nothing is lost: the broadcast resumes where it stopped when the bot starts "
                "again, or when you press Resume once the problem is fixed."
            )
        ),
    ]
    return "\n".join(lines)


def takeover_text(t: Translator, me: str, resumed: int) -> str:
    """Tell an editor that this process took over from an active one that stopped."""
    lines = [
        bold(t.gettext("This bot process has taken over")),
        escape(
            t.gettext(
                "The process that was active stopped or lost its database; this one ({process}) "
                "now receives the updates and sends the broadcasts."
            ).format(process=me)
        ),
    ]
    if resumed:
        lines.append(
            escape(
                t.ngettext(
                    "{count} broadcast in progress resumes where it stopped.",
                    "{count} broadcasts in progress resume where they stopped.",
                    resumed,
                ).format(count=t.format_number(resumed))
            )
        )
    else:
        lines.append(escape(t.gettext("No broadcast was in progress.")))
    return "\n".join(lines)


async def announce_takeover(
    bot: ExtBot[Any],
    store: Store,
    catalogs: Catalogs,
    editor_ids: Iterable[int],
    default: str,
    *,
    me: str,
    resumed: int,
) -> None:
    """Tell every editor, each in their language, that this process took over."""
    for editor_id in editor_ids:
        language = await store.subscriptions.language(editor_id)
        t = catalogs[reply_language(language, None, default)]
        try:
            await bot.send_message(editor_id, takeover_text(t, me, resumed))
        except TelegramError as exc:
            log.warning("Could not tell editor %s about the takeover: %s", editor_id, exc)


class EditorReporter:
    """Keep the editor's progress message up to date, then replace it with the report."""

    def __init__(
        self, *, bot: ExtBot[Any], store: Store, catalogs: Catalogs, default: str
    ) -> None:
        self._bot = bot
        self._store = store
        self._catalogs = catalogs
        self._default = default

    def translator(self, broadcast: Broadcast) -> Translator:
        """Return the translator of the editor who planned the broadcast."""
        return editor_translator(self._catalogs, self._default, broadcast)

    async def progress(self, broadcast: Broadcast, progress: Progress) -> None:
        """Edit the progress message with the latest counts."""
        current = await self._store.broadcasts.get(broadcast.id)
        if current is None or current.progress_message_id is None:
            return
        t = self.translator(current)
        await self._edit(current, progress_text(t, current, progress), stop_button(t, current.id))

    async def finished(self, broadcast: Broadcast, progress: Progress) -> None:
        """Replace the progress message with the final report."""
        t = self.translator(broadcast)
        reasons = await self._store.broadcasts.failure_reasons(broadcast.id)
        text = final_text(t, broadcast, progress, reasons)
        stopped = broadcast.status is BroadcastStatus.CANCELLED
        await self._replace(broadcast, text, resume_button(t, broadcast.id) if stopped else None)

    async def halted(self, broadcast: Broadcast, progress: Progress, reason: str) -> None:
        """Replace the progress message with why the broadcast halted, and a Resume button."""
        current = await self._store.broadcasts.get(broadcast.id) or broadcast
        t = self.translator(current)
        text = halted_text(t, current, progress, reason)
        await self._replace(current, text, resume_button(t, current.id))

    async def _replace(
        self, broadcast: Broadcast, text: str, markup: InlineKeyboardMarkup | None
    ) -> None:
        """Put a report in place of the progress message, or send it when that fails."""
        if broadcast.progress_message_id is not None:
            try:
                await self._edit(broadcast, text, markup)
            except BadRequest as exc:
                # Deleted or too old to edit: the report must still reach the editor.
                log.info(
                    "Could not edit the progress message of broadcast %s (%s); sending the "
                    "report anew",
                    broadcast.id,
                    exc.message,
                )
            else:
                return
        await self._bot.send_message(broadcast.editor_chat_id, text, reply_markup=markup)

    async def _edit(
        self, broadcast: Broadcast, text: str, markup: InlineKeyboardMarkup | None
    ) -> None:
        assert broadcast.progress_message_id is not None
        try:
            await self._bot.edit_message_text(
                text,
                chat_id=broadcast.editor_chat_id,
                message_id=broadcast.progress_message_id,
                reply_markup=markup,
            )
        except BadRequest as exc:
            if "not modified" not in exc.message:
                raise
