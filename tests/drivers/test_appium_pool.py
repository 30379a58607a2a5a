"""harness.drivers.appium_pool with stand-in sessions: a closed phone's session serves the
next phone of its platform, clean; phones alive together never share one; a dead or
uncleanable session is quit, never handed out; the runtime's close quits what is kept."""

from __future__ import annotations

from typing import Any

import pytest

from harness.drivers.appium_pool import MAX_IDLE_PER_PLATFORM, AppiumSessionPool, clean_session

ORIGIN = "http://127.0.0.1:4100"


class FakeRemote:
    """What the pool calls on an Appium session, recorded."""

    def __init__(
        self, name: str, url: str = f"{ORIGIN}/phone/a", *, alive: bool = True, cleans: bool = True
    ) -> None:
        self.name = name
        self.url = url
        self.alive = alive
        self.cleans = cleans
        self.calls: list[str] = []

    @property
    def current_url(self) -> str:
        if not self.alive:
            raise RuntimeError("invalid session id")
        return self.url

    def delete_all_cookies(self) -> None:
        self.calls.append("delete_all_cookies")

    def execute_script(self, script: str) -> Any:
        if not self.cleans:
            raise RuntimeError("no such window")
        self.calls.append("clear storage" if "localStorage.clear" in script else script)

    def get(self, url: str) -> None:
        self.calls.append(f"get {url}")
        self.url = url

    def get_log(self, kind: str) -> list[Any]:
        self.calls.append(f"log {kind}")
        return []

    def quit(self) -> None:
        self.calls.append("quit")
        if not self.alive:
            raise RuntimeError("already gone")


def _pool() -> tuple[AppiumSessionPool, list[tuple[str, FakeRemote]]]:
    opened: list[tuple[str, FakeRemote]] = []

    def open_session(platform: str) -> FakeRemote:
        remote = FakeRemote(f"{platform}-{len(opened) + 1}")
        opened.append((platform, remote))
        return remote

    return AppiumSessionPool(open_session), opened


def test_a_session_given_back_clean_serves_the_next_phone_of_its_platform() -> None:
    pool, opened = _pool()
    first = pool.take("android")
    pool.give_back("android", first, ORIGIN)
    assert first.calls == [
        "delete_all_cookies",
        "clear storage",
        "get about:blank",
        "log performance",
    ]
    assert pool.idle("android") == 1
    assert pool.take("android") is first
    assert pool.opened == 1
    assert pool.take("ios") is not first, "a platform's sessions serve that platform only"
    assert [p for p, _ in opened] == ["android", "ios"]


def test_a_session_away_from_the_phone_server_is_only_blanked() -> None:
    remote = FakeRemote("x", url="about:blank")
    clean_session(remote, ORIGIN)
    assert remote.calls == ["get about:blank", "log performance"]


def test_phones_alive_at_the_same_time_get_sessions_of_their_own() -> None:
    pool, _ = _pool()
    one, two = pool.take("ios"), pool.take("ios")
    assert one is not two
    pool.give_back("ios", one, ORIGIN)
    pool.give_back("ios", two, ORIGIN)
    assert {pool.take("ios"), pool.take("ios")} == {one, two}
    assert pool.opened == 2


def test_a_kept_session_that_does_not_answer_is_quit_and_replaced() -> None:
    pool, opened = _pool()
    stale = pool.take("android")
    pool.give_back("android", stale, ORIGIN)
    stale.alive = False  # Appium dropped it after its newCommandTimeout
    fresh = pool.take("android")
    assert fresh is not stale
    assert stale.calls[-1] == "quit"
    assert pool.opened == 2
    assert len(opened) == 2


def test_a_session_that_cannot_be_cleaned_is_quit_not_kept() -> None:
    pool, _ = _pool()
    remote = pool.take("android")
    remote.cleans = False
    pool.give_back("android", remote, ORIGIN)
    assert pool.idle("android") == 0
    assert remote.calls[-1] == "quit"


def test_at_most_a_few_sessions_are_kept_per_platform() -> None:
    pool, _ = _pool()
    taken = [pool.take("ios") for _ in range(MAX_IDLE_PER_PLATFORM + 1)]
    for remote in taken:
        pool.give_back("ios", remote, ORIGIN)
    assert pool.idle("ios") == MAX_IDLE_PER_PLATFORM
    assert taken[-1].calls[-1] == "quit"


def test_close_quits_every_kept_session_even_one_already_gone() -> None:
    pool, _ = _pool()
    a, b = pool.take("ios"), pool.take("android")
    pool.give_back("ios", a, ORIGIN)
    pool.give_back("android", b, ORIGIN)
    b.alive = False
    pool.close()
    assert a.calls[-1] == "quit"
    assert b.calls[-1] == "quit"
    assert pool.idle("ios") == pool.idle("android") == 0


def test_an_open_that_fails_is_not_counted() -> None:
    def refuse(platform: str) -> Any:
        raise RuntimeError(f"no {platform} session")

    pool = AppiumSessionPool(refuse)
    with pytest.raises(RuntimeError, match="no ios session"):
        pool.take("ios")
    assert pool.opened == 0
