"""The control actions over HTTP: ``/_control/{action}`` with JSON in and out.

Arguments come as a JSON object body (or query parameters, each decoded as JSON when it
parses), results as ``{"ok": true, "result": ...}``; refused actions answer 400, timeouts of
``wait_for`` 408, unknown actions 404, each with ``{"ok": false, "description": ...}``.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from standin.errors import ControlError
from standin.faults import Fault
from standin.http_json import json_response, to_jsonable
from standin.limits import FloodLimits

if TYPE_CHECKING:
    from standin.server import BotApiStandIn

PASSTHROUGH_ACTIONS = frozenset(
    {
        "add_user",
        "add_group",
        "add_channel",
        "set_admin",
        "set_bot_admin",
        "send_text",
        "press_button",
        "block_bot",
        "unblock_bot",
        "remove_bot_from_group",
        "add_bot_to_group",
        "migrate_group",
        "clear_faults",
        "messages",
        "all_messages",
        "last_message",
        "callback_answers",
        "callback_answer",
        "commands",
        "bot_status",
        "pending_updates",
        "reset",
    }
)


async def _read_arguments(request: web.Request) -> dict[str, Any]:
    """Collect keyword arguments from the query string and a JSON object body."""
    arguments: dict[str, Any] = {}
    for key, value in request.query.items():
        try:
            arguments[key] = json.loads(value)
        except ValueError:
            arguments[key] = value
    if request.body_exists:
        body = await request.read()
        if body.strip():
            decoded = json.loads(body)
            if not isinstance(decoded, dict):
                raise ControlError("the body must be a JSON object")
            arguments.update(decoded)
    return arguments


class ControlRoutes:
    """Dispatch ``/_control/{action}`` to the server's control methods."""

    def __init__(self, server: BotApiStandIn) -> None:
        """Serve the control actions of ``server``."""
        self._server = server
        self._special: dict[str, Callable[[dict[str, Any]], Awaitable[Any]]] = {
            "send_document": self._send_document,
            "inject": self._inject,
            "fault_rules": self._fault_rules,
            "limits": self._limits,
            "set_limits": self._set_limits,
            "stats": self._stats,
            "wait_for": self._wait_for,
        }

    async def handle(self, request: web.Request) -> web.Response:
        """Run one control action."""
        action = request.match_info["action"]
        try:
            arguments = await _read_arguments(request)
            special = self._special.get(action)
            if special is not None:
                result = await special(arguments)
            elif action in PASSTHROUGH_ACTIONS:
                result = getattr(self._server, action)(**arguments)
            else:
                return json_response(
                    {"ok": False, "description": f"unknown control action {action!r}"}, 404
                )
        except TimeoutError as error:
            return json_response({"ok": False, "description": str(error)}, 408)
        except (ControlError, KeyError, TypeError, ValueError) as error:
            return json_response({"ok": False, "description": str(error)}, 400)
        return json_response({"ok": True, "result": to_jsonable(result)})

    async def _send_document(self, arguments: dict[str, Any]) -> Any:
        encoded = arguments.pop("content_base64", None)
        if encoded is not None:
            arguments["content"] = base64.b64decode(encoded)
        elif isinstance(arguments.get("content"), str):
            arguments["content"] = arguments["content"].encode("utf-8")
        return self._server.send_document(**arguments)

    async def _inject(self, arguments: dict[str, Any]) -> Any:
        error = arguments.pop("error", None)
        if not isinstance(error, dict):
            raise ControlError('"error" must be a JSON object with Fault fields')
        return self._server.inject(error=Fault.from_json(error), **arguments)

    async def _fault_rules(self, arguments: dict[str, Any]) -> Any:
        return self._server.fault_rules

    async def _limits(self, arguments: dict[str, Any]) -> Any:
        return self._server.limits

    async def _set_limits(self, arguments: dict[str, Any]) -> Any:
        current = dataclasses.asdict(self._server.limits)
        unknown = set(arguments) - set(current)
        if unknown:
            raise ControlError(f"unknown limit fields: {sorted(unknown)}")
        self._server.limits = FloodLimits(**{**current, **arguments})
        return self._server.limits

    async def _stats(self, arguments: dict[str, Any]) -> Any:
        return self._server.stats.to_json()

    async def _wait_for(self, arguments: dict[str, Any]) -> Any:
        count = arguments.get("count")
        if not isinstance(count, int):
            raise ControlError('"count" must be an integer')
        return await self._server.wait_for(
            count, chat_id=arguments.get("chat_id"), timeout=float(arguments.get("timeout", 5.0))
        )


def install_control_routes(app: web.Application, server: BotApiStandIn) -> None:
    """Add ``/_control/{action}`` to ``app``."""
    app.router.add_route("*", "/_control/{action}", ControlRoutes(server).handle)
