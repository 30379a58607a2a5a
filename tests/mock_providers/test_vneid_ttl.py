"""The bounded TTL store behind sessions, codes and tokens."""

from __future__ import annotations

import pytest

from harness.protocol import ManualClock, ProtocolError
from mock_providers.vneid.ttl import TTLStore


def test_entries_expire_on_the_clock():
    clock = ManualClock()
    store: TTLStore[str, int] = TTLStore(clock)
    store.put("a", 1, ttl=10)
    clock.advance(9.9)
    assert store.get("a") == 1
    clock.advance(0.1)
    assert store.get("a") is None
    assert len(store) == 0


def test_extend_keeps_an_entry_longer_and_pop_removes_it():
    clock = ManualClock()
    store: TTLStore[str, int] = TTLStore(clock)
    store.put("a", 1, ttl=10)
    store.extend("a", 100)
    clock.advance(50)
    assert store.pop("a") == 1
    assert store.get("a") is None


def test_a_full_store_that_must_not_forget_refuses_new_entries_and_keeps_the_live_ones():
    """``evict=False`` (the client-assertion ids kept against replay): nothing alive is
    dropped, the new entry is refused (the other stores drop their oldest: test_bounds)."""
    clock = ManualClock()
    store: TTLStore[int, int] = TTLStore(
        clock, max_items=3, name="app sessions", clause="A-4", evict=False
    )
    for i in range(3):
        store.put(i, i, ttl=60 + i)
    with pytest.raises(ProtocolError) as refused:
        store.put(3, 3, ttl=60)
    err = refused.value
    assert (err.code, err.status, err.clause) == ("temporarily_unavailable", 503, "A-4")
    assert "3 live app sessions" in err.description
    assert "expires in 60 s" in err.description
    assert [store.get(i) for i in range(3)] == [0, 1, 2]
    store.put(1, 10, ttl=120)  # replacing an entry needs no room
    assert store.get(1) == 10
    clock.advance(60)  # entry 0 expires: room for one more
    store.put(3, 3, ttl=60)
    assert store.get(3) == 3
    assert len(store) == 3


def test_expired_entries_are_swept_on_writes():
    clock = ManualClock()
    store: TTLStore[int, int] = TTLStore(clock)
    for i in range(100):
        store.put(i, i, ttl=1)
    clock.advance(2)
    for i in range(100, 200):
        store.put(i, i, ttl=60)
    assert len(store) <= 100 + 64
