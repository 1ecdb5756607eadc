"""The website's feeds for editors: their state, pause and resume (/feeds), and the answers
to "which commentary is this?" cards."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.context import BotContext
from bot.interface import payloads
from bot.newsletter import render
from bot.newsletter.i18n import LANGUAGE_NAMES, Translator
from bot.newsletter.telegram_html import escape
from bot.storage.intake import FeedState
from handlers.common import answer_expired
from handlers.guards import editors_only


def _moment(t: Translator, context: BotContext, moment: datetime | None) -> str:
    if moment is None:
        return "—"
    local = moment.astimezone(context.settings.timezone)
    return f"{t.format_date(local.date())} {t.format_time(local)}"


def _feed_lines(t: Translator, context: BotContext, state: FeedState) -> list[str]:
    status = t.gettext("paused") if state.paused else t.gettext("active")
    lines = [
        render.bold(f"{LANGUAGE_NAMES[state.language]} — {status}"),
        escape(state.url),
        escape(
            t.gettext("Last success: {time}").format(
                time=_moment(t, context, state.last_success_at)
            )
        ),
        escape(
            t.ngettext("{count} post seen", "{count} posts seen", state.entries).format(
                count=t.format_number(state.entries)
            )
        ),
    ]
    if not state.paused:
        lines.append(
            escape(
                t.gettext("Next poll: {time}").format(time=_moment(t, context, state.next_poll_at))
            )
        )
    if state.failures:
        lines.append(
            escape(
                t.ngettext(
                    "Failing: {count} time in a row; last error at {time}: {error}",
                    "Failing: {count} times in a row; last error at {time}: {error}",
                    state.failures,
                ).format(
                    count=t.format_number(state.failures),
                    time=_moment(t, context, state.last_error_at),
                    error=state.last_error or "",
                )
            )
        )
    return lines


async def _feeds_view(
    context: BotContext, t: Translator
) -> tuple[str, InlineKeyboardMarkup | None]:
    intake = context.bot_data.feeds
    if intake is None:
        text = t.gettext(
            "No website feed is configured. Set FEED_URL_BE, FEED_URL_RU or FEED_URL_EN."
        )
        return escape(text), None
    states = {state.language: state for state in await context.store.intake.feeds()}
    blocks = [render.bold(t.gettext("Website feeds"))]
    rows = []
    for language, url in intake.feeds.items():
        state = states.get(language)
        if state is None:
            waiting = t.gettext("not polled yet")
            blocks.append(escape(f"{LANGUAGE_NAMES[language]} — {waiting}\n{url}"))
            continue
        blocks.append("\n".join(_feed_lines(t, context, state)))
        label = (
            t.gettext("Resume: {language}") if state.paused else t.gettext("Pause: {language}")
        ).format(language=LANGUAGE_NAMES[language])
        rows.append(
            [
                InlineKeyboardButton(
                    label,
                    callback_data=payloads.encode(
                        payloads.FeedPause(language, paused=not state.paused)
                    ),
                )
            ]
        )
    return "\n\n".join(blocks), InlineKeyboardMarkup(rows) if rows else None


@editors_only
async def feeds_command(update: Update, context: BotContext, t: Translator) -> None:
    """Show each feed's state, with a pause or resume button."""
    assert update.effective_chat is not None
    text, markup = await _feeds_view(context, t)
    await update.effective_chat.send_message(text, reply_markup=markup)


@editors_only
async def feed_button(update: Update, context: BotContext, t: Translator) -> None:
    """Pause or resume a feed, or take an editor's answer about an unmatched post."""
    query = update.callback_query
    assert query is not None and isinstance(query.message, Message)
    intake = context.bot_data.feeds
    match payloads.parse(query.data):
        case payloads.FeedPause(language, paused) if intake is not None:
            changed = await intake.set_paused(language, paused)
            if not changed:
                await answer_expired(query, t)
                return
            await query.answer()
            text, markup = await _feeds_view(context, t)
            await query.edit_message_text(text, reply_markup=markup)
        case payloads.FeedMatch(entry_id, commentary_id):
            decided = (
                await intake.decide(entry_id, commentary_id)
                if intake is not None
                else await context.store.intake.decide(entry_id, commentary_id)
            )
            if not decided:
                await answer_expired(query, t)
                return
            await query.answer()
            await query.edit_message_reply_markup(None)
            text = (
                t.gettext("Done: it is a commentary of its own.")
                if commentary_id is None
                else t.gettext("Done: the post is now a version of that commentary.")
            )
            await query.message.chat.send_message(escape(text))
        case _:
            await answer_expired(query, t)
