"""Read Bot API call parameters from query strings, JSON, form and multipart bodies.

Clients send every value as a string in form bodies (python-telegram-bot sends numbers as
``"123"``, booleans as ``"true"`` and objects as JSON text), so the getters here accept both
native JSON values and their string forms.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from standin.errors import ApiError, bad_request

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off", ""})
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    content: bytes


class Params:
    """The parameters of one call with typed, Telegram-like getters."""

    __slots__ = ("files", "values")

    def __init__(
        self, values: dict[str, Any], files: dict[str, UploadedFile] | None = None
    ) -> None:
        """Wrap decoded ``values`` and uploaded ``files`` keyed by part name."""
        self.values = values
        self.files = files or {}

    def raw(self, name: str) -> Any:
        """Return the value as received, or ``None``."""
        return self.values.get(name)

    def get_str(self, name: str) -> str | None:
        """Return the value as a string, or ``None`` when absent."""
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def get_int(self, name: str) -> int | None:
        """Return the value as an integer, or ``None`` when absent or empty."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            raise bad_request(f'field "{name}" must be of type Integer') from None

    def get_float(self, name: str) -> float | None:
        """Return the value as a number, or ``None`` when absent or empty."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be a Number') from None

    def get_bool(self, name: str) -> bool:
        """Return the value as a boolean; absent means ``False``."""
        value = self.values.get(name)
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value != 0
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise bad_request(f'field "{name}" must be of type Boolean')

    def get_json(self, name: str, *, what: str | None = None) -> Any:
        """Return an object or array value, decoding JSON text; ``None`` when absent."""
        value = self.values.get(name)
        if value is None or isinstance(value, (dict, list)):
            return value
        if not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {what or name} JSON object") from None

    def chat_id(self, name: str = "chat_id") -> int | str:
        """Return the chat id: an integer, or an ``@username`` string."""
        value = self.values.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        try:
            return int(text)
        except ValueError:
            return text


async def read_params(request: web.Request) -> Params:
    """Collect the parameters of a call from its query string and body."""
    values: dict[str, Any] = dict(request.query) if request.query_string else {}
    files: dict[str, UploadedFile] = {}
    if not request.body_exists:
        return Params(values)
    content_type = request.content_type
    if content_type in _FORM_TYPES:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = UploadedFile(value.filename, value.content_type, value.file.read())
            else:
                values[key] = value
    else:
        body = await request.read()
        if body.strip():
            try:
                decoded = json.loads(body)
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON encoded request") from None
            if not isinstance(decoded, dict):
                raise ApiError(400, "Bad Request: JSON object expected")
            values.update(decoded)
    return Params(values, files)
