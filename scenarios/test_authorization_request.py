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
    authorize_on_phone,
    calls,
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
@pytest.mark.parametrize("redirect_uri", [
    "harnessrp://evil",  # not registered
    "harnessrp://callback/extra",  # prefix of a registered one is not enough
    "harnessrp://callback?x=1",  # added query
    "harnessrp://callback#frag",  # fragment
    "HARNESSRP://callback",  # case differs
    "https://evil.test/cb",
])
def test_unregistered_redirect_uri_is_never_redirected_to(phone: Device, rp: TestRelyingParty,
                                                          persona: Persona, vneid: VNeIDHandle,
                                                          redirect_uri: str) -> None:
    login = rp.login(redirect_uri=redirect_uri)
    screen = authorize_on_phone(phone, rp, persona, login.link)
    assert_error_screen(screen, app="vneid", code="invalid_redirect_uri")
    assert links_from_vneid(phone) == [], "S-3: VNeID must not open any redirect"
    answers = calls(vneid, "/api/app/v1/authorizations")
    assert answers
    assert answers[-1]["status"] == 400
    # §11 fixes only method, path and status of a log entry: the answer when it is there
    assert "redirect_to" not in (answers[-1].get("response") or {})


@pytest.mark.clause("S-3", "A-7")
def test_unknown_client_is_never_redirected_to(phone: Device, rp: TestRelyingParty,
                                               persona: Persona) -> None:
    login = rp.login(client_id="no-such-client")
    screen = authorize_on_phone(phone, rp, persona, login.link)
    assert_error_screen(screen, app="vneid", code="invalid_client")
    assert links_from_vneid(phone) == []


@pytest.mark.clause("S-1", "A-7")
@pytest.mark.parametrize(("override", "value"), [
    ("code_challenge_method", "plain"),
    ("code_challenge_method", None),
    ("code_challenge", "too-short"),
    ("code_challenge", None),
])
def test_pkce_s256_is_mandatory(phone: Device, rp: TestRelyingParty, persona: Persona,
                                override: str, value: str | None) -> None:
    overrides: dict[str, Any] = {override: value}  # AuthorizationRequest fields
    login = rp.login(**overrides)
    authorize_on_phone(phone, rp, persona, login.link)
    cb = callback_of(phone)
    assert cb.error == "invalid_request", cb.params
    assert cb.code is None
    assert cb.state == login.request.state


@pytest.mark.clause("A-7", "A-2")
@pytest.mark.parametrize(("override", "value", "error"), [
    ("response_type", "token", "unsupported_response_type"),
    ("response_type", None, "invalid_request"),
    ("scope", "profile", "invalid_scope"),
])
def test_bad_request_parameters_go_back_by_redirect(phone: Device, rp: TestRelyingParty,
                                                    persona: Persona, override: str,
                                                    value: str | None, error: str) -> None:
    overrides: dict[str, Any] = {override: value}  # AuthorizationRequest fields
    login = rp.login(**overrides)
    authorize_on_phone(phone, rp, persona, login.link)
    cb = callback_of(phone)
    assert cb.error == error, cb.params
    assert cb.iss == rp.vneid.issuer


@pytest.mark.clause("A-2", "A-5")
def test_unknown_parameters_are_ignored(phone: Device, rp: TestRelyingParty,
                                        persona: Persona) -> None:
    login = rp.login(extra=(("foo", "bar"), ("x-vendor", "1")))
    authorize_on_phone(phone, rp, persona, login.link)
    cb = callback_of(phone)
    assert cb.code is not None, cb.params
    assert rp.redeem(cb.code, login.code_verifier).status == 200


@pytest.mark.clause("A-2")
def test_request_without_nonce_succeeds_in_the_code_flow(phone: Device, rp: TestRelyingParty,
                                                          persona: Persona,
                                                          vneid: VNeIDHandle) -> None:
    """OpenID Connect Core §3.1.2.1 makes ``nonce`` optional in the code flow: the mock
    issues a code. A-2 lists it among the request's parameters, so another provider may
    instead send the request back as ``invalid_request`` (A-7), never with a code."""
    login = rp.login(nonce=None)
    authorize_on_phone(phone, rp, persona, login.link)
    cb = callback_of(phone)
    if not vneid.is_embedded and cb.error is not None:
        assert (cb.error, cb.code) == ("invalid_request", None), cb.params
        return
    assert cb.code is not None, cb.params
    assert rp.redeem(cb.code, login.code_verifier).status == 200


@pytest.mark.clause("A-5")
@pytest.mark.parametrize("state", ["s" * 2000, "trạng thái ✓ & = ?", "a+b/c=="])
def test_state_is_echoed_exactly(phone: Device, rp: TestRelyingParty, persona: Persona,
                                 state: str) -> None:
    login = rp.login(state=state)
    authorize_on_phone(phone, rp, persona, login.link)
    assert callback_of(phone).state == state


@pytest.mark.clause("A-5", "R-2")
@pytest.mark.parametrize("form", [LinkForm.CUSTOM_SCHEME, LinkForm.CLAIMED_HTTPS])
def test_both_link_forms_are_understood_and_iss_is_returned(phone: Device, rp: TestRelyingParty,
                                                             persona: Persona,
                                                             form: LinkForm) -> None:
    login = rp.login(form=form)
    authorize_on_phone(phone, rp, persona, login.link)
    cb = callback_of(phone)
    assert cb.code is not None, cb.params
    assert cb.iss == rp.vneid.issuer


@pytest.mark.clause("A-7", "P-2")
@pytest.mark.parametrize("acr_values", [ACR_LEVEL2, None], ids=["loa2", "no-acr_values"])
def test_level1_account_gets_unmet_authentication_requirements(phone: Device, rp: TestRelyingParty,
                                                               personas: PersonaPool,
                                                               vneid: VNeIDHandle,
                                                               acr_values: str | None) -> None:
    """P-2 holds whatever the client asks for: without acr_values, level 2 is still needed.
    A-2 lists ``acr_values`` among the request's parameters, so another provider may instead
    send a request without it back as ``invalid_request`` (A-7), never with a code; the mock
    answers ``unmet_authentication_requirements``."""
    citizen = personas.new(level=1)
    login = rp.login(acr_values=acr_values)
    authorize_on_phone(phone, rp, citizen, login.link)
    cb = callback_of(phone)
    assert cb.code is None, f"a level-1 account got a code (P-2): {cb.params}"
    allowed = {"unmet_authentication_requirements"}
    if acr_values is None and not vneid.is_embedded:
        allowed.add("invalid_request")
    assert cb.error in allowed, (
        f"expected the callback's error to be {' or '.join(sorted(allowed))} for a level-1 "
        f"account (A-7, P-2), observed {cb.params}")


@pytest.mark.clause("A-7")
def test_deny_redirects_access_denied_with_state_and_iss(phone: Device, rp: TestRelyingParty,
                                                          persona: Persona) -> None:
    login = rp.login()
    authorize_on_phone(phone, rp, persona, login.link, decision="deny")
    cb = callback_of(phone)
    assert (cb.error, cb.state, cb.iss) == ("access_denied", login.request.state,
                                            rp.vneid.issuer)


@pytest.mark.clause("A-5")
@pytest.mark.parametrize("decision", ["ok", "APPROVE", "", None])
def test_unknown_decision_is_refused_without_a_redirect(vneid: VNeIDHandle, rp: TestRelyingParty,
                                                         persona: Persona,
                                                         decision: str | None) -> None:
    """A-5: the decision is "approve" or "deny"; anything else is a §8 error, never a code."""
    with vneid.client(headers=app_headers("vneid", profile=rp.profile)) as http:
        token = app_session_token(http, persona)
        response = http.post("/api/app/v1/authorizations",
                             json={"link": rp.login().link, "decision": decision},
                             headers={"Authorization": f"Bearer {token}"})
    body = assert_error_body(response, 400, "invalid_request",
                             "A-5" if vneid.is_embedded else None)
    assert "redirect_to" not in body
