"""JSON numbers as the protocol reads them: finite, and not booleans.

Python's ``json`` gives an ``int`` of any size (``10**400``) and, unless told otherwise,
``NaN`` and ``Infinity`` as floats; a JWT's claims come through the same parser. Comparing
such a value with a float, or asking ``math.isfinite`` of it, raises ``OverflowError``
instead of refusing the input, so every numeric field goes through :func:`finite_number`
first. Reading JSON strictly (``NaN``, the infinities, a key given twice):
:mod:`harness.protocol.strict_json`.
"""

from __future__ import annotations

import math

__all__ = ["finite_number"]


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
