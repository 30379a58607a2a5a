"""The callback checks of VssID complete (R-1…R-4): each refusal stops before the token call."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.protocol import DEFAULT_PROFILE, add_query, parse_authorize_link
from tests.mock_providers.vssid_fixtures import ISSUER, VssIDWorld, assert_error, world_fixture


@pytest.fixture
def world() -> Iterator[VssIDWorld]:
    yield from world_fixture()


def _no_token_call(world: VssIDWorld) -> None:
    """R-3 and the OIDF RP tests' "expect nothing": the login stopped before the token call."""
    assert world.fake.calls_to("/token") == []
    assert world.provider.outgoing.calls("token") == []


@pytest.mark.clause("R-1")
@pytest.mark.parametrize("state", ["forged", "", None])
def test_state_mismatch_or_missing(world: VssIDWorld, state: str | None) -> None:
    assert_error(world.login(state=state), 400, "state_mismatch", "R-1")
    _no_token_call(world)


@pytest.mark.clause("R-1")
def test_state_of_another_login_is_refused(world: VssIDWorld) -> None:
    earlier = world.start()
    later = world.start()
    earlier_state = parse_authorize_link(earlier["authorize_url"])[1].params["state"]
    callback = world.fake.approve(later["authorize_url"], state=earlier_state)
    assert_error(world.complete(later["transaction_id"], callback), 400, "state_mismatch", "R-1")
    _no_token_call(world)


@pytest.mark.clause("R-2")
@pytest.mark.parametrize("iss", ["http://evil.test", ISSUER + "/", "", None])
def test_iss_mismatch_or_missing(world: VssIDWorld, iss: str | None) -> None:
    assert_error(world.login(iss=iss), 400, "issuer_mismatch", "R-2")
    _no_token_call(world)


@pytest.mark.clause("R-3")
def test_access_denied_ends_the_login_without_a_token_request(world: VssIDWorld) -> None:
    started = world.start()
    callback = world.fake.deny(started["authorize_url"], "access_denied")
    body = assert_error(
        world.complete(started["transaction_id"], callback), 400, "access_denied", "R-3"
    )
    assert body["provider_error"] == "access_denied"
    assert "the user cancelled" in body["error_description"]
    assert world.fake.calls == []
    assert world.provider.outgoing.all() == []
    again = world.complete(started["transaction_id"], callback)
    assert_error(again, 409, "transaction_already_used", "R-1")


@pytest.mark.clause("R-3", "P-2")
def test_unmet_authentication_requirements_is_403(world: VssIDWorld) -> None:
    started = world.start()
    callback = world.fake.deny(started["authorize_url"], "unmet_authentication_requirements")
    assert_error(
        world.complete(started["transaction_id"], callback),
        403,
        "unmet_authentication_requirements",
        "R-3",
    )
    _no_token_call(world)


@pytest.mark.clause("R-3")
@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        ("invalid_scope", 400, "invalid_scope"),
        ("server_error", 502, "server_error"),
        ("temporarily_unavailable", 502, "provider_unavailable"),
        ("login_required", 400, "invalid_request"),
        ("state_mismatch", 400, "invalid_request"),
        ('"><script>', 400, "invalid_request"),
    ],
)
def test_other_error_callbacks(world: VssIDWorld, error: str, status: int, code: str) -> None:
    started = world.start()
    callback = world.fake.deny(started["authorize_url"], error)
    body = assert_error(world.complete(started["transaction_id"], callback), status, code, "R-3")
    assert "provider_error" in body
    _no_token_call(world)


@pytest.mark.clause("R-2", "R-3")
def test_iss_is_checked_before_acting_on_an_error(world: VssIDWorld) -> None:
    """RFC 9207 §2.4: a mixed-up error response is refused as issuer_mismatch."""
    started = world.start()
    callback = world.fake.deny(started["authorize_url"], "access_denied", iss="http://evil.test")
    assert_error(world.complete(started["transaction_id"], callback), 400, "issuer_mismatch", "R-2")
    _no_token_call(world)


@pytest.mark.clause("R-4")
@pytest.mark.parametrize(
    "redirect_uri",
    [
        DEFAULT_PROFILE.callback_https,
        "vssid://auth/vneid/callback/extra",
        "evil://auth/vneid/callback",
        "vssid://other/vneid/callback",
    ],
)
def test_callback_to_another_redirect_uri(world: VssIDWorld, redirect_uri: str) -> None:
    started = world.start()
    state = parse_authorize_link(started["authorize_url"])[1].params["state"]
    callback = add_query(redirect_uri, [("code", "code-1"), ("state", state), ("iss", ISSUER)])
    assert_error(world.complete(started["transaction_id"], callback), 400, "invalid_request", "R-4")
    _no_token_call(world)


@pytest.mark.clause("A-5")
@pytest.mark.parametrize("code", [None, ""])
def test_callback_without_code_or_error(world: VssIDWorld, code: str | None) -> None:
    assert_error(world.login(code=code), 400, "invalid_request", "A-5")
    _no_token_call(world)


@pytest.mark.clause("A-6")
@pytest.mark.parametrize(
    "callback", ["not a url", "no-scheme", "vssid://auth/vneid/callback?code=a&code=b", "x" * 9000]
)
def test_undecodable_callback(world: VssIDWorld, callback: str) -> None:
    started = world.start()
    response = world.complete(started["transaction_id"], callback)
    assert_error(response, 400, "invalid_request", "A-6")
    _no_token_call(world)
