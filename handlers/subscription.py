"""Subscribing, choosing language and topics, and unsubscribing."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Chat, Update

from bot.context import BotContext
from bot.interface import keyboards, menu, payloads
from bot.newsletter.i18n import LANGUAGE_NAMES, Translator
from bot.newsletter.telegram_html import escape
from bot.storage import ChatStatus, SubscribeOutcome
from handlers.common import answer_expired, chat_title, translator
from handlers.guards import admins_only, refused_non_admin

log = logging.getLogger(__name__)


@admins_only
async def subscribe_command(update: Update, context: BotContext, t: Translator) -> None:
    """Start a subscription: resume the kept one, or ask for a language."""
    chat = update.effective_chat
    assert chat is not None
    record = await context.store.subscriptions.get(chat.id)
    if record is not None and record.subscribed:
        await _offer_topics(
            chat,
            context,
            context.catalogs[record.language],
            t.gettext("This chat is already subscribed (language: {language}).").format(
                language=LANGUAGE_NAMES[record.language]
            ),
        )
        return
    if record is not None and record.status is not ChatStatus.NONE:
        await subscribe(chat, context, record.language)
        return
    await chat.send_message(
        escape(t.gettext("Choose the language of your subscription:")),
        reply_markup=keyboards.languages(payloads.Subscribe),
    )


async def subscribe_with_language(update: Update, context: BotContext, language: str) -> None:
    """Subscribe in one step from a `sub_<language>` deep link."""
    chat = update.effective_chat
    assert chat is not None
    if await refused_non_admin(update, context, await translator(update, context)):
        return
    if language not in LANGUAGE_NAMES:
        await subscribe_command(update, context)
        return
    await subscribe(chat, context, language)


async def subscribe(chat: Chat, context: BotContext, language: str) -> None:
    """Subscribe a chat in a language and tell it what happens next."""
    outcome = await context.store.subscriptions.subscribe(
        chat.id, kind=chat.type, title=chat_title(chat), language=language
    )
    record = await context.store.subscriptions.get(chat.id)
    assert record is not None
    if outcome is SubscribeOutcome.ALREADY and record.language != language:
        await context.store.subscriptions.set_language(chat.id, language)
    t = context.catalogs[language]
    name = LANGUAGE_NAMES[language]
    if outcome is SubscribeOutcome.CREATED:
        log.info("Chat %s subscribed in %s", chat.id, language)
        intro = t.gettext(
            "Subscribed (language: {language}). Every new commentary will arrive here; "
            "/latest shows the current issue."
        ).format(language=name)
    elif outcome is SubscribeOutcome.RESUMED:
        log.info("Chat %s resumed its subscription in %s", chat.id, language)
        intro = t.gettext(
            "Welcome back! Your subscription (language: {language}) is active again, "
            "with the topics you had chosen."
        ).format(language=name)
    else:
        intro = t.gettext("This chat is already subscribed (language: {language}).").format(
            language=name
        )
    await _offer_topics(chat, context, t, intro)


async def _offer_topics(chat: Chat, context: BotContext, t: Translator, intro: str) -> None:
    topics = await context.store.archive.topics(t.language)
    record = await context.store.subscriptions.get(chat.id)
    assert record is not None
    if not topics:
        await chat.send_message(escape(intro))
        return
    text = intro + "\n\n" + t.gettext("You can follow all topics or only some of them:")
    await chat.send_message(
        escape(text), reply_markup=keyboards.topics_picker(topics, record.topics, t)
    )


@admins_only
async def language_command(update: Update, context: BotContext, t: Translator) -> None:
    """Offer the languages the chat can switch to."""
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(
        escape(
            t.gettext("The current language is {language}. Choose another one:").format(
                language=LANGUAGE_NAMES[t.language]
            )
        ),
        reply_markup=keyboards.languages(payloads.SetLanguage),
    )


@admins_only
async def unsubscribe_command(update: Update, context: BotContext, t: Translator) -> None:
    """Stop deliveries to the chat, keeping its preferences."""
    chat = update.effective_chat
    assert chat is not None
    if await context.store.subscriptions.unsubscribe(chat.id):
        log.info("Chat %s unsubscribed", chat.id)
        text = t.gettext(
            "Unsubscribed: no more commentaries will be sent here. Your language and topics "
            "are kept; /subscribe brings them back."
        )
    else:
        text = t.gettext("This chat is not subscribed. Send /subscribe to start.")
    await chat.send_message(escape(text))


@admins_only
async def subscription_button(update: Update, context: BotContext, t: Translator) -> None:
    """Handle the language and topic buttons of the subscription dialogs."""
    query = update.callback_query
    chat = update.effective_chat
    assert query is not None and chat is not None
    action = payloads.parse(query.data)
    match action:
        case payloads.Subscribe(language):
            await query.answer()
            await query.edit_message_reply_markup(None)
            await subscribe(chat, context, language)
        case payloads.SetLanguage(language):
            await query.answer()
            await _set_language(update, context, chat, language)
        case payloads.ToggleTopic(topic_key, page):
            await _toggle_topic(query, context, chat, t, topic_key, page=page)
        case payloads.TopicsPage(page):
            await _turn_topics(query, context, chat, t, page)
        case payloads.TopicsDone():
            await _topics_done(query, context, chat, t)
        case _:
            await answer_expired(query, t)


async def _set_language(update: Update, context: BotContext, chat: Chat, language: str) -> None:
    subscriptions = context.store.subscriptions
    if await subscriptions.language(chat.id) is None:
        await subscriptions.remember(
            chat.id, kind=chat.type, title=chat_title(chat), language=language
        )
    await subscriptions.set_language(chat.id, language)
    t = context.catalogs[language]
    text = t.gettext("The language is now {language}.").format(language=LANGUAGE_NAMES[language])
    record = await subscriptions.get(chat.id)
    if record is None or not record.subscribed:
        text += " " + t.gettext("Send /subscribe to receive the weekly commentaries.")
    assert update.callback_query is not None
    await update.callback_query.edit_message_text(escape(text))
    await menu.set_chat_menu(
        context.bot, chat.id, t, editor=chat.id in context.settings.editor_ids
    )


async def _turn_topics(
    query: CallbackQuery, context: BotContext, chat: Chat, t: Translator, page: int
) -> None:
    record = await context.store.subscriptions.get(chat.id)
    topics = await context.store.archive.topics(t.language)
    if record is None or not record.subscribed or not topics:
        await answer_expired(query, t)
        return
    await query.answer()
    await query.edit_message_reply_markup(keyboards.topics_picker(topics, record.topics, t, page))


async def _toggle_topic(
    query: CallbackQuery,
    context: BotContext,
    chat: Chat,
    t: Translator,
    topic_key: str | None,
    *,
    page: int,
) -> None:
    record = await context.store.subscriptions.get(chat.id)
    topics = await context.store.archive.topics(t.language)
    known = {topic.key for topic in topics}
    if record is None or not record.subscribed or (topic_key and topic_key not in known):
        await answer_expired(query, t)
        return
    chosen: frozenset[str] | None
    if topic_key is None:
        chosen = None
    elif record.topics is None:
        chosen = frozenset({topic_key})
    elif topic_key in record.topics:
        chosen = record.topics - {topic_key} or None
    else:
        chosen = record.topics | {topic_key}
    if chosen is not None and known <= chosen:
        chosen = None
    await context.store.subscriptions.set_topics(chat.id, chosen)
    await query.answer()
    await query.edit_message_reply_markup(keyboards.topics_picker(topics, chosen, t, page))


async def _topics_done(
    query: CallbackQuery, context: BotContext, chat: Chat, t: Translator
) -> None:
    record = await context.store.subscriptions.get(chat.id)
    if record is None or not record.subscribed:
        await answer_expired(query, t)
        return
    await query.answer()
    names = [
        topic.name
        for topic in await context.store.archive.topics(t.language)
        if record.topics is not None and topic.key in record.topics
    ]
    if not names:
        text = t.gettext("Done. You will receive commentaries on all topics.")
    else:
        text = t.ngettext(
            "Done. You will receive commentaries on this topic: {topics}.",
            "Done. You will receive commentaries on these topics: {topics}.",
            len(names),
        ).format(topics=", ".join(names))
    await query.edit_message_text(escape(text))
