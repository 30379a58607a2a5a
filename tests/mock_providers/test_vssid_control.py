"""The VssID test-control API (§11) and its guard (S-6)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from harness.protocol import DEFAULT_PROFILE, ProtocolError, parse_authorize_link
from mock_providers.vssid import AccountRecord
from tests.mock_providers.vssid_fixtures import (
    BHXH_CODE,
    PERSONAL_ID,
    START,
    VssIDWorld,
    assert_error,
    world_fixture,
)

OFF_LOOPBACK = ("203.0.113.5", 1234)
ROUTES = [
    ("GET", "/_harness/health", None),
    ("GET", "/_harness/accounts", None),
    (
        "POST",
        "/_harness/accounts",
        {"bhxh_code": "0000000001", "personal_id": "079300000001", "full_name": "X"},
    ),
    ("DELETE", f"/_harness/accounts/{BHXH_CODE}", None),
    ("GET", "/_harness/config", None),
    ("POST", "/_harness/config", {"client_id": "evil"}),
    ("GET", "/_harness/clock", None),
    ("POST", "/_harness/clock", {"offset_seconds": 5}),
    ("GET", "/_harness/requests", None),
    ("DELETE", "/_harness/requests", None),
]


@pytest.fixture
def world() -> Iterator[VssIDWorld]:
    yield from world_fixture()


# -- S-6 -------------------------------------------------------------------------------------


@pytest.mark.clause("S-6")
@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=lambda v: str(v)[:30])
def test_control_api_refuses_callers_off_loopback(
    world: VssIDWorld, method: str, path: str, body: Any
) -> None:
    with world.client_from(OFF_LOOPBACK) as client:
        response = client.request(method, path, json=body)
    assert_error(response, 403, "forbidden", "S-6")
    assert world.provider.settings.client_id == "vssid"
    assert world.provider.clock.offset == 0
    assert len(world.provider.accounts()) == 1


@pytest.mark.clause("S-6")
def test_app_api_is_served_off_loopback(world: VssIDWorld) -> None:
    with world.client_from(OFF_LOOPBACK) as client:
        assert client.post("/api/v1/auth/vneid/start").status_code == 200


@pytest.mark.clause("S-6")
def test_admin_token_opens_the_control_api_anywhere() -> None:
    with VssIDWorld(admin_token="s3cret-admin") as world:
        with world.client_from(OFF_LOOPBACK) as client:
            ok = client.get("/_harness/health", headers={"X-Harness-Admin-Token": "s3cret-admin"})
            assert ok.status_code == 200
            bearer = client.get(
                "/_harness/config", headers={"Authorization": "Bearer s3cret-admin"}
            )
            assert bearer.status_code == 200
            assert "s3cret-admin" not in bearer.text
            wrong = client.get("/_harness/health", headers={"X-Harness-Admin-Token": "guess"})
            assert_error(wrong, 403, "forbidden", "S-6")
        # With a token configured, loopback needs it too.
        assert_error(world.client.get("/_harness/health"), 403, "forbidden", "S-6")


# -- health, accounts --------------------------------------------------------------------------


def test_health(world: VssIDWorld) -> None:
    response = world.client.get("/_harness/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert isinstance(body["version"], str)
    assert body["version"]


@pytest.mark.clause("P-1")
def test_accounts_add_replace_list_delete(world: VssIDWorld) -> None:
    new = {"bhxh_code": "0000000001", "personal_id": "079300000001", "full_name": "Trần Thị B"}
    added = world.client.post("/_harness/accounts", json=new)
    assert added.status_code == 200, added.text
    assert added.json() == {**new, "status": "active"}
    replaced = world.client.post("/_harness/accounts", json={**new, "status": "locked"})
    assert replaced.json()["status"] == "locked"
    listed = world.client.get("/_harness/accounts").json()["accounts"]
    assert sorted(a["bhxh_code"] for a in listed) == ["0000000001", BHXH_CODE]
    linked = world.client.get("/_harness/accounts", params={"personal_id": "079300000001"})
    assert linked.json() == {"accounts": [{**new, "status": "locked"}]}
    nobody = world.client.get("/_harness/accounts", params={"personal_id": "079300000002"})
    assert nobody.json() == {"accounts": []}
    assert_error(
        world.client.get("/_harness/accounts", params={"personal_id": "1" * 65}),
        400,
        "invalid_request",
        "P-1",
    )
    assert world.client.delete("/_harness/accounts/0000000001").status_code == 200
    assert_error(world.client.delete("/_harness/accounts/0000000001"), 404, "not_found", "P-1")
    assert [a.bhxh_code for a in world.provider.accounts()] == [BHXH_CODE]


@pytest.mark.clause("P-1")
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"bhxh_code": "123", "personal_id": PERSONAL_ID, "full_name": "A"}, "bhxh_code"),
        ({"bhxh_code": 1234567890, "personal_id": PERSONAL_ID, "full_name": "A"}, "bhxh_code"),
        (
            {"bhxh_code": "０１２３４５６７８９", "personal_id": PERSONAL_ID, "full_name": "A"},
            "bhxh_code",
        ),
        ({"bhxh_code": "0000000009", "personal_id": "12", "full_name": "A"}, "personal_id"),
        ({"bhxh_code": "0000000009", "personal_id": "079300000001", "full_name": ""}, "full_name"),
        ({"bhxh_code": "0000000009", "personal_id": "079300000001", "full_name": 3}, "full_name"),
        (
            {"bhxh_code": "0000000009", "personal_id": "079300000001", "full_name": "Nul\x00Name"},
            "full_name",
        ),  # a persona file refuses it too (and a browser drops the NUL)
        (
            {"bhxh_code": "0000000009", "personal_id": "079300000001", "full_name": "A\nB"},
            "full_name",
        ),
        (
            {
                "bhxh_code": "0000000009",
                "personal_id": "079300000001",
                "full_name": "A",
                "status": "frozen",
            },
            "status",
        ),
        (
            {
                "bhxh_code": "0000000009",
                "personal_id": "079300000001",
                "full_name": "A",
                "passcode": "x",
            },
            "passcode",
        ),
        ({"bhxh_code": "0000000009", "full_name": "A"}, "personal_id"),
        ({"bhxh_code": "0000000009", "personal_id": PERSONAL_ID, "full_name": "A"}, "personal_id"),
    ],
    ids=lambda v: str(v)[:40],
)
def test_invalid_accounts_are_refused_naming_the_field(
    world: VssIDWorld, body: dict[str, Any], field: str
) -> None:
    response = world.client.post("/_harness/accounts", json=body)
    error = assert_error(response, 400, "invalid_request", "P-1")
    assert field in error["error_description"]
    assert len(world.provider.accounts()) == 1


@pytest.mark.clause("P-1")
def test_account_record_json_round_trip() -> None:
    record = AccountRecord.from_json(
        {"bhxh_code": BHXH_CODE, "personal_id": PERSONAL_ID, "full_name": "A", "status": "locked"}
    )
    assert AccountRecord.from_json(record.to_json()) == record
    assert not record.active
    with pytest.raises(ProtocolError) as info:
        AccountRecord.from_json(["not", "an", "object"])
    assert (info.value.code, info.value.status) == ("invalid_request", 400)


# -- config ------------------------------------------------------------------------------------


@pytest.mark.clause("S-5")
def test_config_shows_the_settings_with_the_secret_redacted(world: VssIDWorld) -> None:
    body = world.client.get("/_harness/config").json()
    assert body["issuer"] == world.settings.issuer
    assert body["client_id"] == "vssid"
    assert body["client_secret"] == "[REDACTED]"
    assert world.settings.client_secret not in world.client.get("/_harness/config").text


@pytest.mark.clause("R-2", "A-2")
def test_config_changes_what_the_next_login_uses(world: VssIDWorld) -> None:
    response = world.client.post(
        "/_harness/config",
        json={
            "client_id": "vssid-2",
            "redirect_uri": DEFAULT_PROFILE.callback_https,
            "client_secret": "another-secret",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["client_id"] == "vssid-2"
    assert "another-secret" not in response.text
    params = parse_authorize_link(world.start()["authorize_url"])[1].params
    assert params["client_id"] == "vssid-2"
    assert params["redirect_uri"] == DEFAULT_PROFILE.callback_https
    assert world.provider.settings.client_secret == "another-secret"


@pytest.mark.clause("A-1")
def test_config_sets_the_form_of_the_authorize_links(world: VssIDWorld) -> None:
    response = world.client.post("/_harness/config", json={"link_form": "https"})
    assert response.status_code == 200, response.text
    assert response.json()["link_form"] == "https"
    assert world.start()["authorize_url"].startswith(f"{DEFAULT_PROFILE.authorize_link_https}?")
    world.client.post("/_harness/config", json={"link_form": "custom"})
    assert world.start()["authorize_url"].startswith(f"{DEFAULT_PROFILE.authorize_link_custom}?")


@pytest.mark.parametrize(
    ("body", "field", "clause"),
    [
        ({"issuer": "ftp://id.test"}, "issuer", "R-2"),
        ({"issuer": "http://id.test?x=1"}, "issuer", "R-2"),
        ({"issuer": 5}, "issuer", "R-2"),
        ({"client_id": ""}, "client_id", "A-2"),
        ({"client_id": "tab\there"}, "client_id", "A-2"),
        ({"client_secret": ["x"]}, "client_secret", "T-1"),
        ({"redirect_uri": "vssid://auth/vneid/callback#frag"}, "redirect_uri", "R-4"),
        ({"redirect_uri": "relative/path"}, "redirect_uri", "R-4"),
        ({"admin_token": "x"}, "admin_token", "R-2"),
        ({"link_form": "sideways"}, "link_form", "A-1"),
        ({"link_form": ["https"]}, "link_form", "A-1"),
    ],
    ids=lambda v: str(v)[:40],
)
def test_invalid_config_is_refused_and_changes_nothing(
    world: VssIDWorld, body: dict[str, Any], field: str, clause: str
) -> None:
    before = world.provider.settings
    error = assert_error(
        world.client.post("/_harness/config", json=body), 400, "invalid_request", clause
    )
    assert field in error["error_description"]
    assert world.provider.settings == before


# -- clock, requests ---------------------------------------------------------------------------


@pytest.mark.clause("R-8")
def test_clock_offset(world: VssIDWorld) -> None:
    response = world.client.post("/_harness/clock", json={"offset_seconds": 601})
    assert response.json() == {"offset_seconds": 601, "now": START + 601}
    assert world.client.get("/_harness/clock").json()["offset_seconds"] == 601
    assert world.provider.clock.now() == START + 601


@pytest.mark.clause("R-8")
@pytest.mark.parametrize(
    "content",
    [
        b'{"offset_seconds": "1"}',
        b'{"offset_seconds": true}',
        b'{"offset_seconds": NaN}',
        b'{"offset_seconds": 1e12}',
        b'{"offset_seconds": -4e8}',
        b"{}",
        b"[]",
        b'{"offset_seconds": 1' + b"0" * 400 + b"}",
    ],
)
def test_invalid_clock_offset(world: VssIDWorld, content: bytes) -> None:
    response = world.client.post(
        "/_harness/clock", content=content, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "invalid_request", "R-8")
    assert world.provider.clock.offset == 0


@pytest.mark.clause("S-5")
def test_requests_incoming_and_outgoing_are_recorded_redacted(world: VssIDWorld) -> None:
    token = world.login().json()["session_token"]
    incoming = world.client.get("/_harness/requests").json()["requests"]
    complete = next(r for r in incoming if r["path"] == "/api/v1/auth/vneid/complete")
    assert complete["status"] == 200
    assert "code-1" not in str(complete["body"])
    assert token not in str(incoming)
    outgoing = world.client.get("/_harness/requests?direction=outgoing").json()["requests"]
    assert [c["purpose"] for c in outgoing] == ["discovery", "token", "jwks", "userinfo"]
    assert "code-1" not in str(outgoing)
    assert world.settings.client_secret not in str(outgoing)
    assert_error(
        world.client.get("/_harness/requests?direction=sideways"), 400, "invalid_request", "S-5"
    )


def test_delete_requests_clears_both_directions(world: VssIDWorld) -> None:
    world.login()
    assert world.client.delete("/_harness/requests?direction=outgoing").status_code == 200
    assert world.provider.outgoing.all() == []
    assert world.provider.requests.all() != []
    assert world.client.delete("/_harness/requests").status_code == 200
    assert world.provider.requests.all() == []
    world.login()  # both logs hold calls again: a DELETE without direction empties both
    assert world.provider.outgoing.all() != []
    assert world.client.delete("/_harness/requests").json() == {"cleared": "all"}
    assert world.provider.outgoing.all() == []
    assert world.provider.requests.all() == []
