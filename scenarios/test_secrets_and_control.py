"""Secrets stay out of logs (S-5); the test-control API stays on loopback (S-6)."""

from __future__ import annotations

import json

import httpx
import pytest

from harness.apps.screens import VSSID_HOME
from harness.embedded import SyncASGITransport
from harness.flows import login_with_vneid
from harness.protocol import parse_callback
from mock_providers.defaults import DEFAULT_VSSID_CLIENT_SECRET


def _tokens_in(prefix, storage):
    """Every string held under a key naming a token, however deep."""
    found = {}
    for key, value in storage.items():
        if isinstance(value, dict):
            found.update(_tokens_in(f"{prefix}.{key}", value))
        elif isinstance(value, str) and "token" in str(key):
            found[f"{prefix}.{key}"] = value
    return found


@pytest.mark.clause("S-5")
def test_no_secret_reaches_a_trace_or_a_request_log(device, persona, vneid, vssid):
    phone = device("ios")
    assert login_with_vneid(phone.driver, persona).id == VSSID_HOME
    code = parse_callback(phone.last_link_to("vssid://")).code
    secrets = {
        "passcode": persona.passcode,
        "code": code,
        "client_secret": DEFAULT_VSSID_CLIENT_SECRET,
        **_tokens_in("vssid", phone.vssid_app.storage),
        **_tokens_in("vneid", phone.vneid_app.storage),
    }
    assert secrets["code"]
    assert sum("token" in k for k in secrets) >= 2, f"expected both apps' sessions: {secrets}"
    recorded = json.dumps({
        "trace": phone.trace.to_json(),
        "vneid": vneid.requests(),
        "vssid": vssid.requests(),
        "vssid_outgoing": vssid.requests(direction="outgoing"),
    }, ensure_ascii=False)
    leaked = [name for name, value in secrets.items() if value and value in recorded]
    assert leaked == [], f"S-5: these secrets appear unredacted: {leaked}"
    assert "[REDACTED]" in recorded


@pytest.mark.clause("S-6")
@pytest.mark.parametrize("which", ["vneid", "vssid"])
@pytest.mark.parametrize("path", ["/_harness/health", "/_harness/requests"])
def test_control_api_refuses_callers_off_loopback(target, which, path):
    handle = getattr(target, which)
    if not handle.is_embedded:
        pytest.skip("needs an in-process provider to call it from a non-loopback address")
    transport = SyncASGITransport(handle.embedded.app, client=("203.0.113.7", 40000))
    with httpx.Client(transport=transport, base_url=handle.base_url) as http:
        response = http.get(path)
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert response.json()["clause"] == "S-6"


@pytest.mark.clause("S-6")
def test_control_api_answers_loopback_callers(vneid, vssid):
    assert vneid.health()["status"] == "ok"
    assert vssid.health()["status"] == "ok"


@pytest.mark.clause("S-6")
def test_admin_token_opens_the_control_api_to_other_addresses():
    from mock_providers.vneid import VNeIDProvider, VNeIDSettings

    provider = VNeIDProvider(VNeIDSettings(admin_token="let-me-in"))
    transport = SyncASGITransport(provider.app, client=("203.0.113.7", 40000))
    with httpx.Client(transport=transport, base_url=provider.issuer) as http:
        assert http.get("/_harness/health").status_code == 403
        ok = http.get("/_harness/health", headers={"X-Harness-Admin-Token": "let-me-in"})
        assert ok.status_code == 200
        wrong = http.get("/_harness/health", headers={"X-Harness-Admin-Token": "nope"})
        assert wrong.status_code == 403
