"""Corrections: which delivered messages a re-uploaded issue changes, and their new text."""

from __future__ import annotations

from dataclasses import dataclass

from bot.delivery.compose import render_issue
from bot.errors import CorrectionRefused
from bot.newsletter.content import IssueDraft
from bot.newsletter.i18n import N_, Catalogs
from bot.storage import Broadcast, RenderedMessage, Store


@dataclass(frozen=True, slots=True)
class CorrectionPlan:
    """The delivered broadcast to correct and the messages whose text changes."""

    source: Broadcast
    changed: tuple[RenderedMessage, ...]

    def by_language(self) -> dict[str, int]:
        """Return how many messages change in each language."""
        counts: dict[str, int] = {}
        for message in self.changed:
            counts[message.language] = counts.get(message.language, 0) + 1
        return counts


async def delivered_texts(
    store: Store, source: Broadcast
) -> dict[tuple[str, int], RenderedMessage]:
    """Return what readers have now: the delivered messages with earlier corrections applied."""
    current = {(m.language, m.seq): m for m in await store.broadcasts.messages(source.id)}
    for correction in await store.broadcasts.corrections(source.issue.id):
        for message in await store.broadcasts.messages(correction.id):
            current[(message.language, message.seq)] = message
    return current


async def plan_correction(
    store: Store, catalogs: Catalogs, issue_id: int, draft: IssueDraft | None = None
) -> CorrectionPlan:
    """Compare the delivered messages of an issue with its (corrected) content.

    Without `draft` the stored content is compared; with it, the draft's texts stand in
    for the stored ones of its language. Raise CorrectionRefused when the correction
    would change which messages exist, since delivered messages can only be edited.
    """
    source = await store.broadcasts.last_delivery(issue_id)
    if source is None:
        raise CorrectionRefused(N_("the issue has not been broadcast yet"))
    known = await store.archive.commentary_ids(issue_id)
    if draft is not None:
        unknown = sorted({c.key for c in draft.commentaries} - set(known))
        if unknown:
            raise CorrectionRefused(
                N_("the file adds commentaries that were not delivered: {keys}"),
                keys=", ".join(unknown),
            )
    fresh = await render_issue(store, catalogs, issue_id, override=draft)
    current = await delivered_texts(store, source)
    fresh_keys = {(m.language, m.seq): m.commentary_id for m in fresh}
    current_keys = {key: m.commentary_id for key, m in current.items()}
    if fresh_keys != current_keys:
        raise CorrectionRefused(
            N_(
                "the corrected text splits into a different number of messages than was "
                "delivered; shorten or lengthen it so that it splits as before"
            )
        )
    changed = tuple(m for m in fresh if current[(m.language, m.seq)].text != m.text)
    return CorrectionPlan(source=source, changed=changed)
