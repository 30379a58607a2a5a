"""What a reader could decode from a redacted value: the S-5 tests look for a secret there,
not only in the text as it is."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus


def readable(value: Any) -> str:
    """``value`` (its text, or its repr) decoded four times, one more than redaction looks
    into (``_NESTING``)."""
    text = value if isinstance(value, str) else repr(value)
    for _ in range(4):
        text = unquote_plus(text)
    return text
