"""The test-control API's lease (``/_harness/lease``, :mod:`mock_providers._lease`): one user
of a served provider at a time, on real time, guarded as the rest of the control API (S-6)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.embedded import SyncASGITransport
from harness.protocol import ManualClock, SeededEntropy
from mock_providers._lease import MAX_SECONDS, Lease
from mock_providers.openapi import ERROR_SCHEMA
from mock_providers.vneid import VNeIDProvider, VNeIDSettings
from mock_providers.vssid import VssIDProvider, VssIDSettings

PROVIDERS = ("vneid", "vssid")


def _provider(kind: str, clock: ManualClock, admin_token: str | None = None) -> Any:
    if kind == "vneid":
        return VNeIDProvider(
            VNeIDSettings(admin_token=admin_token), clock=clock, entropy=SeededEntropy("lease")
        )
    return VssIDProvider(
        VssIDSettings(admin_token=admin_token), clock=clock, entropy=SeededEntropy("lease")
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(params=PROVIDERS)
def http(request: pytest.FixtureRequest, clock: ManualClock) -> Iterator[httpx.Client]:
    provider = _provider(request.param, clock)
    with httpx.Client(
        transport=SyncASGITransport(provider.app), base_url="http://provider.test"
    ) as client:
        yield client


def _error(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["error"], body["clause"]


@pytest.mark.clause("S-6")
def test_one_holder_at_a_time_and_the_second_is_told_who(
    http: httpx.Client, clock: ManualClock
) -> None:
    assert http.get("/_harness/lease").json() == {"held": False, "previous": None}
    taken = http.post("/_harness/lease", json={"holder": "run A (pid 1 on ci-1)"})
    assert taken.status_code == 200, taken.text
    lease = taken.json()
    assert lease["holder"] == "run A (pid 1 on ci-1)"
    assert lease["expires_in"] == 60
    assert lease["previous"] is None
    clock.advance(15)
    refused = http.post("/_harness/lease", json={"holder": "run B", "seconds": 30})
    assert _error(refused) == (409, "in_use", "S-6")
    said = refused.json()
    assert said["holder"] == "run A (pid 1 on ci-1)"
    assert said["expires_in"] == 45
    assert said["held_for"] == 15
    assert "in use by run A (pid 1 on ci-1)" in said["error_description"]
    assert "serve a pair of your own" in said["error_description"]
    # The OpenAPI documents' Error schema describes every field of the refusal (a vendor's
    # client generated from it sees the holder too).
    assert set(said) <= set(ERROR_SCHEMA["properties"]), set(said) - set(ERROR_SCHEMA["properties"])
    state = http.get("/_harness/lease").json()
    assert state == {
        "held": True,
        "holder": "run A (pid 1 on ci-1)",
        "expires_in": 45,
        "held_for": 15,
    }
    assert "lease_id" not in str(state)  # only the holder renews or releases it


@pytest.mark.clause("S-6")
def test_a_renewed_lease_lasts_and_a_released_one_is_free_at_once(
    http: httpx.Client, clock: ManualClock
) -> None:
    lease_id = http.post("/_harness/lease", json={"holder": "A"}).json()["lease_id"]
    for _ in range(5):  # five minutes, renewed every 50 s
        clock.advance(50)
        renewed = http.post("/_harness/lease", json={"holder": "A", "lease_id": lease_id})
        assert renewed.status_code == 200, renewed.text
        assert renewed.json()["lease_id"] == lease_id
    assert http.delete(f"/_harness/lease/{lease_id}").json() == {"released": True, "holder": "A"}
    after = http.post("/_harness/lease", json={"holder": "B"}).json()
    assert after["previous"]["holder"] == "A"
    assert after["previous"]["released"] is True
    again = http.delete(f"/_harness/lease/{lease_id}")
    assert _error(again) == (404, "not_found", "S-6")


@pytest.mark.clause("S-6")
def test_a_lease_not_renewed_runs_out_and_the_next_holder_is_told(
    http: httpx.Client, clock: ManualClock
) -> None:
    """A run killed before it could release its lease: the lease ends by itself, and whoever
    takes it next learns that what the killed run changed may still be there."""
    lease_id = http.post("/_harness/lease", json={"holder": "killed run", "seconds": 10}).json()[
        "lease_id"
    ]
    clock.advance(10)
    assert http.get("/_harness/lease").json() == {
        "held": False,
        "previous": {"holder": "killed run", "released": False, "ended_ago": 0},
    }
    clock.advance(5)
    taken = http.post("/_harness/lease", json={"holder": "next run"}).json()
    assert taken["previous"] == {"holder": "killed run", "released": False, "ended_ago": 5}
    late = http.post("/_harness/lease", json={"holder": "killed run", "lease_id": lease_id})
    assert _error(late) == (404, "not_found", "S-6")
    assert "take a new one" in late.json()["error_description"]


@pytest.mark.clause("S-6")
def test_a_moved_provider_clock_does_not_end_a_lease(
    http: httpx.Client, clock: ManualClock
) -> None:
    """The tests move the providers' clocks by hours (code and token expiry): the lease is on
    real time, or every clock move would have handed the providers to the next run."""
    http.post("/_harness/lease", json={"holder": "A"})
    assert http.post("/_harness/clock", json={"offset_seconds": 7200}).status_code == 200
    assert http.get("/_harness/lease").json()["held"] is True
    assert _error(http.post("/_harness/lease", json={"holder": "B"})) == (409, "in_use", "S-6")


@pytest.mark.clause("S-6")
@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({}, "'holder' is required"),
        ({"holder": ""}, "'holder' is required"),
        ({"holder": "   "}, "printable text"),
        ({"holder": "a\nb"}, "printable text"),
        ({"holder": 5}, "'holder' must be a string"),
        ({"holder": "x" * 201}, "at most 200"),
        ({"holder": "A", "seconds": 0}, "from 1 to 600"),
        ({"holder": "A", "seconds": MAX_SECONDS + 1}, "from 1 to 600"),
        ({"holder": "A", "seconds": True}, "from 1 to 600"),
        ({"holder": "A", "seconds": "60"}, "from 1 to 600"),
        ({"holder": "A", "lease_id": 7}, "'lease_id' must be a string"),
        ({"holder": "A", "lease_id": None}, "'lease_id' must be a string, got null"),
        ({"holder": "A", "owner": "B"}, "unknown field(s) owner"),
    ],
)
def test_a_bad_request_is_refused_and_takes_nothing(
    http: httpx.Client, body: dict[str, Any], said: str
) -> None:
    refused = http.post("/_harness/lease", json=body)
    assert _error(refused) == (400, "invalid_request", "S-6")
    assert said in refused.json()["error_description"]
    assert http.get("/_harness/lease").json()["held"] is False


@pytest.mark.clause("S-6")
@pytest.mark.parametrize("kind", PROVIDERS)
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/_harness/lease"), ("POST", "/_harness/lease"), ("DELETE", "/_harness/lease/x")],
)
def test_the_lease_is_guarded_as_the_control_api(
    kind: str, method: str, path: str, clock: ManualClock
) -> None:
    provider = _provider(kind, clock)
    transport = SyncASGITransport(provider.app, client=("203.0.113.5", 1234))
    with httpx.Client(transport=transport, base_url="http://provider.test") as http:
        refused = http.request(method, path, json={"holder": "off loopback"})
    assert _error(refused) == (403, "forbidden", "S-6")
    assert provider.lease.state()["held"] is False
    guarded = _provider(kind, clock, admin_token="lease-admin")
    with httpx.Client(
        transport=SyncASGITransport(guarded.app), base_url="http://provider.test"
    ) as http:
        assert _error(http.post("/_harness/lease", json={"holder": "A"})) == (
            403,
            "forbidden",
            "S-6",
        )
        ok = http.post(
            "/_harness/lease",
            json={"holder": "A"},
            headers={"X-Harness-Admin-Token": "lease-admin"},
        )
        assert ok.status_code == 200


def test_lease_ids_do_not_draw_from_the_providers_seeded_stream(clock: ManualClock) -> None:
    """A seeded provider draws the same states, codes and keys whether or not a lease was
    taken of it (the lease has randomness of its own)."""
    taken, untouched = _provider("vneid", clock), _provider("vneid", clock)
    taken.lease.take("A", 60)
    assert taken.entropy.token() == untouched.entropy.token()


def test_the_lease_alone_on_a_manual_clock() -> None:
    """The lease without HTTP: a renewal keeps its id and moves its end; the end is exact."""
    clock = ManualClock()
    lease = Lease(clock, SeededEntropy("lease-ids"))
    first = lease.take("A", 30)
    clock.advance(20)
    renewed = lease.take("A", 30, first["lease_id"])
    assert renewed["lease_id"] == first["lease_id"]
    assert renewed["expires_in"] == 30
    clock.advance(29.999)
    assert lease.state()["held"] is True
    clock.advance(0.001)  # ends at its time exactly
    assert lease.state() == {
        "held": False,
        "previous": {"holder": "A", "released": False, "ended_ago": 0},
    }


@pytest.mark.clause("S-6")
def test_lease_calls_stay_out_of_the_request_log(http: httpx.Client) -> None:
    """The log is readable by any user of the control API, and a test reads it: neither the
    lease's id nor a run's renewals in the middle of its test may be there."""
    lease_id = http.post("/_harness/lease", json={"holder": "A"}).json()["lease_id"]
    http.post("/_harness/lease", json={"holder": "A", "lease_id": lease_id})
    http.get("/_harness/lease")
    http.delete(f"/_harness/lease/{lease_id}")
    http.get("/_harness/health")
    logged = http.get("/_harness/requests").json()["requests"]
    assert [r["path"] for r in logged] == ["/_harness/health"]
