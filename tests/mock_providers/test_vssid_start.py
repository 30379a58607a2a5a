"""VssID start (A-1, A-2) and the app-version gate on every app API call (V-3, V-4)."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from harness.protocol import (
    ACR_LEVEL2,
    DEFAULT_PROFILE,
    LinkForm,
    is_valid_code_verifier,
    parse_authorize_link,
    s256_challenge,
)
from tests.mock_providers.vssid_fixtures import (
    APP_HEADERS,
    CLIENT_ID,
    VssIDWorld,
    assert_error,
    world_fixture,
)

START = "/api/v1/auth/vneid/start"


@pytest.fixture
def world() -> Iterator[VssIDWorld]:
    yield from world_fixture()


def _bits(token: str) -> int:
    return 8 * len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))


@pytest.mark.clause("A-1")
def test_start_answers_transaction_link_and_lifetime(world: VssIDWorld) -> None:
    body = world.start()
    assert set(body) == {"transaction_id", "authorize_url", "expires_in"}
    assert body["expires_in"] == DEFAULT_PROFILE.transaction_ttl == 600
    assert world.provider.transactions.get(body["transaction_id"]) is not None
    assert world.fake.calls == []  # nothing is fetched from the issuer before it is needed


@pytest.mark.clause("A-2")
def test_authorize_url_carries_every_a2_parameter(world: VssIDWorld) -> None:
    body = world.start()
    form, link = parse_authorize_link(body["authorize_url"])
    params = link.params
    assert form is LinkForm.CUSTOM_SCHEME
    assert link.base == DEFAULT_PROFILE.authorize_link_custom
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == DEFAULT_PROFILE.callback_custom
    assert "openid" in params["scope"].split()
    assert params["code_challenge_method"] == "S256"
    assert params["acr_values"] == ACR_LEVEL2
    tx = world.provider.transactions.get(body["transaction_id"])
    assert tx is not None
    assert params["state"] == tx.state
    assert params["nonce"] == tx.nonce


@pytest.mark.clause("A-1", "S-1")
def test_state_nonce_and_verifier_are_fresh_and_strong(world: VssIDWorld) -> None:
    first, second = world.start(), world.start()
    txs = [world.provider.transactions.get(b["transaction_id"]) for b in (first, second)]
    assert txs[0] is not None
    assert txs[1] is not None
    for tx, body in zip(txs, (first, second), strict=True):
        assert tx is not None
        assert _bits(tx.state) >= 128
        assert _bits(tx.nonce) >= 128
        assert len(tx.code_verifier) == 43
        assert is_valid_code_verifier(tx.code_verifier)
        params = parse_authorize_link(body["authorize_url"])[1].params
        assert params["code_challenge"] == s256_challenge(tx.code_verifier)
    assert txs[0].state != txs[1].state
    assert txs[0].nonce != txs[1].nonce
    assert txs[0].code_verifier != txs[1].code_verifier
    assert first["transaction_id"] != second["transaction_id"]


@pytest.mark.clause("A-1")
def test_claimed_https_link_form() -> None:
    with VssIDWorld(
        link_form=LinkForm.CLAIMED_HTTPS, redirect_uri=DEFAULT_PROFILE.callback_https
    ) as world:
        body = world.start()
        form, link = parse_authorize_link(body["authorize_url"])
        assert form is LinkForm.CLAIMED_HTTPS
        assert body["authorize_url"].startswith("https://vneid.test/authorize?")
        assert link.params["redirect_uri"] == DEFAULT_PROFILE.callback_https
        assert world.login().status_code == 200


@pytest.mark.clause("A-1")
@pytest.mark.parametrize("kwargs", [{}, {"json": {}}, {"json": {"ignored": 1}}, {"content": b"  "}])
def test_start_takes_an_empty_or_object_body(world: VssIDWorld, kwargs: dict[str, object]) -> None:
    response = world.client.post(START, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text


@pytest.mark.clause("A-1")
@pytest.mark.parametrize("content", [b"[]", b'"text"', b"{not json", b"null", b"42"])
def test_start_refuses_a_body_that_is_not_an_object(world: VssIDWorld, content: bytes) -> None:
    response = world.client.post(
        START, content=content, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "invalid_request", "A-1")


@pytest.mark.clause("V-4")
@pytest.mark.parametrize("platform", ["ios", "android"])
@pytest.mark.parametrize("version", ["1.6.6", "1.6.7-beta", "1.5", "0.9.99"])
def test_old_app_version_needs_an_update_with_the_store_link(
    world: VssIDWorld, version: str, platform: str
) -> None:
    response = world.client.post(
        START, headers={"X-VssID-App-Version": version, "X-Device-Platform": platform}
    )
    body = assert_error(response, 426, "app_update_required", "V-4")
    assert body["store_url"] == DEFAULT_PROFILE.store_link("vssid", platform)
    assert body["minimum_version"] == "1.6.7"
    assert len(world.provider.transactions) == 0


@pytest.mark.clause("V-4")
def test_an_update_without_a_known_platform_says_why_it_has_no_store_link(
    world: VssIDWorld,
) -> None:
    """V-4's store link is for ``ios|android``: the 426 had ``store_url: null`` and did not
    say why (an error review)."""
    headers = {"X-VssID-App-Version": "1.6.6", "X-Device-Platform": "windows"}
    body = assert_error(
        world.client.post(START, headers=headers), 426, "app_update_required", "V-4"
    )
    assert body["store_url"] is None
    assert set(body["store_urls"]) == {"ios", "android"}
    assert (
        "(X-Device-Platform: ios or android), store_urls lists each" in (body["error_description"])
    )


@pytest.mark.clause("V-2", "V-4")
@pytest.mark.parametrize("version", ["1.6.7", "1.6.10", "1.7", "2.0.0", "1.6.7+build.5"])
def test_new_enough_versions_pass(world: VssIDWorld, version: str) -> None:
    response = world.client.post(START, headers={"X-VssID-App-Version": version})
    assert response.status_code == 200, response.text


@pytest.mark.clause("V-3")
@pytest.mark.parametrize("version", [None, "", "01.6.7", "v1.6.7", "1..6", "1.6.7.0.1", "9" * 70])
def test_missing_or_malformed_version_is_invalid(world: VssIDWorld, version: str | None) -> None:
    headers = {k: v for k, v in APP_HEADERS.items() if k != "X-VssID-App-Version"}
    with world.client_from(("127.0.0.1", 50001), headers=headers) as client:
        extra = {} if version is None else {"X-VssID-App-Version": version}
        response = client.post(START, headers=extra)
    assert_error(response, 400, "app_version_invalid", "V-3")


@pytest.mark.clause("V-4")
@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/api/v1/auth/vneid/complete"), ("GET", "/api/v1/me")]
)
def test_every_app_api_call_is_gated(world: VssIDWorld, method: str, path: str) -> None:
    old = world.client.request(method, path, headers={"X-VssID-App-Version": "1.6.6"})
    assert_error(old, 426, "app_update_required", "V-4")
    bad = world.client.request(method, path, headers={"X-VssID-App-Version": "1.6.x"})
    assert_error(bad, 400, "app_version_invalid", "V-3")
