"""Push pending updates to the webhook set by ``setWebhook``, retrying failed deliveries."""

from __future__ import annotations

import json
import logging

import aiohttp

from standin.state import StandInState

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_MAX_BACKOFF_STEPS = 4

logger = logging.getLogger(__name__)


class WebhookPusher:
    """Deliver updates one at a time, in order, removing each once the webhook took it."""

    def __init__(
        self,
        state: StandInState,
        session: aiohttp.ClientSession,
        *,
        retry_delay: float = 0.2,
        request_timeout: float = 10.0,
    ) -> None:
        """Deliver ``state``'s updates through ``session``, waiting ``retry_delay`` on failure."""
        self._state = state
        self._session = session
        self._retry_delay = retry_delay
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)

    async def run(self) -> None:
        """Deliver updates until the server closes."""
        state = self._state
        failures = 0
        while not state.closing:
            webhook = state.webhook
            pending = state.pending_updates_view()
            if webhook is None or not pending:
                await state.wait_change(None)
                continue
            update = pending[0]
            error = await self._post(webhook.url, webhook.secret_token, update)
            if error is None:
                failures = 0
                state.webhook_delivered(update)
                continue
            failures += 1
            state.webhook_failed(error)
            backoff = self._retry_delay * 2 ** min(failures - 1, _MAX_BACKOFF_STEPS)
            await state.wait_closing(backoff)

    async def _post(self, url: str, secret: str | None, update: dict[str, object]) -> str | None:
        """POST one update; return ``None`` on success or Telegram-like error text."""
        headers = {"Content-Type": "application/json"}
        if secret:
            headers[SECRET_HEADER] = secret
        body = json.dumps(update, ensure_ascii=False).encode("utf-8")
        try:
            async with self._session.post(
                url, data=body, headers=headers, timeout=self._timeout
            ) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientError as error:
            logger.debug("webhook delivery to %s failed: %r", url, error)
            return f"Connection failed: {error}"
