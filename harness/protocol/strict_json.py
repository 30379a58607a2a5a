"""JSON read strictly, one decoder for the providers and the harness: an object with a key
given twice is refused (Python's ``json`` keeps the last value and drops the first without a
word), and so are ``NaN``, ``Infinity``, ``-Infinity`` and float literals too large for a
double (RFC 8259 §6 has no text for them; Python reads them unless told not to).

:func:`loads` does both by default (request bodies); a caller that must keep one of Python's
leniencies says which (a state file written before, the redaction of a body that is to be
written back as it came). The errors are ``ValueError`` subclasses, so a caller that already
caught ``json``'s errors keeps its status and its words.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

__all__ = [
    "DuplicateKey",
    "NotStrictJSON",
    "finite_float",
    "json_error_text",
    "loads",
    "refuse_constant",
    "unique_keys",
]


class NotStrictJSON(ValueError):
    """A number JSON has no text for (RFC 8259 §6): ``NaN``, ``Infinity``, ``-Infinity``, or
    a float literal too large for a double (``1e999``). Python's ``json`` reads them unless
    told not to (the ``parse_constant`` and ``parse_float`` hooks below), and cannot write
    them back strictly."""


class DuplicateKey(ValueError):
    """An object with a key given twice (:attr:`key`, the first repeated one)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"the key {key[:80]!r} is given twice in one object; keep one")
        self.key = key


def refuse_constant(name: str) -> float:
    """``json``'s ``parse_constant`` hook: ``NaN`` and the infinities are not JSON."""
    raise NotStrictJSON(f"{name} is not a JSON number (RFC 8259 §6); send a finite number")


def finite_float(text: str) -> float:
    """``json``'s ``parse_float`` hook: a float literal a double cannot hold is refused."""
    number = float(text)
    if math.isinf(number):
        raise NotStrictJSON(
            f"the number {text[:40]} is too large (RFC 8259 §6); send a number that fits a double"
        )
    return number


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json``'s ``object_pairs_hook``: an object with a key given twice is refused
    (:class:`DuplicateKey`, naming the first repeated key)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(key)
            seen.add(key)
    return obj


_DECODERS = {
    (unique, finite): json.JSONDecoder(
        object_pairs_hook=unique_keys if unique else None,
        parse_constant=refuse_constant if finite else None,
        parse_float=finite_float if finite else None,
    )
    for unique in (True, False)
    for finite in (True, False)
}
"""Built once (``json.loads`` with a hook builds a decoder per call)."""


def loads(text: str, *, unique: bool = True, finite: bool = True) -> Any:
    """``text`` as JSON. ``unique``: a key given twice in one object raises
    :class:`DuplicateKey`; ``finite``: ``NaN``, the infinities and a float literal too
    large for a double raise :class:`NotStrictJSON`. Both are ``ValueError``, as is text that
    is not JSON at all (``json.JSONDecodeError``); nesting too deep raises
    ``RecursionError``."""
    return _DECODERS[unique, finite].decode(text)


def json_error_text(exc: BaseException) -> str:
    """What a JSON decoder's error says, in words for whoever sent the JSON: a number longer
    than Python converts ends in Python's advice (``sys.set_int_max_str_digits()``), which is
    not theirs to take."""
    said = str(exc)
    if "integer string conversion" in said:
        return (
            f"a number has more than {sys.get_int_max_str_digits()} digits; no field "
            "takes one that long"
        )
    return said
