"""The callback VssID receives: state, issuer, errors, redirect URI, replay and expiry (R-1…R-4)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.apps.screens import Screen
from harness.flows import decide, enter_credentials, login_with_vneid, start_vneid_login
from harness.personas import Persona
from harness.protocol import Profile
from harness.targets import Target, VNeIDHandle, VssIDHandle
from harness.world import Device, DeviceFactory
from scenarios.support import (
    answered,
    app_headers,
    app_session_token,
    assert_error_screen,
    assert_home,
    assert_refused_at_complete,
    calls,
    complete,
    no_token_request,
    public,
    replace_param,
    shown,
)

pytestmark = pytest.mark.plan("vssid-relying-party")


def capture_callback(
    device: DeviceFactory, persona: Persona, *, platform: str = "ios"
) -> tuple[Device, str]:
    """Run the login up to VNeID's redirect, with the callback caught by another app.

    Returns the phone (hijacker uninstalled, VssID waiting) and the callback URL."""
    phone = device(platform)
    catcher = phone.install_hijacker(phone.target.profile.vssid_scheme)
    start_vneid_login(phone.driver)
    enter_credentials(phone.driver, persona)
    decide(phone.driver)
    phone.phone.uninstall(catcher.app_id)
    assert len(catcher.received) == 1, (
        f"A-6: expected VNeID's redirect to deliver one callback, observed {len(catcher.received)}"
    )
    return phone, catcher.received[0]


def deliver(phone: Device, url: str) -> Screen:
    phone.phone.open_url(url, source="vneid")
    return phone.screen()


@pytest.mark.clause("R-1", "R-12")
def test_tampered_state_is_refused_before_any_token_request(
    device: DeviceFactory, persona: Persona, vneid: VNeIDHandle, vssid: VssIDHandle
) -> None:
    phone, callback = capture_callback(device, persona)
    screen = deliver(phone, replace_param(callback, "state", "forged-state-value-0123456789"))
    assert_error_screen(screen, app="vssid", code="state_mismatch", clause="R-1")
    assert_refused_at_complete(vssid, "state_mismatch")
    no_token_request(vneid, "R-1")


@pytest.mark.clause("R-1")
def test_state_of_an_earlier_login_is_refused(
    device: DeviceFactory, persona: Persona, vneid: VNeIDHandle, vssid: VssIDHandle
) -> None:
    """Login CSRF: a callback from an earlier (abandoned) login arrives for a newer one."""
    phone, earlier = capture_callback(device, persona)
    start_vneid_login(phone.driver)  # a new transaction replaces the old one in VssID
    screen = deliver(phone, earlier)
    assert_error_screen(screen, app="vssid", code="state_mismatch", clause="R-1")
    assert_refused_at_complete(vssid, "state_mismatch")
    no_token_request(vneid, "R-1")


@pytest.mark.clause("R-1")
def test_callback_delivered_twice_completes_once(
    device: DeviceFactory, persona: Persona, target: Target, vssid: VssIDHandle
) -> None:
    phone = device("android")
    assert_home(login_with_vneid(phone.driver, persona))
    screen = deliver(phone, phone.last_link_to(target.profile.callback_custom))
    assert_error_screen(screen, app="vssid", code="transaction_already_used", clause="R-1")
    statuses = [r["status"] for r in calls(vssid, "/api/v1/auth/vneid/complete")]
    assert statuses == [200, 409], (
        f"R-1: expected the first complete to log in (200) and the second to be refused as "
        f"transaction_already_used (409), observed HTTP {statuses}"
    )


@pytest.mark.clause("R-1")
def test_callback_a_minute_before_the_transaction_expires_logs_in(
    persona: Persona, target: Target, vneid: VNeIDHandle, vssid: VssIDHandle
) -> None:
    """R-1 "expires after 10 min", not before: a login whose transaction died at half its
    lifetime (while start still said expires_in 600) went unnoticed, only ttl + 1 was tried
    (a fault-injection audit). The citizen takes that long at VNeID, so both clocks move
    before VNeID issues the code: its code and ID token are fresh, the transaction is old."""
    profile = target.profile
    later = profile.transaction_ttl - 60
    with vssid.client(headers=app_headers("vssid", profile=profile)) as app:
        started = app.post("/api/v1/auth/vneid/start", json={})
    assert 200 <= started.status_code < 300, (
        f"A-1: expected start to answer 2xx, observed {answered(started)}"
    )
    vssid.set_clock(later)
    vneid.set_clock(later)
    with vneid.client(headers=app_headers("vneid", profile=profile)) as app:
        token = app_session_token(app, persona)
        answer = app.post(
            "/api/app/v1/authorizations",
            json={"link": started.json()["authorize_url"], "decision": "approve"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert answer.status_code == 200, (
        f"A-5: expected authorizations to answer HTTP 200 with redirect_to, observed "
        f"{answered(answer)}"
    )
    done = complete(target, started.json()["transaction_id"], answer.json()["redirect_to"])
    assert 200 <= done.status_code < 300, (
        f"R-1: the transaction lives {profile.transaction_ttl} s; {later} s after start it "
        f"must still complete, observed HTTP {done.status_code}: {done.text}"
    )
    assert done.json().get("session_token"), (
        f"A-6: expected complete to answer a session_token, observed {public(done.json())}"
    )


@pytest.mark.clause("R-1")
def test_callback_after_the_transaction_expired(
    device: DeviceFactory, persona: Persona, target: Target, vssid: VssIDHandle, vneid: VNeIDHandle
) -> None:
    phone, callback = capture_callback(device, persona)
    vssid.set_clock(target.profile.transaction_ttl + 1)
    screen = deliver(phone, callback)
    assert_error_screen(screen, app="vssid", code="transaction_expired", clause="R-1")
    no_token_request(vneid, "R-1")
    assert_refused_at_complete(vssid, "transaction_expired")  # §8: 410


@pytest.mark.clause("R-2", "R-12")
@pytest.mark.parametrize("iss", ["http://evil.test", None, ""])
def test_wrong_or_missing_issuer_in_the_callback_is_refused(
    device: DeviceFactory, persona: Persona, vneid: VNeIDHandle, vssid: VssIDHandle, iss: str | None
) -> None:
    phone, callback = capture_callback(device, persona)
    screen = deliver(phone, replace_param(callback, "iss", iss))
    assert_error_screen(screen, app="vssid", code="issuer_mismatch", clause="R-2")
    assert_refused_at_complete(vssid, "issuer_mismatch")
    no_token_request(vneid, "R-2")


@pytest.mark.clause("R-2", "A-5")
def test_callback_carries_the_issuer(
    device: DeviceFactory, persona: Persona, target: Target, vneid: VNeIDHandle
) -> None:
    phone = device("ios")
    assert_home(login_with_vneid(phone.driver, persona))
    from harness.protocol import parse_callback

    profile = target.profile
    callback = phone.last_link_to(profile.callback_custom)
    iss = parse_callback(callback, profile).iss
    assert iss == vneid.issuer, (
        f"A-5, R-2: expected the callback to carry iss={vneid.issuer}, observed iss={iss!r}"
    )


@pytest.mark.clause("R-3", "A-7")
@pytest.mark.parametrize("code_kept", [False, True], ids=["error-only", "error-and-code"])
def test_error_callback_ends_the_transaction_without_a_token_request(
    device: DeviceFactory, persona: Persona, vneid: VNeIDHandle, vssid: VssIDHandle, code_kept: bool
) -> None:
    """R-3: an error ends the transaction, even when the callback also carries a code."""
    phone, callback = capture_callback(device, persona)
    if not code_kept:
        callback = replace_param(callback, "code", None)
    forged = replace_param(callback, "error", "access_denied")
    screen = deliver(phone, forged)
    assert_error_screen(screen, app="vssid", code="access_denied", clause="R-3")
    assert_refused_at_complete(vssid, "access_denied")
    no_token_request(vneid, "R-3")


@pytest.mark.clause("R-4")
@pytest.mark.parametrize(
    "elsewhere",
    [
        shown("https-form", lambda profile: profile.callback_https),  # the other registered form
        shown(
            "longer-path",  # a longer path: a prefix is not enough
            lambda profile: f"{profile.callback_custom}/extra",
        ),
    ],
    ids=["https-form", "longer-path"],
)
def test_callback_to_another_redirect_uri_is_refused(
    device: DeviceFactory,
    persona: Persona,
    target: Target,
    vneid: VNeIDHandle,
    vssid: VssIDHandle,
    elsewhere: Callable[[Profile], str],
) -> None:
    """The transaction used vssid://… (the profile's custom-scheme callback); the same
    response arriving anywhere else is not the registered redirect_uri of this transaction.
    §8 names no code for R-4: which one, and which clause it cites, is the VssID mock's
    choice (R-12 asks for a specific one)."""
    phone, callback = capture_callback(device, persona)
    registered = target.profile.callback_custom
    assert callback.startswith(f"{registered}?"), f"expected a callback to {registered}"
    moved = callback.replace(registered, elsewhere(target.profile), 1)
    screen = deliver(phone, moved)
    if vssid.is_embedded:
        assert_error_screen(screen, app="vssid", code="invalid_request", clause="R-4")
    else:
        assert_error_screen(screen, app="vssid", code=None)
    no_token_request(vneid, "R-4")


@pytest.mark.clause("R-1", "T-2", "R-12")
def test_code_expired_before_the_callback_arrived(
    device: DeviceFactory, persona: Persona, target: Target, vneid: VNeIDHandle, vssid: VssIDHandle
) -> None:
    """The code of §8's ``invalid_grant``; the clause the VssID mock cites for it (T-2) is
    its choice, as §8 fixes no clause for it."""
    phone, callback = capture_callback(device, persona)
    vneid.set_clock(target.profile.code_ttl + 1)
    screen = deliver(phone, callback)
    assert_error_screen(
        screen, app="vssid", code="invalid_grant", clause="T-2" if vssid.is_embedded else None
    )
    redeemed = [r["status"] for r in calls(vneid, "/token")]
    assert redeemed == [400], (
        f"T-2: expected one token request, refused with HTTP 400 (the code expired), "
        f"observed HTTP {redeemed}"
    )


@pytest.mark.clause("R-4", "A-6")
@pytest.mark.parametrize(
    "extra",
    [
        ("session_state", "abc.123"),  # OpenID Connect Session Management 1.0
        ("scope", "openid"),
        ("vnp_trace", "Ảnh-ID ü"),  # any unknown name and value
    ],
    ids=["session_state", "scope", "unknown"],
)
def test_unrecognized_response_parameters_are_ignored(
    device: DeviceFactory, persona: Persona, vssid: VssIDHandle, extra: tuple[str, str]
) -> None:
    """RFC 6749 §4.1.2: "The client MUST ignore unrecognized response parameters"; a
    callback carrying one still came to the registered redirect_uri (R-4) and logs in."""
    phone, callback = capture_callback(device, persona)
    screen = deliver(phone, replace_param(callback, *extra))
    assert_home(screen)
    statuses = [r["status"] for r in calls(vssid, "/api/v1/auth/vneid/complete")]
    assert statuses == [200], (
        f"A-6: expected one complete, answered HTTP 200, observed HTTP {statuses}"
    )
