"""/start with its deep links, and /help."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType

from bot.context import BotContext
from bot.interface import keyboards, payloads
from bot.interface.commands import help_lines
from bot.newsletter import render
from bot.newsletter.i18n import LANGUAGE_NAMES
from bot.newsletter.telegram_html import escape
from bot.storage import ChatStatus
from handlers.common import translator
from handlers.reading import open_archive
from handlers.subscription import subscribe_command, subscribe_with_language


async def start(update: Update, context: BotContext) -> None:
    """Greet the chat, or follow a deep link (`sub_<language>`, `topic_<key>`)."""
    chat = update.effective_chat
    assert chat is not None
    payload = context.args[0] if context.args else ""
    t = await translator(update, context)
    if payload.startswith("sub_"):
        await subscribe_with_language(update, context, payload.removeprefix("sub_"))
        return
    if payload.startswith("topic_"):
        topic = await context.store.archive.topic(payload.removeprefix("topic_"), t.language)
        if topic is not None:
            await open_archive(chat, context, t, topic)
            return
    text = t.gettext(
        "Hello! This bot delivers a weekly analytical commentary on Belarus in Belarusian, "
        "Russian and English."
    )
    if payload:
        text += "\n\n" + t.gettext("That link is not valid any more; here is the start page.")
    record = await context.store.subscriptions.get(chat.id)
    if record is not None and record.subscribed:
        text += "\n\n" + t.gettext(
            "This chat is subscribed (language: {language}). /latest shows the current issue, "
            "/help lists everything else."
        ).format(language=LANGUAGE_NAMES[record.language])
        await chat.send_message(escape(text))
        return
    if record is not None and record.status is not ChatStatus.NONE:
        await chat.send_message(escape(text))
        await subscribe_command(update, context)
        return
    text += "\n\n" + t.gettext("Choose your language to subscribe:")
    await chat.send_message(escape(text), reply_markup=keyboards.languages(payloads.Subscribe))


async def help_command(update: Update, context: BotContext) -> None:
    """Explain what the bot does and list its commands."""
    chat = update.effective_chat
    assert chat is not None
    t = await translator(update, context)
    lines = [
        render.bold(t.gettext("Weekly commentary")),
        escape(
            t.gettext(
                "Every week a group of analysts comments on the most important events in "
                "Belarus. Subscribe, and each new commentary arrives here in your language."
            )
        ),
        "",
        *(escape(line) for line in help_lines(t)),
    ]
    if chat.type == ChatType.PRIVATE:
        lines += ["", escape(t.gettext("You can also just send me a few words to search."))]
    else:
        lines += [
            "",
            escape(
                t.gettext(
                    "In groups and channels, only administrators can change the subscription."
                )
            ),
        ]
    await chat.send_message("\n".join(lines))
