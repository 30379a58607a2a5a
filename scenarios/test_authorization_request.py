"""Authorization requests at VNeID: redirect URIs, PKCE, parameters, errors (A-2, A-7, S-1…3)."""

from __future__ import annotations

from typing import Any

import pytest

from harness.personas import Persona
from harness.protocol import ACR_LEVEL2, Callback, LinkForm, parse_callback
from harness.rp import RP_SCHEME, TestRelyingParty
from harness.targets import VNeIDHandle
from harness.trace import LinkOpened
from harness.world import Device, DeviceFactory, PersonaPool
from scenarios.support import (
    app_headers,
    app_session_token,
    assert_error_body,
    assert_error_screen,
    assert_redeemed,
    authorize_on_phone,
    calls,
    public,
)

pytestmark = pytest.mark.plan("vneid-provider")


@pytest.fixture
def phone(device: DeviceFactory) -> Device:
    dev = device("ios")
    dev.install_receiver(RP_SCHEME)
    return dev


def callback_of(phone: Device) -> Callback:
    return parse_callback(phone.last_link_to(f"{RP_SCHEME}://"))


def links_from_vneid(phone: Device) -> list[LinkOpened]:
    return [e for e in phone.trace.of_type(LinkOpened) if e.source == "vneid"]


@pytest.mark.clause("S-2", "S-3", "A-7")
@pytest.mark.parametrize(
    "redirect_uri",
    [
        "harnessrp://evil",  # not registered
        "harnessrp://callback/extra",  # prefix of a registered one is not enough
        "harnessrp://callback?x=1",  # added query
        "harnessrp://callback#frag",  # fragment
        "HARNESSRP://callback",  # case differs
        "https://evil.test/cb",
    ],
)
def test_unregistered_redirect_uri_is_never_redirected_to(
    phone: Device, rp: TestRelyingParty, persona: Persona, vneid: VNeIDHandle, redirect_uri: str
) -> None:
    login = rp.login(redirect_uri=redirect_uri)
    screen = authorize_on_phone(phone, rp, persona, login.link)
    assert_error_screen(screen, app="vneid", code="invalid_redirect_uri")
    assert links_from_vneid(phone) == [], "S-3: VNeID must not open any redirect"
    answers = calls(vneid, "/api/app/v1/authorizations")
    assert answers, "A-5: expected authorizations in VNeID's request log (§11), observed none"
    assert answers[-1]["status"] == 400, (
        f"S-2: expected authorizations to refuse the redirect_uri with HTTP 400, observed HTTP "
        f"{answers[-1]['status']}"
    )
    # §11 fixes only method, path and status of a log entry: the answer when it is there
    assert "redirect_to" not in (answers[-1].get("response") or {}), (
        "S-3: expected no redirect_to for an unregistered redirect_uri, observed one in the "
        "logged answer"
    )


@pytest.mark.clause("S-3", "A-7")
def test_unknown_client_is_never_redirected_to(
    phone: Device, rp: TestRelyingParty, persona: Persona
) -> None:
    login = rp.login(client_id="no-such-client")
    screen = authorize_on_phone(phone, rp, persona, login.link)
    assert_error_screen(screen, app="vneid", code="invalid_client")
    opened = links_from_vneid(phone)
    assert opened == [], (
        f"S-3: VNeID must not open any redirect for an unknown client, observed "
        f"{[e.url.split('?')[0] for e in opened]}"
    )


@pytest.mark.clause("S-1", "A-7")
@pytest.mark.parametrize(
    ("override", "value"),
    [
        ("code_challenge_method", "plain"),
        ("code_challenge_method", None),
        ("code_challenge", "too-short"),
        ("code_challenge", None),
    ],
)
def test_pkce_s256_is_mandatory(
    phone: Device, rp: TestRelyingParty, persona: Persona, override: str, value: str | None
) -> None:
    overrides: dict[str, Any] = {override: value}  # AuthorizationRequest fields
    login = rp.login(**overrides)
    authorize_on_phone(phone, rp, persona, login.link)
    cb = callback_of(phone)
    assert cb.error == "invalid_request", (
        f"S-1: expected invalid_request for {override}={value!r}, observed {public(cb.params)}"
    )
    assert cb.code is None, f"S-1: expected no code for {override}={value!r}, observed one"
    assert cb.state == login.request.state, (
        "A-5: expected the error to carry the request's state, observed "
        + ("none" if cb.state is None else "another")
    )


@pytest.mark.clause("A-7", "A-2")
@pytest.mark.parametrize(
    ("override", "value", "error"),
    [
        ("response_type", "token", "unsupported_response_type"),
        ("response_type", None, "invalid_request"),
        ("scope", "profile", "invalid_scope"),
    ],
)
def test_bad_request_parameters_go_back_by_redirect(
    phone: Device,
    rp: TestRelyingParty,
    persona: Persona,
    override: str,
    value: str | None,
    error: str,
) -> None:
    overrides: dict[str, Any] = {override: value}  # AuthorizationRequest fields
    login = rp.login(**overrides)
    authorize_on_phone(phone, rp, persona, login.link)
    cb = callback_of(phone)
    assert cb.error == error, (
        f"A-7: expected {error} for {override}={value!r}, observed {public(cb.params)}"
    )
    assert cb.iss == rp.vneid.issuer, (
        f"A-5: expected the error to carry iss={rp.vneid.issuer}, observed iss={cb.iss!r}"
    )


@pytest.mark.clause("A-2", "A-5")
def test_unknown_parameters_are_ignored(
    phone: Device, rp: TestRelyingParty, persona: Persona
) -> None:
    login = rp.login(extra=(("foo", "bar"), ("x-vendor", "1")))
    authorize_on_phone(phone, rp, persona, login.link)
    cb = callback_of(phone)
    assert cb.code is not None, (
        f"A-2: expected unknown parameters ignored and a code, observed {public(cb.params)}"
    )
    result = rp.redeem(cb.code, login.code_verifier)
    assert_redeemed(result)


@pytest.mark.clause("A-2")
def test_request_without_nonce_succeeds_in_the_code_flow(
    phone: Device, rp: TestRelyingParty, persona: Persona, vneid: VNeIDHandle
) -> None:
    """OpenID Connect Core §3.1.2.1 makes ``nonce`` optional in the code flow: the mock
    issues a code. A-2 lists it among the request's parameters, so another provider may
    instead send the request back as ``invalid_request`` (A-7), never with a code."""
    login = rp.login(nonce=None)
    authorize_on_phone(phone, rp, persona, login.link)
    cb = callback_of(phone)
    if not vneid.is_embedded and cb.error is not None:
        assert (cb.error, cb.code) == ("invalid_request", None), (
            f"A-7: expected a code or invalid_request without a code, observed {public(cb.params)}"
        )
        return
    assert cb.code is not None, (
        f"A-2: expected a code for a request without nonce, observed {public(cb.params)}"
    )
    result = rp.redeem(cb.code, login.code_verifier)
    assert_redeemed(result)


@pytest.mark.clause("A-5")
@pytest.mark.parametrize("state", ["s" * 2000, "trạng thái ✓ & = ?", "a+b/c=="])
def test_state_is_echoed_exactly(
    phone: Device, rp: TestRelyingParty, persona: Persona, state: str
) -> None:
    login = rp.login(state=state)
    authorize_on_phone(phone, rp, persona, login.link)
    echoed = callback_of(phone).state
    assert echoed == state, (
        f"A-5: expected the state echoed exactly ({len(state)} characters), observed "
        f"{public(echoed, 60)!r}{'…' if echoed and len(echoed) > 60 else ''}"
    )


@pytest.mark.clause("A-5", "R-2")
@pytest.mark.parametrize("form", [LinkForm.CUSTOM_SCHEME, LinkForm.CLAIMED_HTTPS])
def test_both_link_forms_are_understood_and_iss_is_returned(
    phone: Device, rp: TestRelyingParty, persona: Persona, form: LinkForm
) -> None:
    login = rp.login(form=form)
    authorize_on_phone(phone, rp, persona, login.link)
    cb = callback_of(phone)
    assert cb.code is not None, (
        f"A-5: expected a code for the {form.value} link, observed {public(cb.params)}"
    )
    assert cb.iss == rp.vneid.issuer, (
        f"A-5, R-2: expected iss={rp.vneid.issuer}, observed iss={cb.iss!r}"
    )


@pytest.mark.clause("A-7", "P-2")
@pytest.mark.parametrize("acr_values", [ACR_LEVEL2, None], ids=["loa2", "no-acr_values"])
def test_level1_account_gets_unmet_authentication_requirements(
    phone: Device,
    rp: TestRelyingParty,
    personas: PersonaPool,
    vneid: VNeIDHandle,
    acr_values: str | None,
) -> None:
    """P-2 holds whatever the client asks for: without acr_values, level 2 is still needed.
    A-2 lists ``acr_values`` among the request's parameters, so another provider may instead
    send a request without it back as ``invalid_request`` (A-7), never with a code; the mock
    answers ``unmet_authentication_requirements``."""
    citizen = personas.new(level=1)
    login = rp.login(acr_values=acr_values)
    authorize_on_phone(phone, rp, citizen, login.link)
    cb = callback_of(phone)
    assert cb.code is None, f"a level-1 account got a code (P-2): {public(cb.params)}"
    allowed = {"unmet_authentication_requirements"}
    if acr_values is None and not vneid.is_embedded:
        allowed.add("invalid_request")
    assert cb.error in allowed, (
        f"expected the callback's error to be {' or '.join(sorted(allowed))} for a level-1 "
        f"account (A-7, P-2), observed {public(cb.params)}"
    )


@pytest.mark.clause("A-7")
def test_deny_redirects_access_denied_with_state_and_iss(
    phone: Device, rp: TestRelyingParty, persona: Persona
) -> None:
    login = rp.login()
    authorize_on_phone(phone, rp, persona, login.link, decision="deny")
    cb = callback_of(phone)
    assert (cb.error, cb.state, cb.iss) == (
        "access_denied",
        login.request.state,
        rp.vneid.issuer,
    ), (
        f"A-7: expected access_denied with the request's state and iss={rp.vneid.issuer}, "
        f"observed error={cb.error}, "
        f"{'the same' if cb.state == login.request.state else 'another'} state, "
        f"iss={cb.iss!r}"
    )


@pytest.mark.clause("A-5")
@pytest.mark.parametrize("decision", ["ok", "APPROVE", "", None])
def test_unknown_decision_is_refused_without_a_redirect(
    vneid: VNeIDHandle, rp: TestRelyingParty, persona: Persona, decision: str | None
) -> None:
    """A-5: the decision is "approve" or "deny"; anything else is a §8 error, never a code."""
    with vneid.client(headers=app_headers("vneid", profile=rp.profile)) as http:
        token = app_session_token(http, persona)
        response = http.post(
            "/api/app/v1/authorizations",
            json={"link": rp.login().link, "decision": decision},
            headers={"Authorization": f"Bearer {token}"},
        )
    body = assert_error_body(response, 400, "invalid_request", "A-5" if vneid.is_embedded else None)
    assert "redirect_to" not in body, (
        f"A-5: expected no redirect_to for the decision {decision!r}, observed {public(body)}"
    )
