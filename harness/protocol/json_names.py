"""What a JSON value is called in an error message: the JSON name (``null``, ``an object``),
not Python's (``NoneType``, ``dict``), since the caller wrote JSON."""

from __future__ import annotations

import json

__all__ = ["json_kind", "json_shown"]


def json_kind(value: object) -> str:
    """``a string``, ``a number``, ``true``/``false``, ``null``, ``an array`` or ``an object``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def json_shown(value: object, limit: int = 40) -> str:
    """``value`` as JSON text, cut at ``limit`` characters (``true``, not ``True``)."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"
