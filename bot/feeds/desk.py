"""What the editors hear from intake, in Telegram, in each editor's language.

Once per batch, each issue that got new or changed material is shown with the issue card
editors already know (preview per language, send now, schedule); in `FEED_MODE=auto` each
new version is also planned to go to its language's readers by itself (see `_auto_plan`),
and the card says when the first goes, with a button to hold them. A post no evidence
matched gets a card of its own to decide on; failures, recoveries, unmapped categories and
suspicious masses get one line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import TelegramError
from telegram.ext import ExtBot

from bot.config import Settings
from bot.editorial import views
from bot.editorial.workflow import Editor, Editorial
from bot.errors import CorrectionRefused
from bot.feeds.settings import FeedMode
from bot.interface import payloads
from bot.newsletter.content import LANGUAGES, CommentaryDraft, IssueDraft
from bot.newsletter.i18n import LANGUAGE_NAMES, N_, Catalogs, Translator, reply_language
from bot.newsletter.render import bold
from bot.newsletter.telegram_html import escape, truncate_text
from bot.operations.alerts import Alerts
from bot.storage import AutoPhase, BroadcastStatus, Store
from bot.storage.intake import Announcement, Candidate, FeedState, MatchedBy

log = logging.getLogger(__name__)

TITLE_LIMIT = 60
"""How much of a title a button shows."""


def match_card(t: Translator, item: Announcement, candidates: Sequence[Candidate]) -> views.View:
    """Ask whether an unmatched post is a translation of one of its week's commentaries."""
    text = "\n".join(
        [
            bold(t.gettext("Which commentary is this?")),
            escape(
                t.gettext(
                    "The website names no translation of “{title}” ({language}). "
                    "It is stored as a commentary of its own for now."
                ).format(title=item.title, language=LANGUAGE_NAMES[item.language])
            ),
        ]
    )
    rows = [
        [
            InlineKeyboardButton(
                t.gettext("Same commentary as “{title}”").format(
                    title=truncate_text(candidate.title, TITLE_LIMIT)
                ),
                callback_data=payloads.encode(
                    payloads.FeedMatch(item.entry_id, candidate.commentary_id)
                ),
            )
        ]
        for candidate in candidates[:8]
    ]
    rows.append(
        [
            InlineKeyboardButton(
                t.gettext("A commentary of its own"),
                callback_data=payloads.encode(payloads.FeedMatch(item.entry_id, None)),
            )
        ]
    )
    return text, InlineKeyboardMarkup(rows)


class EditorDesk:
    """Tell the editors about intake (implements `bot.feeds.intake.IntakeListener`)."""

    def __init__(
        self,
        *,
        bot: ExtBot[Any],
        store: Store,
        catalogs: Catalogs,
        settings: Settings,
        editorial: Editorial | None,
        offer_correction: Callable[[int, IssueDraft], None] | None = None,
        alerts: Alerts | None = None,
    ) -> None:
        self._bot = bot
        self._store = store
        self._catalogs = catalogs
        self._settings = settings
        self._editorial = editorial
        self._offer_correction = offer_correction
        """Remember a correction in an editor's chat, where its Apply button finds it."""
        self._alerts = alerts
        """The operators' alert chat, told too when a feed keeps failing."""

    async def _translator(self, editor_id: int) -> Translator:
        chosen = await self._store.subscriptions.language(editor_id)
        return self._catalogs[reply_language(chosen, None, self._settings.default_language)]

    async def _send(self, editor_id: int, text: str, markup: Any = None) -> None:
        try:
            await self._bot.send_message(editor_id, text, reply_markup=markup)
        except TelegramError as exc:
            log.warning("Could not tell editor %s about the feeds: %s", editor_id, exc)

    async def _tell_all(self, message: str, **values: object) -> None:
        for editor_id in sorted(self._settings.editor_ids):
            t = await self._translator(editor_id)
            await self._send(editor_id, escape(t.gettext(message).format(**values)))

    async def announce(self, items: Sequence[Announcement]) -> None:
        """Show each issue with new or changed posts once, and ask about unmatched posts."""
        issues: dict[int, list[Announcement]] = {}
        for item in items:
            if item.issue_id is not None:
                issues.setdefault(item.issue_id, []).append(item)
        for issue_id, batch in issues.items():
            await self._announce_issue(issue_id, batch)
        for item in items:
            if item.matched_by is MatchedBy.UNDECIDED:
                candidates = await self._store.intake.candidates(item.entry_id)
                if candidates:
                    for editor_id in sorted(self._settings.editor_ids):
                        t = await self._translator(editor_id)
                        await self._send(editor_id, *match_card(t, item, candidates))

    async def _announce_issue(self, issue_id: int, batch: Sequence[Announcement]) -> None:
        issue = await self._store.archive.issue_info(issue_id)
        if issue is None:
            return
        edited = [item for item in batch if item.edited_after_delivery]
        fresh = [item for item in batch if not item.edited_after_delivery]
        delivered = await self._store.broadcasts.last_delivery(issue_id) is not None
        planned = await self._auto_plan(fresh) if fresh and not delivered else None
        total, versions = await self._store.archive.versions(issue_id)
        audience = await self._store.subscriptions.count_active()
        for editor_id in sorted(self._settings.editor_ids):
            t = await self._translator(editor_id)
            week = t.format_week(issue.week_start, issue.week_end)
            if edited:
                text = t.ngettext(
                    "{count} post of the issue of {week} was edited on the website after the "
                    "issue was sent. Readers keep what they got; to correct their messages, "
                    "upload the corrected file: {titles}",
                    "{count} posts of the issue of {week} were edited on the website after the "
                    "issue was sent. Readers keep what they got; to correct their messages, "
                    "upload the corrected files: {titles}",
                    len(edited),
                ).format(
                    count=t.format_number(len(edited)),
                    week=week,
                    titles="; ".join(item.title for item in edited),
                )
                await self._send(editor_id, escape(text))
            if edited:
                await self._offer(editor_id, t, issue_id, edited)
            if not fresh:
                continue
            if delivered:
                text = t.gettext(
                    "New from the website for the issue of {week}, which was already sent: "
                    "{titles}. It is in the archive; readers were not sent it."
                ).format(week=week, titles="; ".join(item.title for item in fresh))
                await self._send(editor_id, escape(text))
                continue
            head = t.ngettext(
                "From the website: {count} new or changed post for the issue of {week}.",
                "From the website: {count} new or changed posts for the issue of {week}.",
                len(fresh),
            ).format(count=t.format_number(len(fresh)), week=week)
            card, markup = views.issue_card(t, issue, total, versions, audience)
            extra = ""
            if planned is not None:
                when = planned[1].astimezone(self._settings.timezone)
                extra = "\n\n" + escape(
                    t.gettext("It goes out by itself at {time} unless you hold it.").format(
                        time=f"{t.format_date(when.date())} {t.format_time(when)}"
                    )
                )
                hold = InlineKeyboardButton(
                    t.gettext("Hold"),
                    callback_data=payloads.encode(payloads.Unschedule(planned[0])),
                )
                assert markup is not None
                markup = InlineKeyboardMarkup([*markup.inline_keyboard, [hold]])
            await self._send(editor_id, escape(head) + "\n\n" + card + extra, markup)

    async def _correction_draft(
        self, issue_id: int, edited: Sequence[Announcement]
    ) -> IssueDraft | None:
        """Return the website's edits of one language of an issue as a corrected file would."""
        issue = await self._store.archive.issue_info(issue_id)
        if issue is None:
            return None
        language = edited[0].language
        commentaries = []
        for item in edited:
            correction = await self._store.intake.correction(item.entry_id)
            if correction is not None and item.language == language:
                commentaries.append(
                    CommentaryDraft(
                        key=correction.key,
                        topic_key=correction.topic_key,
                        topic_name=correction.topic_name,
                        position=correction.position,
                        text=correction.text,
                    )
                )
        if not commentaries:
            return None
        return IssueDraft(
            source=f"website ({language})",
            language=language,
            week_start=issue.week_start,
            week_end=issue.week_end,
            commentaries=tuple(commentaries),
        )

    async def _offer(
        self, editor_id: int, t: Translator, issue_id: int, edited: Sequence[Announcement]
    ) -> None:
        """Offer the editor the website's edit as the correction flow they know."""
        if self._editorial is None or self._offer_correction is None:
            return
        draft = await self._correction_draft(issue_id, edited)
        issue = await self._store.archive.issue_info(issue_id)
        if draft is None or issue is None:
            return
        try:
            plan = await self._editorial.plan_correction(issue_id, draft)
        except CorrectionRefused as exc:
            await self._send(editor_id, views.refusal(t, exc))
            return
        if not plan.changed:
            return
        self._offer_correction(editor_id, draft)
        await self._send(editor_id, *views.correction_offer(t, issue, plan))

    async def _auto_plan(self, fresh: Sequence[Announcement]) -> tuple[int, datetime] | None:
        """In auto mode, plan each new version's delivery; return the earliest one waiting.

        A version goes to its language's readers `AUTO_SEND_DELAY` after it arrives. The
        readers of a language the commentary lacks get the fallback `FALLBACK_AFTER` after
        its first version arrived, unless their version comes first; one that comes after
        the fallback went out is sent again with a note. Posts the editors must still match
        wait for them.
        """
        feeds = self._settings.feeds
        if feeds.mode is not FeedMode.AUTO or self._editorial is None:
            return None
        if not self._settings.editor_ids:
            return None
        editor_id = min(self._settings.editor_ids)
        editor = Editor(editor_id, editor_id, (await self._translator(editor_id)).language)
        now = datetime.now(UTC)
        delay = max(feeds.auto_send_delay, timedelta(minutes=1))
        fallback_at = now + max(feeds.fallback_after, delay)
        sends = self._store.auto_sends
        issue_id: int | None = None
        for item in fresh:
            if item.commentary_id is None or item.matched_by is MatchedBy.UNDECIDED:
                continue
            if await self._store.intake.undecided(item.commentary_id):
                continue  # the editors' answer may merge it into another commentary
            issue_id = item.issue_id
            own = item.language
            first = await sends.get(item.commentary_id, own, AutoPhase.FIRST)
            if first is not None and first.status is not BroadcastStatus.SCHEDULED:
                if first.fallback:
                    await self._editorial.plan_auto(
                        item.commentary_id, own, AutoPhase.LATE, now + delay, editor
                    )
            else:
                await self._editorial.plan_auto(
                    item.commentary_id, own, AutoPhase.FIRST, now + delay, editor
                )
            have = await self._store.archive.commentary_languages(item.commentary_id)
            for language in LANGUAGES:
                if language not in have:
                    await self._editorial.plan_auto(
                        item.commentary_id, language, AutoPhase.FIRST, fallback_at, editor
                    )
        if issue_id is None:
            return None
        waiting = await sends.scheduled_of_issue(issue_id)
        if not waiting or waiting[0].scheduled_at is None:
            return None
        log.info(
            "Issue %s from the feeds: %d deliveries planned, the first at %s",
            issue_id,
            len(waiting),
            waiting[0].scheduled_at.isoformat(),
        )
        return waiting[0].broadcast_id, waiting[0].scheduled_at

    async def failing(self, state: FeedState) -> None:
        """Tell the editors (and the operators' alert chat) a feed keeps failing."""
        if self._alerts is not None:
            t = self._catalogs[self._settings.default_language]
            text = t.ngettext(
                "The {language} feed {url} has failed {count} time in a row: {error}",
                "The {language} feed {url} has failed {count} times in a row: {error}",
                state.failures,
            ).format(
                language=LANGUAGE_NAMES[state.language],
                url=state.url,
                count=t.format_number(state.failures),
                error=state.last_error or "—",
            )
            await self._alerts.alert(f"feed-{state.language}", text)
        for editor_id in sorted(self._settings.editor_ids):
            t = await self._translator(editor_id)
            text = t.ngettext(
                "The {language} feed has failed {count} time in a row; the bot keeps trying. "
                "Last error: {error}",
                "The {language} feed has failed {count} times in a row; the bot keeps trying. "
                "Last error: {error}",
                state.failures,
            ).format(
                language=LANGUAGE_NAMES[state.language],
                count=t.format_number(state.failures),
                error=state.last_error or "",
            )
            await self._send(editor_id, escape(text))

    async def recovered(self, state: FeedState) -> None:
        """Tell the editors a failing feed works again."""
        await self._tell_all(
            N_("The {language} feed works again."), language=LANGUAGE_NAMES[state.language]
        )

    async def unmapped(self, language: str, category: str, title: str) -> None:
        """Tell the editors once about a category no topic lists."""
        await self._tell_all(
            N_(
                "The website category “{category}” ({language}, first seen on “{title}”) maps to "
                "no topic, so its posts go to the default topic. Add it to the topics file to "
                "change that."
            ),
            category=category or "—",
            language=LANGUAGE_NAMES[language],
            title=title,
        )

    async def migration(self, language: str, count: int) -> None:
        """Tell the editors a mass of old posts with new identities was held back."""
        for editor_id in sorted(self._settings.editor_ids):
            t = await self._translator(editor_id)
            text = t.ngettext(
                "The {language} feed suddenly shows {count} old post as new (did the website "
                "change its addresses?). It was not stored for sending.",
                "The {language} feed suddenly shows {count} old posts as new (did the website "
                "change its addresses?). None of them was stored for sending.",
                count,
            ).format(language=LANGUAGE_NAMES[language], count=t.format_number(count))
            await self._send(editor_id, escape(text))
