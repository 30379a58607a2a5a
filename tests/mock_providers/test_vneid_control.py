"""The test-control API (§11) and its guard (S-6)."""

from __future__ import annotations

import httpx
import pytest

from harness.embedded import SyncASGITransport
from harness.protocol.redaction import REDACTED
from mock_providers.vneid import VNeIDProvider, VNeIDSettings

PERSONA = {
    "personal_id": "001099012345",
    "passcode": "123456",
    "level": 2,
    "full_name": "Nguyễn Văn An",
    "birthdate": "1999-05-01",
    "gender": "male",
    "status": "active",
}
TOKEN = "admin-token-for-tests"


def _error(r):
    body = r.json()
    return r.status_code, body["error"], body["clause"]


def test_health(vneid_http, vneid_provider):
    body = vneid_http.get("/_harness/health").json()
    assert body["status"] == "ok"
    assert body["version"]
    assert body["issuer"] == vneid_provider.issuer


def test_personas_add_replace_list_delete(vneid_http, vneid_provider):
    r = vneid_http.post("/_harness/personas", json=PERSONA)
    assert r.status_code == 200
    assert r.json()["passcode"] == REDACTED
    r = vneid_http.post("/_harness/personas", json={**PERSONA, "level": 1})
    assert r.json()["level"] == 1
    listed = vneid_http.get("/_harness/personas").json()["personas"]
    assert listed == [{**PERSONA, "level": 1, "passcode": REDACTED}]
    assert vneid_provider.persona("001099012345").passcode == "123456"
    r = vneid_http.delete("/_harness/personas/001099012345")
    assert r.status_code == 200
    assert vneid_provider.personas() == []
    r = vneid_http.delete("/_harness/personas/001099012345")
    assert _error(r) == (404, "not_found", "A-4")


def test_persona_validation_is_invalid_request_naming_the_field(vneid_http):
    r = vneid_http.post("/_harness/personas", json={**PERSONA, "level": 5})
    assert _error(r) == (400, "invalid_request", "P-2")
    assert "level" in r.json()["error_description"]


def test_clients_register_and_list_redacted(vneid_http, vneid_provider):
    r = vneid_http.post(
        "/_harness/clients",
        json={
            "client_id": "rp",
            "client_secret": "rp-secret",
            "redirect_uris": ["https://rp.test/cb"],
            "token_endpoint_auth_method": "client_secret_post",
        },
    )
    assert r.status_code == 200
    assert r.json()["client_secret"] == REDACTED
    clients = {c["client_id"]: c for c in vneid_http.get("/_harness/clients").json()["clients"]}
    assert set(clients) == {"vssid", "rp"}
    assert clients["vssid"]["redirect_uris"] == [
        "vssid://auth/vneid/callback",
        "https://vssid.test/auth/vneid/callback",
    ]
    assert clients["vssid"]["token_endpoint_auth_method"] == "client_secret_basic"
    assert all(c["client_secret"] == REDACTED for c in clients.values())
    assert vneid_provider.client("rp").client_secret == "rp-secret"


def test_a_client_can_be_removed_with_its_faults(vneid_http, vneid_provider):
    """A registry full of one-off clients (one per CI run) had no way to make room."""
    vneid_http.post(
        "/_harness/clients",
        json={
            "client_id": "ci/run 7",
            "client_secret": "s",
            "redirect_uris": ["https://rp.test/cb"],
            "token_endpoint_auth_method": "client_secret_post",
        },
    )
    armed = vneid_http.post(
        "/_harness/faults", json={"client_id": "ci/run 7", "fault": "id_token_sig_invalid"}
    )
    assert armed.status_code == 200, armed.text
    r = vneid_http.delete("/_harness/clients/ci%2Frun%207")
    assert (r.status_code, r.json()) == (200, {"deleted": "ci/run 7"})
    assert vneid_provider.client("ci/run 7") is None
    assert vneid_http.get("/_harness/faults").json()["faults"] == []
    assert _error(vneid_http.delete("/_harness/clients/ci%2Frun%207")) == (404, "not_found", "T-1")


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("client_id", "\u202e", "must be printable ASCII"),
        ("client_id", "\uff11\uff12", "must be printable ASCII"),
        ("client_secret", "s\u2028", "must be printable ASCII"),
        ("redirect_uris", ["javascript:alert(1)"], "the javascript: scheme runs in the browser"),
        ("redirect_uris", ["DATA:text/html,x"], "the data: scheme runs in the browser"),
    ],
)
def test_a_client_the_vssid_mock_could_not_use_is_refused(vneid_http, field, value, said):
    """VssID's configuration takes printable ASCII only (RFC 6749 Appendix A: VSCHAR); VNeID
    registered such a client all the same, and a redirect URI that runs script."""
    body = {
        "client_id": "rp",
        "client_secret": "s",
        "redirect_uris": ["https://rp.test/cb"],
        "token_endpoint_auth_method": "client_secret_post",
        field: value,
    }
    r = vneid_http.post("/_harness/clients", json=body)
    assert r.status_code == 400, r.text
    assert said in r.json()["error_description"]
    assert "\u2028" not in r.text


def test_client_validation_is_invalid_request(vneid_http):
    r = vneid_http.post(
        "/_harness/clients",
        json={"client_id": "rp", "client_secret": "s", "redirect_uris": ["https://rp.test/#x"]},
    )
    assert _error(r) == (400, "invalid_request", "S-2")


def test_no_vssid_client_when_not_asked():
    assert VNeIDProvider(VNeIDSettings(register_vssid_client=False)).clients() == []


def test_clock_offset_moves_the_provider_clock(vneid_http, vneid_provider, vneid_clock):
    r = vneid_http.post("/_harness/clock", json={"offset_seconds": 61.5})
    assert r.json() == {"offset_seconds": 61.5, "now": vneid_clock.now() + 61.5}
    assert vneid_provider.clock.offset == 61.5


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"offset_seconds": "61"},
        {"offset_seconds": True},
        {"offset_seconds": 1e300},
        {"offset_seconds": None},
        {"offset_seconds": -400_000_000},
        {"offset_seconds": 10**400},
        {"offset_seconds": -(10**400)},
    ],
)
def test_clock_offset_validation(vneid_http, body):
    r = vneid_http.post("/_harness/clock", json=body)
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_request"
    assert "offset_seconds" in r.json()["error_description"]


def test_clock_offset_refuses_non_finite_numbers(vneid_http):
    r = vneid_http.post(
        "/_harness/clock",
        content=b'{"offset_seconds": NaN}',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_request"


@pytest.mark.clause("S-5")
def test_requests_are_recorded_redacted_and_can_be_cleared(vneid_flow, vneid_http):
    vneid_flow.redeem(vneid_flow.code())
    log = vneid_http.get("/_harness/requests").json()["requests"]
    paths = [e["path"] for e in log]
    assert paths == ["/api/app/v1/sessions", "/api/app/v1/authorizations", "/token"]
    text = str(log)
    assert vneid_flow.persona.passcode not in text
    assert vneid_flow.verifier not in text
    assert log[0]["body"]["passcode"] == REDACTED
    assert log[2]["headers"]["authorization"] == f"Basic {REDACTED}"
    assert vneid_http.delete("/_harness/requests").json() == {"cleared": 3}
    assert vneid_http.get("/_harness/requests").json() == {"requests": []}


@pytest.mark.clause("S-6")
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/_harness/health"),
        ("GET", "/_harness/personas"),
        ("POST", "/_harness/personas"),
        ("DELETE", "/_harness/personas/001099012345"),
        ("GET", "/_harness/clients"),
        ("POST", "/_harness/clients"),
        ("POST", "/_harness/clock"),
        ("GET", "/_harness/requests"),
        ("DELETE", "/_harness/requests"),
    ],
)
def test_control_api_refuses_callers_off_loopback(vneid_provider, method, path):
    transport = SyncASGITransport(vneid_provider.app, client=("203.0.113.5", 1234))
    with httpx.Client(transport=transport, base_url=vneid_provider.issuer) as http:
        r = http.request(method, path, json=PERSONA)
    assert _error(r) == (403, "forbidden", "S-6")
    assert vneid_provider.personas() == []


@pytest.mark.clause("S-6")
def test_admin_token_opens_the_control_api_from_anywhere():
    provider = VNeIDProvider(VNeIDSettings(admin_token=TOKEN))
    for client in (("203.0.113.5", 1234), ("127.0.0.1", 5000)):
        transport = SyncASGITransport(provider.app, client=client)
        with httpx.Client(transport=transport, base_url=provider.issuer) as http:
            assert (
                http.get("/_harness/health", headers={"X-Harness-Admin-Token": TOKEN}).status_code
                == 200
            )
            assert (
                http.get(
                    "/_harness/health", headers={"Authorization": f"Bearer {TOKEN}"}
                ).status_code
                == 200
            )
            for headers in ({}, {"X-Harness-Admin-Token": "wrong"}):
                r = http.get("/_harness/health", headers=headers)
                assert _error(r) == (403, "forbidden", "S-6")


@pytest.mark.clause("S-6")
def test_protocol_endpoints_stay_open_off_loopback(vneid_provider):
    transport = SyncASGITransport(vneid_provider.app, client=("203.0.113.5", 1234))
    with httpx.Client(transport=transport, base_url=vneid_provider.issuer) as http:
        assert http.get("/.well-known/openid-configuration").status_code == 200


@pytest.mark.clause("S-5")
def test_the_settings_repr_holds_no_secret() -> None:
    """A relying party's own client secret (conformance --rp-client-secret) and the admin
    token stay out of any repr a log or a failure message could show."""
    from mock_providers.vneid import VNeIDSettings

    settings = VNeIDSettings(vssid_client_secret="vendor-own-secret-1", admin_token="adm-token-xyz")
    shown = repr(settings)
    assert "vendor-own-secret-1" not in shown
    assert "adm-token-xyz" not in shown
    assert "vssid_auth_method='client_secret_basic'" in shown


def test_json_errors_speak_json(vneid_http):
    huge = vneid_http.post(
        "/_harness/clock",
        content=b'{"offset_seconds": 1' + b"0" * 5000 + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert _error(huge) == (400, "invalid_request", "T-2")
    said = huge.json()["error_description"]
    assert "a number has more than 4300 digits" in said
    assert "sys.set_int_max_str_digits" not in said
    persona = vneid_http.post("/_harness/personas", json={**PERSONA, "full_name": ["An"]})
    assert "must be a non-empty string, got an array" in persona.json()["error_description"]
    listed = vneid_http.post("/_harness/personas", json=[PERSONA])
    assert "a JSON object, got an array" in listed.json()["error_description"]
