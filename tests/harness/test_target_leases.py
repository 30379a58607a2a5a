"""A run's hold on served providers (:mod:`harness.lease`): taken before the first test,
renewed in the background, released at the end; another user's hold refuses the run."""

from __future__ import annotations

import threading

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from harness.embedded import SyncASGITransport
from harness.lease import LeaseRefused, LeaseTarget, TargetLeases, holder_text
from harness.protocol import ManualClock
from mock_providers.vneid import VNeIDProvider
from mock_providers.vssid import VssIDProvider

TARGETS = (
    LeaseTarget("VNeID target", "http://vneid.test", "http://vneid.test"),
    LeaseTarget("VssID target", "http://vssid.test", "http://vssid.test"),
)


class Pair:
    def __init__(self) -> None:
        self.clock = ManualClock()
        self.apps: dict[str, VNeIDProvider | VssIDProvider] = {
            "http://vneid.test": VNeIDProvider(clock=self.clock),
            "http://vssid.test": VssIDProvider(clock=self.clock),
        }

    def client(self, target: LeaseTarget) -> httpx.Client:
        provider = self.apps[target.base_url]
        return httpx.Client(transport=SyncASGITransport(provider.app), base_url=target.base_url)

    def holders(self) -> list[object]:
        return [p.lease.state().get("holder") for p in self.apps.values()]


@pytest.fixture
def pair() -> Pair:
    return Pair()


def _leases(pair: Pair, holder: str, **given: float | None) -> TargetLeases:
    return TargetLeases(TARGETS, holder, client_factory=pair.client, **given)  # type: ignore[arg-type]


def test_a_run_holds_both_providers_until_it_releases_them(pair: Pair) -> None:
    leases = _leases(pair, "run A")
    assert leases.acquire() == []
    try:
        assert pair.holders() == ["run A", "run A"]
        with pytest.raises(LeaseRefused) as refused:
            _leases(pair, "run B").acquire()
        said = str(refused.value)
        assert said.startswith("the VNeID target at http://vneid.test is in use by run A; its")
        assert (
            "its lease ends in 60 s unless renewed (a holder killed without releasing it " in said
        )
        assert "serve a pair of your own (vneid-harness serve --vneid-port 0" in said
        assert pair.holders() == ["run A", "run A"]
    finally:
        leases.release()
    assert pair.holders() == [None, None]
    assert _leases(pair, "run B").acquire() == []  # free at once, no warning


def test_a_refused_run_lets_go_of_what_it_took(pair: Pair) -> None:
    """Refused at the VssID (someone holds it alone), the VNeID it had taken is released."""
    pair.apps["http://vssid.test"].lease.take("someone", 60)
    with pytest.raises(
        LeaseRefused, match=r"the VssID target at http://vssid\.test is in use by someone"
    ):
        _leases(pair, "run B").acquire()
    assert pair.holders() == [None, "someone"]


def test_providers_left_by_a_killed_run_are_named_with_what_to_check(pair: Pair) -> None:
    pair.apps["http://vneid.test"].lease.take("vneid-harness run (pid 7 on ci-2)", 60)
    pair.clock.advance(61)  # never released: the run was killed
    leases = _leases(pair, "run B")
    (warning,) = leases.acquire()
    leases.release()
    assert warning.startswith(
        "the VNeID target at http://vneid.test was left by vneid-harness run (pid 7 on ci-2) "
        "without releasing it"
    )
    assert "GET /_harness/config" in warning


def test_a_provider_without_a_lease_is_used_without_one(pair: Pair) -> None:
    """A vendor's provider (or an older harness) answers 404: the run goes on."""
    vendor = Starlette(routes=[Route("/", lambda r: PlainTextResponse("hi"))])

    def clients(target: LeaseTarget) -> httpx.Client:
        if target.name.startswith("VNeID"):
            return httpx.Client(transport=SyncASGITransport(vendor), base_url=target.base_url)
        return pair.client(target)

    leases = TargetLeases(TARGETS, "run A", client_factory=clients)
    assert leases.acquire() == []
    assert pair.holders() == [None, "run A"]
    leases.release()
    assert pair.holders() == [None, None]


class _Renewals:
    """Counts each renewal as it reaches the provider, so a test waits for one without
    depending on how long it takes."""

    def __init__(self, pair: Pair) -> None:
        self.pair = pair
        self.seen = threading.Semaphore(0)

    def client(self, target: LeaseTarget) -> httpx.Client:
        def noted(request: httpx.Request) -> None:
            if request.method == "POST" and b"lease_id" in request.content:
                self.seen.release()

        client = self.pair.client(target)
        client.event_hooks["request"].append(noted)
        return client


@pytest.fixture
def renewals(pair: Pair) -> _Renewals:
    return _Renewals(pair)


def test_the_lease_is_renewed_while_the_run_goes(pair: Pair, renewals: _Renewals) -> None:
    leases = TargetLeases(
        TARGETS, "run A", seconds=60, renew_every=0.01, client_factory=renewals.client
    )
    leases.acquire()
    try:
        pair.clock.advance(50)
        while renewals.seen.acquire(blocking=False):
            pass  # renewals seen before the clock moved (a slow machine) are not counted
        for _ in range(4):  # two rounds of both providers, renewed from the new now
            assert renewals.seen.acquire(timeout=30)
        assert [p.lease.state()["expires_in"] for p in pair.apps.values()] == [60, 60]
    finally:
        leases.release()
    assert leases.lost == []


def test_a_lease_lost_to_another_user_is_said(pair: Pair) -> None:
    """The run was paused past its lease (a debugger, a suspended machine) and another user
    took the VNeID: the renewal says so; the VssID's, free, is taken again."""
    leases = _leases(pair, "run A", renew_every=None)
    leases.acquire()
    pair.clock.advance(61)
    pair.apps["http://vneid.test"].lease.take("run B", 60)
    leases.renew()
    assert pair.holders() == ["run B", "run A"]
    leases.release()
    assert len(leases.lost) == 1
    assert leases.lost[0].startswith(
        "the lease of the VNeID target at http://vneid.test ran out before it was renewed and "
        "run B took it"
    )
    assert pair.holders() == ["run B", None]


def test_a_lease_another_user_held_meanwhile_is_said_when_taken_again(pair: Pair) -> None:
    """The run was paused past its lease, another user took the VNeID and released it
    before the run went on: the renewal takes it again, and says who used it meanwhile."""
    leases = _leases(pair, "run A", renew_every=None)
    leases.acquire()
    pair.clock.advance(61)
    vneid = pair.apps["http://vneid.test"].lease
    vneid.release(vneid.take("run B", 60)["lease_id"])
    leases.renew()
    assert pair.holders() == ["run A", "run A"]
    leases.release()
    (said,) = leases.lost  # the VssID's, run out with no one else in between, says nothing
    assert said.startswith(
        "the lease of the VNeID target at http://vneid.test ran out before it was renewed and "
        "run B held it meanwhile (this run took it again)"
    )


def test_a_holder_says_the_command_process_and_host_never_options() -> None:
    said = holder_text("vneid-harness run")
    assert said.startswith("vneid-harness run (pid ")
    assert " on " in said
    assert said.endswith(" UTC)")
    assert len(holder_text("x" * 500)) == 200


def test_a_renewal_under_way_at_the_release_does_not_take_the_lease_back(pair: Pair) -> None:
    """A renewal that reaches the provider after the release finds no lease (404): while
    running it would take the lease again (it ran out while the process was paused); once
    the run releases, it must not, or a run that has ended holds the provider."""
    leases = _leases(pair, "run A", renew_every=None)
    leases.acquire()
    held = list(leases._held)
    leases.release()
    assert pair.holders() == [None, None]
    leases._held.extend(held)  # the renewal's round began before the release cleared them
    for one in held:
        one.client = pair.client(one.target)
    leases.renew()
    assert pair.holders() == [None, None]


def test_a_release_waits_briefly_for_each_provider(pair: Pair) -> None:
    """A provider that does not answer lets its lease run out by itself: the release asks
    each with a short time limit, so a run's end is not held up (5 s a call before)."""
    limits: list[object] = []

    def clients(target: LeaseTarget) -> httpx.Client:
        client = pair.client(target)
        client.event_hooks["request"].append(
            lambda request: (
                limits.append(request.extensions["timeout"]) if request.method == "DELETE" else None
            )
        )
        return client

    leases = TargetLeases(TARGETS, "run A", client_factory=clients, renew_every=None)
    leases.acquire()
    leases.release()
    assert pair.holders() == [None, None]
    assert limits == [{"connect": 2.0, "read": 2.0, "write": 2.0, "pool": 2.0}] * 2


def test_a_renewal_under_way_at_the_release_says_no_lease_was_lost(pair: Pair) -> None:
    """Released, then taken by the next run, the provider answers a renewal still under way
    with 409: that is no lease lost while the run went (a warning the run would print at
    its end, naming the next run as if it had interfered)."""
    leases = _leases(pair, "run A", renew_every=None)
    leases.acquire()
    held = list(leases._held)
    leases.release()
    assert _leases(pair, "run B").acquire() == []
    leases._held.extend(held)  # the renewal's round began before the release cleared them
    for one in held:
        one.client = pair.client(one.target)
    leases.renew()
    assert leases.lost == []
    assert pair.holders() == ["run B", "run B"]
