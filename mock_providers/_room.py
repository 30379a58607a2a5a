"""Making room in a full store of the mock providers: its oldest entries go.

A store full of live entries drops the oldest hundredth of them at once (dicts keep the
order entries were put in), so the sweep for expired entries that comes before it runs once
per that many new entries rather than at each one. Which stores may do so, and why the others
refuse instead, is said where each store is made (``mock_providers.vneid.ttl``,
``mock_providers.vssid.transactions``); docs/robustness.md §7 lists them."""

from __future__ import annotations

import logging
from itertools import islice
from typing import TypeVar

__all__ = ["EVICTED_SHARE", "make_room"]

K = TypeVar("K")
V = TypeVar("V")
EVICTED_SHARE = 100
"""A full store drops ``1 / EVICTED_SHARE`` of its entries, the oldest."""
_log = logging.getLogger("mock_providers")


def make_room(items: dict[K, V], limit: int, *, what: str, first: bool) -> list[V]:
    """Remove the oldest ``limit // EVICTED_SHARE`` entries (at least one) of ``items`` and
    return them. ``first``: the store has never made room before, so the server's log says
    once that its entries now live shorter than their lifetime."""
    gone = [items.pop(key) for key in list(islice(items, max(1, limit // EVICTED_SHARE)))]
    if first:
        _log.warning(
            "%s: %d live, the limit; the oldest make room (under this load they "
            "live shorter than their lifetime)",
            what,
            limit,
        )
    return gone
