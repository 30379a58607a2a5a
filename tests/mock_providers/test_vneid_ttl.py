"""The bounded TTL store behind sessions, codes and tokens."""

from __future__ import annotations

from harness.protocol import ManualClock
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


def test_size_is_bounded_by_evicting_the_oldest():
    store: TTLStore[int, int] = TTLStore(ManualClock(), max_items=3)
    for i in range(5):
        store.put(i, i, ttl=60)
    assert len(store) == 3
    assert store.get(0) is None
    assert store.get(4) == 4


def test_expired_entries_are_swept_on_writes():
    clock = ManualClock()
    store: TTLStore[int, int] = TTLStore(clock)
    for i in range(100):
        store.put(i, i, ttl=1)
    clock.advance(2)
    for i in range(100, 200):
        store.put(i, i, ttl=60)
    assert len(store) <= 100 + 64
