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
from mock_providers.vssid.transactions import SessionStore, TransactionStore, VssIDSession
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

    return _Unread(
        at=float(n),
        method="GET",
        path=f"/p{n}",
        query=b"",
        headers=b"",
        body=b"",
        status=200,
        response_type="",
        response=b"",
    )


def test_every_store_is_bounded() -> None:
    vneid, vssid = VNeIDProvider(), VssIDProvider()
    ttl_stores = {
        "sessions": vneid.grants.sessions,
        "codes": vneid.grants.codes,
        "access tokens": vneid.grants.access_tokens,
    }
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


def test_a_full_vssid_transaction_store_drops_its_oldest(served: ServedProviders) -> None:
    """A soak: transactions live 10 min, so a steady 83 logins a second filled 50,000, and a
    full store refused every later login with 503; it drops its oldest now (a transaction
    then unknown: 404 at complete, still refused)."""
    provider = served.vssid
    saved = provider.transactions
    provider.transactions = TransactionStore(provider.clock, limit=2)
    try:
        url = f"{served.vssid_url}/api/v1/auth/vneid/start"
        started = [httpx.post(url, headers=VSSID_APP, timeout=10) for _ in range(3)]
        assert [r.status_code for r in started] == [200, 200, 200]
        assert (len(provider.transactions), provider.transactions.evicted) == (2, 1)
        ids = [r.json()["transaction_id"] for r in started]
        done = httpx.post(
            f"{served.vssid_url}/api/v1/auth/vneid/complete",
            headers=VSSID_APP,
            json={"transaction_id": ids[0], "callback_url": "vssid://x"},
            timeout=10,
        )
        assert (done.status_code, done.json()["error"]) == (404, "transaction_not_found")
        assert [provider.transactions.get(i) is not None for i in ids] == [False, True, True]
    finally:
        provider.transactions = saved


def test_a_full_vssid_session_store_logs_out_its_oldest() -> None:
    """Sessions live an hour: a steady 14 logins a second filled 50,000, and every later
    ``complete`` was a 503 after its code was redeemed, until one expired."""
    clock = ManualClock()
    store = SessionStore(clock, limit=200)
    for n in range(201):
        clock.advance(1)
        store.add(f"t{n}", VssIDSession(f"{n:010d}", "001099000001", "A", clock.now() + 3600))
    assert (len(store), store.evicted) == (199, 2)  # the oldest hundredth went at once
    assert [store.get(f"t{n}") is None for n in (0, 1, 2, 200)] == [True, True, False, False]


def test_a_full_vneid_session_store_logs_out_its_oldest(served: ServedProviders) -> None:
    """The app sessions live 900 s: 100,000 filled at a steady 111 logins a second (a served
    pair finishes ~1,400), and every later login was a 503."""
    persona = served.vneid.add_persona(
        PersonaRecord.from_json(PersonaFactory("bounds").new().to_vneid_json())
    )
    grants = served.vneid.grants
    saved = grants.sessions
    grants.sessions = TTLStore(served.vneid.clock, 1, name="app sessions", clause="A-4")
    try:
        body = {"personal_id": persona.personal_id, "passcode": persona.passcode}
        url = f"{served.vneid_url}/api/app/v1/sessions"
        first, second = (
            httpx.post(url, json=body, headers=VNEID_APP, timeout=10) for _ in range(2)
        )
        assert (first.status_code, second.status_code) == (200, 200)
        answer = f"{served.vneid_url}/api/app/v1/authorizations"
        for session, status in ((first, 401), (second, 400)):  # 400: the link is no link
            r = httpx.post(
                answer,
                json={"link": "x", "decision": "approve"},
                timeout=10,
                headers={**VNEID_APP, "Authorization": f"Bearer {session.json()['session_token']}"},
            )
            assert r.status_code == status, r.text
        assert grants.sessions.evicted == 1
    finally:
        grants.sessions = saved


def test_a_full_ttl_store_drops_its_oldest_hundredth_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = ManualClock()
    dropped: list[int] = []
    store: TTLStore[int, int] = TTLStore(clock, 300, name="codes", on_evict=dropped.append)
    for n in range(302):
        store.put(n, n, 60)
    assert dropped == [0, 1, 2]  # once, at the 301st: 300 // 100 of the oldest
    assert (len(store), store.evicted) == (299, 3)
    assert [store.get(n) for n in (2, 3, 301)] == [None, 3, 301]
    said = [r.getMessage() for r in caplog.records if r.name == "mock_providers"]
    assert said == [
        "the VNeID mock's codes: 300 live, the limit; the oldest make room (under "
        "this load they live shorter than their lifetime)"
    ]
    clock.advance(61)  # expired entries go first: nothing live is dropped then
    for n in range(302, 602):
        store.put(n, n, 60)
    assert store.evicted == 3


def test_a_store_that_must_not_forget_refuses_when_full() -> None:
    """The client-assertion ids kept against replay (RFC 7523 §3): a dropped one would let
    its assertion be used again, so that store refuses a new one instead."""
    seen = VNeIDProvider().client_auth._seen_jti
    assert (seen.evict, seen.name) == (False, "client-assertion ids")
    clock = ManualClock()
    store: TTLStore[int, bool] = TTLStore(
        clock, 2, name="client-assertion ids", clause="T-1", evict=False
    )
    store.put(1, True, 30)
    store.put(2, True, 60)
    with pytest.raises(ProtocolError) as refused:
        store.put(3, True, 60)
    assert (refused.value.code, refused.value.clause) == ("temporarily_unavailable", "T-1")
    assert (
        "holds 2 live client-assertion ids, its limit; the next one expires in 30 s"
        in refused.value.description
    )


class _OneCodeGrants:
    """The grants of a provider whose code store holds one code; codes issued to VssID."""

    VERIFIER = "v" * 43

    def __init__(self) -> None:
        from mock_providers.vneid.grants import Grants

        self.grants: Grants = VNeIDProvider().grants
        self.grants.codes.max_items = 1
        self.persona = PersonaRecord.from_json(PersonaFactory("t2").new().to_vneid_json())

    def code(self) -> str:
        from harness.protocol.pkce import s256_challenge
        from mock_providers.vneid.grants import AuthorizationCode

        return self.grants.issue_code(
            AuthorizationCode(
                "vssid",
                "vssid://cb",
                s256_challenge(self.VERIFIER),
                None,
                self.persona,
                "acr",
                0.0,
                "openid",
            )
        )

    def redeem(self, code: str) -> str:
        _, token, _ = self.grants.redeem(
            code, client_id="vssid", redirect_uri="vssid://cb", code_verifier=self.VERIFIER
        )
        return token


def test_a_used_code_dropped_to_make_room_takes_its_tokens_along() -> None:
    """T-2: a replayed code revokes the tokens issued from it, so a used code is kept while
    they live; dropped from a full store, it revokes them then, or they would outlive it."""
    one = _OneCodeGrants()
    first = one.code()
    token = one.redeem(first)
    assert one.grants.access_tokens.get(token) is not None
    one.code()  # the store is full of the used first code: it makes room
    assert one.grants.codes.get(first) is None
    assert one.grants.access_tokens.get(token) is None


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


def test_the_request_log_keeps_a_bounded_summary_of_big_bodies(served: ServedProviders) -> None:
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
    vssid = VssIDProvider(
        VssIDSettings(issuer=black_hole, issuer_timeout=0.3),
        clock=ManualClock(),
        issuer_transport=None,
    )
    with httpx.Client(
        transport=SyncASGITransport(vssid.app), base_url="http://vssid.test", timeout=30
    ) as http:
        start = http.post("/api/v1/auth/vneid/start", headers=VSSID_APP).json()
        tx = vssid.transactions.get(start["transaction_id"])
        assert tx is not None
        callback = f"{tx.redirect_uri}?code=c&state={tx.state}&iss={black_hole}"
        r = http.post(
            "/api/v1/auth/vneid/complete",
            headers=VSSID_APP,
            json={"transaction_id": start["transaction_id"], "callback_url": callback},
        )
    body = r.json()
    assert (r.status_code, body["error"]) == (502, "provider_unavailable")
    assert "no answer within 0.3 s" in body["error_description"]
    assert [c.purpose for c in vssid.outgoing.all()] == ["discovery"]


def test_a_code_dropped_while_another_thread_redeems_it_still_takes_its_tokens() -> None:
    """Redemption holds the grants' lock for callers on other threads (T-2). A full code
    store, filled from another thread, dropped the code between its redemption's check and
    its token: the eviction revoked nothing (no token yet), the token was then issued, and
    the code was gone, so a replay could no longer revoke it."""
    import threading

    one = _OneCodeGrants()
    first = one.code()
    tokens = one.grants.access_tokens
    put = tokens.put
    other = threading.Thread(target=one.code)

    def put_while_another_thread_issues(key: str, value: Any, ttl: float) -> None:
        other.start()
        other.join(0.5)  # blocked on the lock (as it must be), or done: the race
        put(key, value, ttl)

    tokens.put = put_while_another_thread_issues  # type: ignore[method-assign]
    token = one.redeem(first)
    other.join(5)
    assert not other.is_alive()
    # the used code is still there to revoke its token on a replay, or it took it along
    assert one.grants.codes.get(first) is not None or tokens.get(token) is None
