"""Reading: the latest issue, topics, topic archives, search and whole commentaries."""

from __future__ import annotations

from telegram import CallbackQuery, Chat, InlineKeyboardMarkup, Update

from bot.context import BotContext
from bot.interface import keyboards, payloads
from bot.newsletter import render
from bot.newsletter.i18n import Translator
from bot.newsletter.telegram_html import escape
from bot.storage import CommentaryView, Page, Topic
from handlers.common import answer_expired, translator

PAGE_SIZE = 5


async def latest_command(update: Update, context: BotContext) -> None:
    """Send the latest published issue in the chat's language."""
    chat = update.effective_chat
    assert chat is not None
    t = await translator(update, context)
    issue = await context.store.archive.latest_issue(t.language)
    if issue is None:
        await chat.send_message(escape(t.gettext("No issue has been published yet.")))
        return
    for part in render.issue_messages(issue, t):
        buttons = keyboards.read_buttons(part.commentaries, numbered=True, first=part.first)
        await chat.send_message(part.text, reply_markup=InlineKeyboardMarkup(buttons))


async def topics_command(update: Update, context: BotContext) -> None:
    """List the topics with their commentary counts and buttons to their archives."""
    chat = update.effective_chat
    assert chat is not None
    t = await translator(update, context)
    topics = await context.store.archive.topics(t.language)
    parts = render.topics_messages(topics, t)
    for part in parts[:-1]:
        await chat.send_message(part)
    await chat.send_message(
        parts[-1], reply_markup=keyboards.archive_topics(topics) if topics else None
    )


def _find_topic(topics: list[Topic], wanted: str) -> Topic | None:
    wanted = wanted.strip().casefold()
    for topic in topics:
        if wanted in (topic.key, topic.name.casefold()):
            return topic
    matches = [topic for topic in topics if topic.name.casefold().startswith(wanted)]
    return matches[0] if len(matches) == 1 else None


async def archive_command(update: Update, context: BotContext) -> None:
    """Open a topic's archive, or offer the topics when none (or an unknown one) is named."""
    chat = update.effective_chat
    assert chat is not None
    t = await translator(update, context)
    topics = await context.store.archive.topics(t.language)
    if not topics:
        await chat.send_message(escape(t.gettext("There are no published commentaries yet.")))
        return
    wanted = " ".join(context.args or ())
    topic = _find_topic(topics, wanted) if wanted else None
    if topic is None:
        text = t.gettext("Choose a topic:")
        if wanted:
            text = (
                t.gettext("There is no topic called “{name}”.").format(name=render.quote(wanted))
                + " "
                + text
            )
        await chat.send_message(escape(text), reply_markup=keyboards.archive_topics(topics))
        return
    await open_archive(chat, context, t, topic)


async def open_archive(chat: Chat, context: BotContext, t: Translator, topic: Topic) -> None:
    """Send the first page of a topic's archive."""
    page = await context.store.archive.topic_page(
        topic.key, t.language, page=0, per_page=PAGE_SIZE
    )
    await chat.send_message(
        render.page_message(topic.name, page, t),
        reply_markup=keyboards.page(page, lambda n: payloads.ArchivePage(topic.key, n)),
    )


async def search_command(update: Update, context: BotContext) -> None:
    """Search the commentaries in the chat's language for all the given words."""
    chat = update.effective_chat
    assert chat is not None
    t = await translator(update, context)
    query = " ".join(context.args or ())
    await run_search(chat, context, t, query)


async def search_text(update: Update, context: BotContext) -> None:
    """Treat plain text in a private chat as a search."""
    chat, message = update.effective_chat, update.effective_message
    assert chat is not None and message is not None
    t = await translator(update, context)
    await run_search(chat, context, t, message.text or "")


async def run_search(chat: Chat, context: BotContext, t: Translator, query: str) -> None:
    """Send the first page of results for a query, or say why there is none."""
    archive = context.store.archive
    if not any(char.isalnum() for char in query):
        await chat.send_message(
            escape(t.gettext("Write what to look for after the command, e.g. /search energy"))
        )
        return
    page = await archive.search(query, t.language, page=0, per_page=PAGE_SIZE)
    if not page.total:
        await chat.send_message(
            escape(t.gettext("Nothing found for “{query}”.").format(query=render.quote(query)))
        )
        return
    search_id = await context.store.searches.remember(chat.id, query, t.language)
    await chat.send_message(
        render.page_message(_search_title(t, query), page, t),
        reply_markup=keyboards.page(page, lambda n: payloads.SearchPage(search_id, n)),
    )


def _search_title(t: Translator, query: str) -> str:
    return t.gettext("Search: {query}").format(query=render.quote(query))


async def _show_page(
    query: CallbackQuery,
    title: str,
    page: Page[CommentaryView],
    markup: InlineKeyboardMarkup,
    t: Translator,
) -> None:
    await query.answer()
    await query.edit_message_text(render.page_message(title, page, t), reply_markup=markup)


async def reading_button(update: Update, context: BotContext) -> None:
    """Handle archive and search page buttons and the buttons that open a commentary."""
    query = update.callback_query
    chat = update.effective_chat
    assert query is not None and chat is not None
    t = await translator(update, context)
    archive = context.store.archive
    match payloads.parse(query.data):
        case payloads.ArchivePage(topic_key, number):
            topic = await archive.topic(topic_key, t.language)
            if topic is None:
                await answer_expired(query, t)
                return
            page = await archive.topic_page(topic_key, t.language, page=number, per_page=PAGE_SIZE)
            if not page.items:
                await answer_expired(query, t)
                return
            markup = keyboards.page(page, lambda n: payloads.ArchivePage(topic_key, n))
            await _show_page(query, topic.name, page, markup, t)
        case payloads.SearchPage(search_id, number):
            stored = await context.store.searches.recall(search_id, chat.id)
            if stored is None:
                await answer_expired(query, t)
                return
            text, language = stored
            page = await archive.search(text, language, page=number, per_page=PAGE_SIZE)
            if not page.items:
                await answer_expired(query, t)
                return
            markup = keyboards.page(page, lambda n: payloads.SearchPage(search_id, n))
            await _show_page(query, _search_title(t, text), page, markup, t)
        case payloads.TopicList(number):
            topics = await archive.topics(t.language)
            if not topics:
                await answer_expired(query, t)
                return
            await query.answer()
            await query.edit_message_reply_markup(keyboards.archive_topics(topics, number))
        case payloads.Read(commentary_id):
            view = await archive.commentary(commentary_id, t.language)
            if view is None:
                await answer_expired(query, t)
                return
            await query.answer()
            for part in render.commentary_messages(view, t):
                await chat.send_message(part)
        case _:
            await answer_expired(query, t)
