"""Bounded everything: every in-memory store has a cap (and the ephemeral ones a TTL) with a
clear error when full, the request logs are bounded, and every outbound call has a timeout."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.embedded import SyncASGITransport
from harness.personas import PersonaFactory
from harness.protocol import ManualClock, ProtocolError
from harness.serve import ServedProviders
from mock_providers import _http
from mock_providers.vneid import PersonaRecord, VNeIDProvider
from mock_providers.vneid import provider as vneid_provider
from mock_providers.vneid.faults import MAX_FAULT_TIMES
from mock_providers.vneid.ttl import TTLStore
from mock_providers.vssid import AccountRecord, VssIDProvider, VssIDSettings
from mock_providers.vssid.transactions import SessionStore, TransactionStore
from tests.robustness.served_pair import VNEID_APP, VSSID_APP


def test_the_request_log_drops_its_oldest_beyond_its_bound() -> None:
    from mock_providers._http import RequestLog

    log = RequestLog()
    for n in range(1001):
        log.append(_exchange(n))
    assert len(log) == 1000
    assert [e.path for e in log.all()[:2]] == ["/p1", "/p2"]


def _exchange(n: int) -> Any:
    from mock_providers.request_log import _Unread

    return _Unread(at=float(n), method="GET", path=f"/p{n}", query=b"", headers=b"", body=b"",
                   status=200, response_type="", response=b"")


def test_every_store_is_bounded() -> None:
    vneid, vssid = VNeIDProvider(), VssIDProvider()
    ttl_stores = {"sessions": vneid.grants.sessions, "codes": vneid.grants.codes,
                  "access tokens": vneid.grants.access_tokens}
    for name, store in ttl_stores.items():
        assert isinstance(store, TTLStore), name
        assert store.max_items == 100_000, name
    assert vneid.requests.maxlen == vssid.requests.maxlen == 1000
    assert len(vssid.outgoing.all()) == 0
    assert vssid.outgoing._items.maxlen == 1000
    assert isinstance(vssid.transactions, TransactionStore)
    assert isinstance(vssid.sessions, SessionStore)
    assert vneid_provider.MAX_PERSONAS == 100_000
    assert vneid_provider.MAX_CLIENTS == 1_000
    assert MAX_FAULT_TIMES == 1_000


def test_a_full_vssid_transaction_store_is_a_clear_503(served: ServedProviders) -> None:
    provider = served.vssid
    saved = provider.transactions
    provider.transactions = TransactionStore(provider.clock, limit=2)
    try:
        url = f"{served.vssid_url}/api/v1/auth/vneid/start"
        assert [httpx.post(url, headers=VSSID_APP, timeout=10).status_code
                for _ in range(2)] == [200, 200]
        r = httpx.post(url, headers=VSSID_APP, timeout=10)
        body = r.json()
        assert (r.status_code, body["error"], body["clause"]) == (
            503, "temporarily_unavailable", "R-1")
        assert "holds 2 live login transactions, its limit" in body["error_description"]
        provider.clock.offset = 2 * 600 + 1  # both expire (and their kept tombstones)
        assert httpx.post(url, headers=VSSID_APP, timeout=10).status_code == 200
    finally:
        provider.transactions = saved
        provider.clock.offset = 0


def test_a_full_vneid_session_store_is_a_clear_503(served: ServedProviders) -> None:
    persona = served.vneid.add_persona(PersonaRecord.from_json(
        PersonaFactory("bounds").new().to_vneid_json()))
    store = served.vneid.grants.sessions
    store.max_items = len(store) + 1
    try:
        body = {"personal_id": persona.personal_id, "passcode": persona.passcode}
        url = f"{served.vneid_url}/api/app/v1/sessions"
        assert httpx.post(url, json=body, headers=VNEID_APP, timeout=10).status_code == 200
        r = httpx.post(url, json=body, headers=VNEID_APP, timeout=10)
        error = r.json()
        assert (r.status_code, error["error"], error["clause"]) == (
            503, "temporarily_unavailable", "A-4")
        assert "live app sessions, its limit" in error["error_description"]
        assert "try again" in error["error_description"]
    finally:
        store.max_items = 100_000


def test_record_limits_are_clear_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    vneid = VNeIDProvider()
    monkeypatch.setattr(vneid_provider, "MAX_PERSONAS", 1)
    person, other = PersonaFactory("cap").new(), PersonaFactory("cap-2").new()
    vneid.add_persona(PersonaRecord.from_json(person.to_vneid_json()))
    vneid.add_persona(PersonaRecord.from_json(person.to_vneid_json()))  # replacing is fine
    with pytest.raises(ProtocolError, match="holds 1 personas, its limit; remove some"):
        vneid.add_persona(PersonaRecord.from_json(other.to_vneid_json()))
    vssid = VssIDProvider()
    vssid.account_store._limit = 1
    vssid.add_account(AccountRecord.from_json(person.to_vssid_account_json()))
    with pytest.raises(ProtocolError, match="holds 1 accounts, its limit; remove some"):
        vssid.add_account(AccountRecord.from_json(other.to_vssid_account_json()))


def test_the_request_log_keeps_a_bounded_summary_of_big_bodies(
        served: ServedProviders) -> None:
    padding = "x" * (_http.RECORDED_BODY_BYTES + 100)
    httpx.post(f"{served.vneid_url}/_harness/personas", json={"padding": padding}, timeout=10)
    entry = served.vneid.requests.calls_to("/_harness/personas", "POST")[-1]
    assert entry.status == 400
    assert entry.body.startswith("[application/json, ")
    assert f"over the {_http.RECORDED_BODY_BYTES} recorded" in entry.body


@pytest.fixture
def black_hole() -> Iterator[str]:
    """A loopback port that accepts connections (the backlog) and never answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def test_an_issuer_that_never_answers_times_out(black_hole: str) -> None:
    """The relying party's calls to the issuer (discovery, JWKS, token, userinfo) have a
    timeout: a silent issuer is 502 provider_unavailable, not a hang."""
    vssid = VssIDProvider(VssIDSettings(issuer=black_hole, issuer_timeout=0.3),
                          clock=ManualClock(), issuer_transport=None)
    with httpx.Client(transport=SyncASGITransport(vssid.app), base_url="http://vssid.test",
                      timeout=30) as http:
        start = http.post("/api/v1/auth/vneid/start", headers=VSSID_APP).json()
        tx = vssid.transactions.get(start["transaction_id"])
        assert tx is not None
        callback = f"{tx.redirect_uri}?code=c&state={tx.state}&iss={black_hole}"
        r = http.post("/api/v1/auth/vneid/complete", headers=VSSID_APP,
                      json={"transaction_id": start["transaction_id"], "callback_url": callback})
    body = r.json()
    assert (r.status_code, body["error"]) == (502, "provider_unavailable")
    assert "no answer within 0.3 s" in body["error_description"]
    assert [c.purpose for c in vssid.outgoing.all()] == ["discovery"]
