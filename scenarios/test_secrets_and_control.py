"""Secrets stay out of logs (S-5); the test-control API stays on loopback (S-6)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx
import pytest

from harness.apps.screens import VNEID_PASSCODE
from harness.embedded import SyncASGITransport
from harness.flows import login_with_vneid, start_vneid_login
from harness.personas import Persona
from harness.protocol import parse_callback
from harness.rp import AUTH_METHODS, RP_SCHEME, TestRelyingParty
from harness.targets import Target, VNeIDHandle, VssIDHandle
from harness.world import DeviceFactory
from mock_providers.defaults import DEFAULT_VSSID_CLIENT_SECRET
from scenarios.support import assert_home, assert_redeemed, authorize_on_phone, calls, public

CONTROL_ROUTES = [
    ("vneid", "GET", "/_harness/health"),
    ("vneid", "GET", "/_harness/requests"),
    ("vneid", "POST", "/_harness/personas"),
    ("vneid", "POST", "/_harness/clients"),
    ("vneid", "POST", "/_harness/faults"),
    ("vneid", "DELETE", "/_harness/faults"),
    ("vneid", "POST", "/_harness/clock"),
    ("vneid", "DELETE", "/_harness/requests"),
    ("vssid", "GET", "/_harness/health"),
    ("vssid", "GET", "/_harness/requests"),
    ("vssid", "POST", "/_harness/accounts"),
    ("vssid", "POST", "/_harness/config"),
    ("vssid", "POST", "/_harness/clock"),
    ("vssid", "DELETE", "/_harness/requests"),
]


def _tokens_in(prefix: str, storage: Mapping[Any, Any]) -> dict[str, str]:
    """Every string held under a key naming a token, however deep."""
    found: dict[str, str] = {}
    for key, value in storage.items():
        if isinstance(value, dict):
            found.update(_tokens_in(f"{prefix}.{key}", value))
        elif isinstance(value, str) and "token" in str(key):
            found[f"{prefix}.{key}"] = value
    return found


@pytest.mark.clause("S-5")
def test_no_secret_reaches_a_trace_or_a_request_log(
    device: DeviceFactory, persona: Persona, target: Target, vneid: VNeIDHandle, vssid: VssIDHandle
) -> None:
    phone = device("ios")
    assert_home(login_with_vneid(phone.driver, persona))
    profile = target.profile
    code = parse_callback(phone.last_link_to(f"{profile.vssid_scheme}://"), profile).code
    secrets = {
        "passcode": persona.passcode,
        "code": code,
        "client_secret": DEFAULT_VSSID_CLIENT_SECRET,
        **_tokens_in("vssid", phone.vssid_app.storage),
        **_tokens_in("vneid", phone.vneid_app.storage),
    }
    assert secrets["code"], "A-5: expected a code in VssID's callback, observed none"
    assert sum("token" in k for k in secrets) >= 2, f"expected both apps' sessions: {secrets}"
    if vssid.is_embedded:  # VssID's own PKCE verifier, which only the backend holds (a
        # fault-injection audit: one logged in its outgoing calls went unnoticed)
        (started,) = vssid.requests(path="/api/v1/auth/vneid/start", method="POST")
        transaction = vssid.embedded.transactions.get(started["response"]["transaction_id"])
        assert transaction is not None
        secrets["code_verifier"] = transaction.code_verifier
    recorded = json.dumps(
        {
            "trace": phone.trace.to_json(),
            "vneid": vneid.requests(),
            "vssid": vssid.requests(),
            "vssid_outgoing": vssid.requests(direction="outgoing"),
        },
        ensure_ascii=False,
    )
    leaked = [name for name, value in secrets.items() if value and value in recorded]
    assert leaked == [], f"S-5: these secrets appear unredacted: {leaked}"
    assert "[REDACTED]" in recorded, (
        "S-5: expected the request logs to show redacted secrets as [REDACTED], observed no "
        "[REDACTED] anywhere"
    )


@pytest.mark.clause("S-5", "T-1")
@pytest.mark.parametrize("auth_method", AUTH_METHODS)
def test_no_secret_of_a_token_exchange_reaches_the_request_log(
    device: DeviceFactory,
    rp: TestRelyingParty,
    persona: Persona,
    vneid: VNeIDHandle,
    auth_method: str,
) -> None:
    """Whichever way a client authenticates (T-1), VNeID's log keeps none of the exchange's
    secrets: the client secret or assertion, the code, the verifier, the tokens."""
    phone = device("ios")
    phone.install_receiver(RP_SCHEME)
    with rp.variant(
        client_id=f"harness-rp-{auth_method}",
        auth_method=auth_method,
        client_secret=f"{auth_method}-secret-0123456789",
    ) as client:
        login = client.login()
        authorize_on_phone(phone, client, persona, login.link)
        secrets = {
            "code": client.code_from(phone.last_link_to(f"{RP_SCHEME}://")),
            "code_verifier": login.code_verifier,
        }
        if auth_method == "private_key_jwt":
            secrets["client_assertion"] = client.client_assertion()
        else:
            secrets["client_secret"] = client.client_secret
        tokens = client.redeem(
            secrets["code"], login.code_verifier, client_assertion=secrets.get("client_assertion")
        )
        assert_redeemed(tokens, f"with {auth_method}")
        secrets.update(access_token=tokens.body["access_token"], id_token=tokens.body["id_token"])
        userinfo = client.userinfo(tokens.body["access_token"])
        assert userinfo.status == 200, (
            f"T-5: expected userinfo to answer the access token (HTTP 200), observed HTTP "
            f"{userinfo.status}"
        )
    logged = json.dumps(vneid.requests(), ensure_ascii=False)
    leaked = [name for name, value in secrets.items() if value in logged]
    assert leaked == [], f"S-5: these secrets appear unredacted in VNeID's log: {leaked}"


@pytest.mark.clause("S-5")
def test_secrets_in_a_query_string_never_reach_the_request_log(vneid: VNeIDHandle) -> None:
    """A client that sends a token or a code in the URL must not get them logged either."""
    leaky = {"access_token": "leaky-access-token-0123456789", "code": "leaky-code-0123456789"}
    with vneid.client() as http:
        http.get("/userinfo", params=leaky)
    assert calls(vneid, "/userinfo", method="GET"), "the request must be in the log"
    logged = json.dumps(vneid.requests(), ensure_ascii=False)
    leaked = [name for name, value in leaky.items() if value in logged]
    assert leaked == [], f"S-5: these secrets appear unredacted in VNeID's log: {leaked}"


@pytest.mark.clause("S-5", "A-4")
def test_passcode_is_masked_as_it_is_typed(device: DeviceFactory, persona: Persona) -> None:
    phone = device("android")
    start_vneid_login(phone.driver)
    phone.driver.type(VNEID_PASSCODE, persona.passcode)
    shown = phone.screen().element(VNEID_PASSCODE).value
    assert shown is not None, "the passcode field must show what was typed (masked)"
    assert persona.passcode not in shown, (
        "S-5: expected the passcode field masked, observed the typed passcode in it"
    )
    assert persona.passcode not in json.dumps(phone.trace.to_json(), ensure_ascii=False), (
        "S-5: expected the typed passcode redacted, observed it in the trace"
    )


@pytest.mark.clause("S-6")
@pytest.mark.parametrize(
    ("which", "method", "path"),
    CONTROL_ROUTES,
    ids=[f"{w}-{m}-{p.rsplit('/', 1)[1]}" for w, m, p in CONTROL_ROUTES],
)
def test_control_api_refuses_callers_off_loopback(
    target: Target, which: str, method: str, path: str
) -> None:
    """Every route of §11, reads and writes alike."""
    handle = getattr(target, which)
    if not handle.is_embedded:
        pytest.skip("needs an in-process provider to call it from a non-loopback address")
    transport = SyncASGITransport(handle.embedded.app, client=("203.0.113.7", 40000))
    with httpx.Client(transport=transport, base_url=handle.base_url) as http:
        response = http.request(method, path, json={} if method == "POST" else None)
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert response.json()["clause"] == "S-6"


@pytest.mark.clause("S-6")
@pytest.mark.parametrize("which", ["vneid", "vssid"])
def test_control_api_does_not_trust_forwarding_headers(target: Target, which: str) -> None:
    """A caller off loopback cannot pass for a local one by claiming so in a header."""
    handle = getattr(target, which)
    if not handle.is_embedded:
        pytest.skip("needs an in-process provider to call it from a non-loopback address")
    transport = SyncASGITransport(handle.embedded.app, client=("203.0.113.7", 40000))
    spoofed = {
        "X-Forwarded-For": "127.0.0.1",
        "X-Real-IP": "127.0.0.1",
        "Forwarded": "for=127.0.0.1",
    }
    with httpx.Client(transport=transport, base_url=handle.base_url) as http:
        response = http.get("/_harness/health", headers=spoofed)
    assert response.status_code == 403
    assert response.json()["clause"] == "S-6"


@pytest.mark.clause("S-6")
def test_control_api_answers_loopback_callers(vneid: VNeIDHandle, vssid: VssIDHandle) -> None:
    for name, handle in (("VNeID", vneid), ("VssID", vssid)):
        health = handle.health()
        assert health["status"] == "ok", (
            f"§11: expected {name}'s GET /_harness/health to answer status ok to a loopback "
            f"caller, observed {public(health)}"
        )


@pytest.mark.clause("S-6")
@pytest.mark.parametrize("which", ["vneid", "vssid"])
def test_admin_token_opens_the_control_api_to_other_addresses(which: str) -> None:
    """S-6 on both mocks (a fault-injection audit: the VssID mock skipping its guard when a
    token is configured but not sent went unnoticed, only the VNeID mock was tried)."""
    from mock_providers.vneid import VNeIDProvider, VNeIDSettings
    from mock_providers.vssid import VssIDProvider, VssIDSettings

    app, base_url = (
        (VNeIDProvider(VNeIDSettings(admin_token="let-me-in")).app, "http://vneid.test")
        if which == "vneid"
        else (VssIDProvider(VssIDSettings(admin_token="let-me-in")).app, "http://vssid.test")
    )
    transport = SyncASGITransport(app, client=("203.0.113.7", 40000))
    with httpx.Client(transport=transport, base_url=base_url) as http:
        for method, path in [("GET", "/_harness/health"), ("POST", "/_harness/clock")]:
            body = {"offset_seconds": 0} if method == "POST" else None
            refused = http.request(method, path, json=body)
            assert refused.status_code == 403, (
                f"S-6: the {which} mock has an admin token; {method} {path} from another "
                "address without it must be 403"
            )
            wrong = http.request(method, path, json=body, headers={"X-Harness-Admin-Token": "nope"})
            assert wrong.status_code == 403, f"{which} {method} {path} with a wrong token"
        ok = http.get("/_harness/health", headers={"X-Harness-Admin-Token": "let-me-in"})
        assert ok.status_code == 200
