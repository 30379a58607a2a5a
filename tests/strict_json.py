"""What writing a log or a report does with a recorded value: strict JSON, UTF-8."""

from __future__ import annotations

import json
from typing import Any


def strict(value: Any) -> str:
    """``value`` as strict JSON text (no ``NaN``, no infinity); fails on a lone surrogate,
    as writing it to a UTF-8 file (a report) or a response (``GET /_harness/requests``)
    does."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    text.encode("utf-8")
    return text
