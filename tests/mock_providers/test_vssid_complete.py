"""VssID complete: the happy path (A-6, T-1), the transaction's life (R-1), the token endpoint
(T-1, T-2), the account lookup (P-1) and the session (/me)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Iterator

import httpx
import pytest

from harness.protocol import parse_authorize_link, verify_s256
from mock_providers.defaults import EMBEDDED_VSSID_BASE_URL
from mock_providers.vssid import AccountRecord
from tests.mock_providers.vssid_fixtures import (
    APP_HEADERS,
    BHXH_CODE,
    DROP,
    FULL_NAME,
    PERSONAL_ID,
    VssIDWorld,
    assert_error,
    world_fixture,
)


@pytest.fixture
def world() -> Iterator[VssIDWorld]:
    yield from world_fixture()


def _me(world: VssIDWorld, token: str) -> httpx.Response:
    return world.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


@pytest.mark.clause("A-6", "T-1")
def test_happy_path_logs_in_and_me_returns_the_same_person(world: VssIDWorld) -> None:
    started = world.start()
    response = world.complete(
        started["transaction_id"], world.fake.approve(started["authorize_url"])
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["bhxh_code"] == BHXH_CODE
    assert body["full_name"] == FULL_NAME
    assert body["expires_in"] == 3600
    me = _me(world, body["session_token"])
    assert me.status_code == 200, me.text
    assert me.json() == {"bhxh_code": BHXH_CODE, "full_name": FULL_NAME, "personal_id": PERSONAL_ID}
    assert [c.path for c in world.fake.calls] == [
        "/.well-known/openid-configuration",
        "/token",
        "/jwks",
        "/userinfo",
    ]
    tx = world.provider.transactions.get(started["transaction_id"])
    assert tx is not None
    assert tx.outcome == "ok"


@pytest.mark.clause("T-1", "S-1")
def test_token_request_carries_code_redirect_uri_verifier_and_basic_auth(
    world: VssIDWorld,
) -> None:
    started = world.start()
    params = parse_authorize_link(started["authorize_url"])[1].params
    assert (
        world.complete(
            started["transaction_id"], world.fake.approve(started["authorize_url"])
        ).status_code
        == 200
    )
    (call,) = world.fake.calls_to("/token")
    assert call.form["grant_type"] == "authorization_code"
    assert call.form["code"] == "code-1"
    assert call.form["redirect_uri"] == params["redirect_uri"]
    assert verify_s256(call.form["code_verifier"], params["code_challenge"])
    assert "client_secret" not in call.form
    assert call.headers["authorization"].startswith("Basic ")
    assert call.headers["content-type"] == "application/x-www-form-urlencoded"


@pytest.mark.clause("T-1")
def test_client_secret_basic_form_encodes_before_base64() -> None:
    secret = "p@ss:w0rd/+ %&="
    with VssIDWorld(client_secret=secret) as world:
        assert world.login().status_code == 200
        (call,) = world.fake.calls_to("/token")
        raw = base64.b64decode(call.headers["authorization"].removeprefix("Basic "))
        assert raw == b"vssid:p%40ss%3Aw0rd%2F%2B+%25%26%3D"  # RFC 6749 §2.3.1


@pytest.mark.clause("T-1")
def test_client_secret_post() -> None:
    with VssIDWorld(token_endpoint_auth_method="client_secret_post") as world:
        assert world.login().status_code == 200
        (call,) = world.fake.calls_to("/token")
        assert call.form["client_id"] == "vssid"
        assert call.form["client_secret"] == world.settings.client_secret
        assert "authorization" not in call.headers


@pytest.mark.clause("T-1")
@pytest.mark.parametrize("token_type", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_token_type_is_compared_case_insensitively(world: VssIDWorld, token_type: str) -> None:
    world.fake.token_patch = {"token_type": token_type}
    assert world.login().status_code == 200


# -- the transaction's life (R-1) ------------------------------------------------------------


@pytest.mark.clause("R-1")
def test_a_transaction_completes_once(world: VssIDWorld) -> None:
    started = world.start()
    callback = world.fake.approve(started["authorize_url"])
    assert world.complete(started["transaction_id"], callback).status_code == 200
    again = world.complete(started["transaction_id"], callback)
    assert_error(again, 409, "transaction_already_used", "R-1")
    assert len(world.fake.calls_to("/token")) == 1


@pytest.mark.clause("R-1")
def test_a_failed_attempt_also_consumes_the_transaction(world: VssIDWorld) -> None:
    started = world.start()
    bad = world.complete(
        started["transaction_id"], world.fake.approve(started["authorize_url"], state="forged")
    )
    assert_error(bad, 400, "state_mismatch", "R-1")
    good = world.complete(started["transaction_id"], world.fake.approve(started["authorize_url"]))
    body = assert_error(good, 409, "transaction_already_used", "R-1")
    assert "state_mismatch" in body["error_description"]
    assert world.fake.calls_to("/token") == []


@pytest.mark.clause("R-1")
def test_concurrent_completes_let_exactly_one_through(world: VssIDWorld) -> None:
    started = world.start()
    callback = world.fake.approve(started["authorize_url"])
    payload = {"transaction_id": started["transaction_id"], "callback_url": callback}

    async def race() -> list[int]:
        transport = httpx.ASGITransport(app=world.provider.app)
        async with httpx.AsyncClient(
            transport=transport, base_url=EMBEDDED_VSSID_BASE_URL, headers=APP_HEADERS
        ) as client:
            responses = await asyncio.gather(
                *[client.post("/api/v1/auth/vneid/complete", json=payload) for _ in range(5)]
            )
        return sorted(r.status_code for r in responses)

    assert asyncio.run(race()) == [200, 409, 409, 409, 409]
    assert len(world.fake.calls_to("/token")) == 1


@pytest.mark.clause("R-1")
def test_expired_transaction(world: VssIDWorld) -> None:
    started = world.start()
    world.provider.clock.offset = 601
    response = world.complete(
        started["transaction_id"], world.fake.approve(started["authorize_url"])
    )
    assert_error(response, 410, "transaction_expired", "R-1")
    assert world.fake.calls == []


@pytest.mark.clause("R-1")
def test_an_expired_transaction_outlives_purges_for_its_message(world: VssIDWorld) -> None:
    """The store purges as logins start, but keeps an expired transaction one more lifetime,
    so its late callback still hears transaction_expired (410), not transaction_not_found."""
    started = world.start()
    world.provider.clock.offset = 601
    for _ in range(70):  # enough starts to run a purge
        world.start()
    response = world.complete(
        started["transaction_id"], world.fake.approve(started["authorize_url"])
    )
    assert_error(response, 410, "transaction_expired", "R-1")


@pytest.mark.clause("R-1")
def test_a_transaction_expires_at_exactly_ten_minutes(world: VssIDWorld) -> None:
    """R-1: "expires after 10 min": at 600 s it is over (only the state machine pinned this
    boundary; a transaction still alive at its deadline passed every example)."""
    started = world.start()
    world.provider.clock.offset = 600
    response = world.complete(
        started["transaction_id"], world.fake.approve(started["authorize_url"])
    )
    assert_error(response, 410, "transaction_expired", "R-1")


@pytest.mark.clause("R-1")
def test_transaction_still_valid_just_before_expiry(world: VssIDWorld) -> None:
    started = world.start()
    world.clock.advance(599)  # the base clock: both the provider and the issuer move
    response = world.complete(
        started["transaction_id"], world.fake.approve(started["authorize_url"])
    )
    assert response.status_code == 200, response.text


@pytest.mark.clause("R-1")
def test_unknown_transaction(world: VssIDWorld) -> None:
    response = world.complete("no-such-transaction", "vssid://auth/vneid/callback?code=x")
    assert_error(response, 404, "transaction_not_found", "R-1")


@pytest.mark.clause("R-1", "R-2")
def test_a_login_keeps_the_settings_it_started_with(world: VssIDWorld) -> None:
    started = world.start()
    world.provider.configure(issuer="http://elsewhere.test", client_id="other")
    response = world.complete(
        started["transaction_id"], world.fake.approve(started["authorize_url"])
    )
    assert response.status_code == 200, response.text


# -- the token endpoint (T-1, T-2) -------------------------------------------------------------


@pytest.mark.clause("T-2")
def test_invalid_grant_is_passed_through(world: VssIDWorld) -> None:
    world.fake.token_error = (
        400,
        {"error": "invalid_grant", "error_description": "the code was already redeemed"},
    )
    body = assert_error(world.login(), 400, "invalid_grant", "T-2")
    assert "the code was already redeemed" in body["error_description"]
    assert body["provider_error"] == "invalid_grant"
    assert world.fake.calls_to("/jwks") == []
    assert world.fake.calls_to("/userinfo") == []


@pytest.mark.clause("T-1")
def test_wrong_client_secret_is_invalid_client(world: VssIDWorld) -> None:
    world.fake.client_secret = "the-issuer-expects-another-secret"
    body = assert_error(world.login(), 400, "invalid_client", "T-1")
    assert body["provider_status"] == 401


@pytest.mark.clause("T-1")
@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, {"error": "server_error"}),
        (400, {"error": "made_up_error"}),
        (503, ["not", "an", "object"]),
    ],
)
def test_unusable_token_refusal_is_provider_unavailable(
    world: VssIDWorld, status: int, body: object
) -> None:
    world.fake.token_error = (status, body)  # type: ignore[assignment]
    assert_error(world.login(), 502, "provider_unavailable", "T-1")


@pytest.mark.clause("T-1")
@pytest.mark.parametrize(
    "patch",
    [{"token_type": "MAC"}, {"token_type": 1}, {"access_token": ""}, {"access_token": None}],
)
def test_malformed_token_response_is_refused(world: VssIDWorld, patch: dict[str, object]) -> None:
    world.fake.token_patch = patch
    assert_error(world.login(), 502, "provider_unavailable", "T-1")
    assert world.fake.calls_to("/userinfo") == []


@pytest.mark.clause("T-3")
def test_token_response_without_id_token(world: VssIDWorld) -> None:
    world.fake.token_patch = {"id_token": DROP}
    assert_error(world.login(), 401, "id_token_invalid", "T-3")


# -- the account (P-1) and the session ---------------------------------------------------------


@pytest.mark.clause("P-1", "R-11")
def test_no_vssid_account_for_this_person(world: VssIDWorld) -> None:
    assert world.provider.remove_account(BHXH_CODE)
    assert_error(world.login(), 404, "vssid_account_not_found", "P-1")
    assert world.fake.calls_to("/userinfo") == []


@pytest.mark.clause("P-1")
def test_locked_account_is_refused(world: VssIDWorld) -> None:
    world.provider.add_account(AccountRecord(BHXH_CODE, PERSONAL_ID, FULL_NAME, "locked"))
    assert_error(world.login(), 423, "account_locked", "P-1")


@pytest.mark.clause("A-6")
@pytest.mark.parametrize(
    ("header", "status", "code"),
    [
        (None, 401, "invalid_token"),
        ("Basic abc", 401, "invalid_token"),
        ("Bearer unknown-token", 401, "invalid_token"),
        ("Bearer", 400, "invalid_request"),
    ],
)
def test_me_refuses_a_missing_or_unknown_session(
    world: VssIDWorld, header: str | None, status: int, code: str
) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = world.client.get("/api/v1/me", headers=headers)
    assert_error(response, status, code, "A-6")


@pytest.mark.clause("A-6")
def test_session_expires(world: VssIDWorld) -> None:
    token = world.login().json()["session_token"]
    world.provider.clock.offset = 3599
    assert _me(world, token).status_code == 200
    world.provider.clock.offset = 3600
    assert_error(_me(world, token), 401, "invalid_token", "A-6")


@pytest.mark.clause("A-6")
def test_session_ends_when_the_account_is_locked(world: VssIDWorld) -> None:
    token = world.login().json()["session_token"]
    world.provider.add_account(AccountRecord(BHXH_CODE, PERSONAL_ID, FULL_NAME, "locked"))
    assert_error(_me(world, token), 401, "invalid_token", "A-6")
    world.provider.add_account(AccountRecord(BHXH_CODE, PERSONAL_ID, FULL_NAME, "active"))
    assert_error(_me(world, token), 401, "invalid_token", "A-6")  # ended, not suspended


@pytest.mark.clause("A-6")
def test_session_ends_when_its_bhxh_code_is_relinked_to_another_person(world: VssIDWorld) -> None:
    """A-6: /me returns the bhxh_code, full_name and personal_id "of the same person": a
    session must not follow its bhxh_code to a person who did not log in."""
    token = world.login().json()["session_token"]
    world.provider.add_account(AccountRecord(BHXH_CODE, "079203000001", "Someone Else"))
    assert_error(_me(world, token), 401, "invalid_token", "A-6")


class _ChangingOnUserinfo(httpx.AsyncBaseTransport):
    """The fake issuer, with ``change()`` made when VssID asks for userinfo: what a
    control-API call does on a served VssID while its login awaits the issuer."""

    def __init__(self) -> None:
        self.world: VssIDWorld | None = None
        self.change: Callable[[VssIDWorld], object] = lambda world: None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert self.world is not None
        if request.url.path == "/userinfo":
            self.change(self.world)
        return await httpx.ASGITransport(app=self.world.fake.app).handle_async_request(request)


@pytest.mark.clause("P-1", "A-6")
@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        (
            lambda w: w.provider.add_account(
                AccountRecord(BHXH_CODE, PERSONAL_ID, FULL_NAME, "locked")
            ),
            423,
            "account_locked",
        ),
        (lambda w: w.provider.remove_account(BHXH_CODE), 404, "vssid_account_not_found"),
    ],
    ids=["locked", "removed"],
)
def test_an_account_changed_while_userinfo_answers_gets_no_session(
    change: Callable[[VssIDWorld], object], status: int, error: str
) -> None:
    """The account was looked up before the userinfo call was awaited: one locked or removed
    meanwhile (the change acknowledged first) still got a session, and its bhxh_code."""
    transport = _ChangingOnUserinfo()
    with VssIDWorld(transport=transport) as world:
        transport.world, transport.change = world, change
        assert_error(world.login(), status, error, "P-1")
        assert len(world.provider.sessions) == 0


@pytest.mark.clause("P-1", "A-6")
@pytest.mark.parametrize("fetch_userinfo", [True, False], ids=["userinfo", "no-userinfo"])
def test_an_account_locked_while_the_issuer_connection_closes_gets_no_session(
    monkeypatch: pytest.MonkeyPatch, fetch_userinfo: bool
) -> None:
    """The issuer's connection is closed after the last call, and on a served VssID that
    close awaits (the socket's): an account locked then still got a session when it was
    looked up inside the connection's block."""
    from contextlib import asynccontextmanager

    with VssIDWorld(fetch_userinfo=fetch_userinfo) as world:
        client = world.provider.issuer_client
        opened = client.session

        @asynccontextmanager
        async def session(settings):  # type: ignore[no-untyped-def]
            async with opened(settings) as conn:
                yield conn
            world.provider.add_account(AccountRecord(BHXH_CODE, PERSONAL_ID, FULL_NAME, "locked"))
            await asyncio.sleep(0)

        monkeypatch.setattr(client, "session", session)
        assert_error(world.login(), 423, "account_locked", "P-1")
        assert len(world.provider.sessions) == 0
