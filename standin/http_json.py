"""JSON responses and conversion of records to JSON values."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from aiohttp import web


def json_response(payload: object, status: int = 200) -> web.Response:
    """Return ``payload`` as a compact UTF-8 JSON response."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return web.Response(body=body, status=status, content_type="application/json")


def to_jsonable(value: Any) -> Any:
    """Turn dataclasses, sets and tuples into plain JSON values, recursively."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, str) else k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(to_jsonable(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value
