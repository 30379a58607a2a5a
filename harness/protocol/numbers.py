"""JSON numbers as the protocol reads them: finite, and not booleans.

Python's ``json`` gives an ``int`` of any size (``10**400``) and, unless told otherwise,
``NaN`` and ``Infinity`` as floats; a JWT's claims come through the same parser. Comparing
such a value with a float, or asking ``math.isfinite`` of it, raises ``OverflowError``
instead of refusing the input, so every numeric field goes through :func:`finite_number`
first.
"""

from __future__ import annotations

import math
import sys
from typing import Any

__all__ = ["NotStrictJSON", "finite_float", "finite_number", "json_error_text",
           "refuse_constant", "unique_keys"]


def finite_number(value: object) -> float | None:
    """``value`` as a float when it is a JSON number a float can hold (an ``int`` or a finite
    ``float``, not a ``bool``); ``None`` otherwise (a string, ``NaN``, an infinity, an integer
    too large for a float)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


class NotStrictJSON(ValueError):
    """A number JSON has no text for (RFC 8259 §6): ``NaN``, ``Infinity``, ``-Infinity``, or
    a float literal too large for a double (``1e999``). Python's ``json`` reads them unless
    told not to (the ``parse_constant`` and ``parse_float`` hooks below), and cannot write
    them back strictly."""


def refuse_constant(name: str) -> float:
    """``json``'s ``parse_constant`` hook: ``NaN`` and the infinities are not JSON."""
    raise NotStrictJSON(f"{name} is not a JSON number (RFC 8259 §6); send a finite number")


def finite_float(text: str) -> float:
    """``json``'s ``parse_float`` hook: a float literal a double cannot hold is refused."""
    number = float(text)
    if math.isinf(number):
        raise NotStrictJSON(f"the number {text[:40]} is too large (RFC 8259 §6); send a "
                            "number that fits a double")
    return number


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json``'s ``object_pairs_hook`` for files a user keeps (a state file, a persona file):
    an object with a key given twice is refused (``ValueError`` naming it), where ``json``
    keeps the last value and drops the first without a word."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key[:80]!r} is given twice in one object; keep one")
        result[key] = value
    return result


def json_error_text(exc: BaseException) -> str:
    """What a JSON decoder's error says, in words for whoever sent the JSON: a number longer
    than Python converts ends in Python's advice (``sys.set_int_max_str_digits()``), which is
    not theirs to take."""
    said = str(exc)
    if "integer string conversion" in said:
        return (f"a number has more than {sys.get_int_max_str_digits()} digits; no field "
                "takes one that long")
    return said
