"""Authorization requests at the edges: each refusal's clause, scope, acr_values (A-2, A-7, S-1)."""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from harness.apps.screens import VNEID_CONSENT, VNEID_LOGIN
from harness.flows import decide, enter_credentials
from harness.personas import Persona
from harness.protocol import ACR_LEVEL1, ACR_LEVEL2, Callback, Profile, parse_callback
from harness.rp import RP_SCHEME, Login, TestRelyingParty
from harness.targets import VNeIDHandle
from harness.world import Device, DeviceFactory, PersonaPool
from scenarios.support import (
    answered,
    app_headers,
    app_session_token,
    assert_consent,
    assert_error_body,
    assert_redeemed,
    authorize_on_phone,
    callback_since,
    public,
    replace_param,
    shown,
)


@pytest.fixture
def phone(device: DeviceFactory) -> Device:
    dev = device("ios")
    dev.install_receiver(RP_SCHEME)
    return dev


def answer(
    vneid: VNeIDHandle, persona: Persona, link: str, decision: str = "approve", *, profile: Profile
) -> httpx.Response:
    """A-4, A-5 over the VNeID app API: the HTTP answer to forwarding ``link`` from the
    ``profile``'s minimum VNeID app (the run's: ``rp.profile`` is ``target.profile``)."""
    with vneid.client(headers=app_headers("vneid", profile=profile)) as http:
        token = app_session_token(http, persona)
        return http.post(
            "/api/app/v1/authorizations",
            json={"link": link, "decision": decision},
            headers={"Authorization": f"Bearer {token}"},
        )


def redirected(
    vneid: VNeIDHandle, persona: Persona, link: str, decision: str = "approve", *, profile: Profile
) -> Callback:
    response = answer(vneid, persona, link, decision, profile=profile)
    assert response.status_code == 200, (
        f"A-5: expected authorizations to answer HTTP 200 with redirect_to, observed "
        f"{answered(response)}"
    )
    return parse_callback(response.json()["redirect_to"])


_DESCRIPTION_CHARS = re.compile(r"[\x20-\x21\x23-\x5b\x5d-\x7e]*")
"""RFC 6749 §4.1.2.1: ``error_description`` "MUST NOT include characters outside the set
%x20-21 / %x23-5B / %x5D-7E"."""


def assert_redirected_error(
    callback: Callback, error: str, clause: str, vneid: VNeIDHandle, *, names: str | None = None
) -> None:
    """A-7: ``error``, no code, and an ``error_description``, which RFC 6749 §4.1.2.1 makes
    optional, in its character set when there is one. Our own provider's also starts by
    citing the clause and, with ``names``, names the parameter to fix (its conventions, not
    the protocol's: a vendor's provider is not held to them)."""
    assert callback.error == error, (
        f"{clause}: expected the provider to send back error={error}, observed "
        + (
            f"a code (error={callback.error})"
            if callback.code is not None
            else f"error={callback.error}"
        )
        + f"; the callback: {public(callback.params)}"
    )
    assert callback.code is None, (
        f"{clause}: expected no code beside error={error}, observed {public(callback.params)}"
    )
    description = callback.error_description
    if description is not None:
        assert _DESCRIPTION_CHARS.fullmatch(description), (
            f"error_description has characters RFC 6749 §4.1.2.1 excludes: {description!r}"
        )
    if vneid.is_embedded:
        cited, _, text = (description or "").partition(":")
        assert cited == clause, (
            f"expected the error_description to start by citing {clause}, observed {description!r}"
        )
        assert text.strip() not in ("", "None"), f"the description explains nothing: {description}"
        if names is not None:
            assert names in text, f"the description does not name {names}: {description}"


def assert_state_and_iss(callback: Callback, login: Login, vneid: VNeIDHandle) -> None:
    """A-5: an error sent back carries the request's ``state`` and the provider's ``iss``."""
    assert (callback.state, callback.iss) == (login.request.state, vneid.issuer), (
        f"A-5: expected the error to carry the request's state and iss={vneid.issuer}, "
        f"observed {'the same' if callback.state == login.request.state else 'another'} "
        f"state and iss={callback.iss!r}"
    )


# -- S-2, S-3: refused without a redirect, with the §8 body ----------------------------------------


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("S-3", "A-7")
@pytest.mark.parametrize(
    "client_id", [None, "", "no-such-client"], ids=["missing", "empty", "unknown"]
)
def test_a_missing_or_unknown_client_id_is_shown_not_redirected(
    vneid: VNeIDHandle, rp: TestRelyingParty, persona: Persona, client_id: str | None
) -> None:
    link = replace_param(rp.login().link, "client_id", client_id)
    body = assert_error_body(
        answer(vneid, persona, link, profile=rp.profile),
        400,
        "invalid_client",
        "S-3" if vneid.is_embedded else None,
    )
    assert "redirect_to" not in body, (
        f"S-3: expected no redirect_to for an unknown client, observed {public(body)}"
    )
    assert "None" not in body["error_description"], (
        f"expected an error_description naming the missing client_id, observed "
        f"{body['error_description']!r}"
    )


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("S-2", "S-3", "A-7")
@pytest.mark.parametrize(
    "redirect_uri", [None, "", f"{RP_SCHEME}://elsewhere"], ids=["missing", "empty", "unregistered"]
)
def test_a_missing_or_unregistered_redirect_uri_is_shown_not_redirected(
    vneid: VNeIDHandle, rp: TestRelyingParty, persona: Persona, redirect_uri: str | None
) -> None:
    link = replace_param(rp.login().link, "redirect_uri", redirect_uri)
    body = assert_error_body(
        answer(vneid, persona, link, profile=rp.profile),
        400,
        "invalid_redirect_uri",
        "S-2" if vneid.is_embedded else None,
    )
    assert "redirect_to" not in body, (
        f"S-2: expected no redirect_to for that redirect_uri, observed {public(body)}"
    )


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("S-2", "A-7")
@pytest.mark.parametrize(
    "spoil",
    [
        shown("trailing-slash", lambda uri: f"{uri}/"),
        shown("percent-encoded-letter", lambda uri: f"{uri[:-1]}%{ord(uri[-1]):02X}"),
        shown("upper-case-path", lambda uri: uri[:-1] + uri[-1].upper()),
    ],
    ids=["trailing-slash", "percent-encoded-letter", "upper-case-path"],
)
def test_a_redirect_uri_matching_only_after_normalising_is_not_redirected_to(
    vneid: VNeIDHandle, rp: TestRelyingParty, persona: Persona, spoil: Callable[[str], str]
) -> None:
    """S-2: the registered redirect URI is matched exactly (RFC 6749 §3.1.2.3, simple string
    comparison): ``…://callback/`` and ``…://callbac%6B`` are other URIs, refused without a
    redirect to them (a fault-injection audit: normalising them went unnoticed)."""
    link = replace_param(rp.login().link, "redirect_uri", spoil(rp.redirect_uri))
    body = assert_error_body(
        answer(vneid, persona, link, profile=rp.profile),
        400,
        "invalid_redirect_uri",
        "S-2" if vneid.is_embedded else None,
    )
    assert "redirect_to" not in body, (
        f"S-2: expected no redirect_to for a redirect_uri matching only after normalising, "
        f"observed {public(body)}"
    )


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("S-3", "A-7")
@pytest.mark.parametrize("redirect_uri", ["attacker-https", "another-clients-callback"])
@pytest.mark.parametrize("decision", ["approve", "deny"])
def test_an_unknown_client_is_never_redirected_whatever_its_uri(
    vneid: VNeIDHandle, rp: TestRelyingParty, persona: Persona, redirect_uri: str, decision: str
) -> None:
    """S-3: no redirect to a URI nobody verified, an https one included, approve or deny (a
    second fault-injection audit: an unknown client with an https URI was redirected to it,
    an open redirect; the tests had only used the app's own scheme)."""
    uri = "https://evil.test/cb" if redirect_uri == "attacker-https" else rp.profile.callback_https
    link = replace_param(
        replace_param(rp.login().link, "client_id", "no-such-client"), "redirect_uri", uri
    )
    body = assert_error_body(
        answer(vneid, persona, link, decision, profile=rp.profile),
        400,
        "invalid_client",
        "S-3" if vneid.is_embedded else None,
    )
    assert "redirect_to" not in body, (
        f"S-3: expected no redirect_to for an unknown client ({decision}), observed {public(body)}"
    )


# -- redirected errors cite their clause ------------------------------------------------------


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("A-2", "A-7")
@pytest.mark.parametrize(
    ("param", "value", "error"),
    [
        ("response_type", None, "invalid_request"),
        ("response_type", "", "invalid_request"),
        ("response_type", "token", "unsupported_response_type"),
        ("response_type", "code token", "unsupported_response_type"),
        ("response_type", "code id_token", "unsupported_response_type"),
        ("scope", None, "invalid_scope"),
        ("scope", "", "invalid_scope"),
        ("scope", "profile", "invalid_scope"),
        ("scope", "openid\tprofile", "invalid_scope"),
        ("scope", "OPENID", "invalid_scope"),
    ],
    ids=[
        "response_type-missing",
        "response_type-empty",
        "response_type-token",
        "response_type-code-token",
        "response_type-code-id_token",
        "scope-missing",
        "scope-empty",
        "scope-without-openid",
        "scope-tab-separated",
        "scope-upper-case",
    ],
)
def test_bad_a2_parameters_go_back_citing_a2(
    vneid: VNeIDHandle,
    rp: TestRelyingParty,
    persona: Persona,
    param: str,
    value: str | None,
    error: str,
) -> None:
    """RFC 6749 §3.1: an empty parameter counts as absent; §3.3: scope is space-separated
    and its values case-sensitive (``OPENID`` is not ``openid``); A-2 asks for
    ``response_type=code`` alone, so a hybrid type gets no code."""
    login = rp.login()
    callback = redirected(
        vneid, persona, replace_param(login.link, param, value), profile=rp.profile
    )
    assert_redirected_error(callback, error, "A-2", vneid)
    assert_state_and_iss(callback, login, vneid)


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("S-1", "A-7")
@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("code_challenge", None),
        ("code_challenge", ""),
        ("code_challenge", "x" * 42),
        ("code_challenge", "x" * 44),
        ("code_challenge", "+" * 43),
        ("code_challenge_method", None),
        ("code_challenge_method", "plain"),
        ("code_challenge_method", "s256"),
    ],
)
def test_pkce_refusals_go_back_citing_s1(
    vneid: VNeIDHandle, rp: TestRelyingParty, persona: Persona, param: str, value: str | None
) -> None:
    callback = redirected(
        vneid, persona, replace_param(rp.login().link, param, value), profile=rp.profile
    )
    assert_redirected_error(callback, "invalid_request", "S-1", vneid)


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("A-2", "A-7")
@pytest.mark.parametrize("param", ["scope", "state", "code_challenge_method"])
def test_a_repeated_parameter_goes_back_as_invalid_request(
    vneid: VNeIDHandle, rp: TestRelyingParty, persona: Persona, param: str
) -> None:
    """RFC 6749 §4.1.2.1: a request that "includes a parameter more than once" is
    ``invalid_request``, sent back to the client's (valid, registered) redirect URI."""
    login = rp.login()
    value = {"scope": "openid", "state": "another", "code_challenge_method": "S256"}[param]
    callback = redirected(vneid, persona, f"{login.link}&{param}={value}", profile=rp.profile)
    assert_redirected_error(callback, "invalid_request", "A-2", vneid, names=param)
    assert callback.iss == vneid.issuer, (
        f"A-5: expected the error to carry iss={vneid.issuer}, observed iss={callback.iss!r}"
    )


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("A-2", "A-7")
@pytest.mark.parametrize(
    ("param", "flag", "error"),
    [
        ("request", "request_parameter_supported", "request_not_supported"),
        ("request_uri", "request_uri_parameter_supported", "request_uri_not_supported"),
    ],
)
def test_request_objects_a_provider_does_not_support_go_back_refused(
    vneid: VNeIDHandle, rp: TestRelyingParty, persona: Persona, param: str, flag: str, error: str
) -> None:
    """OpenID Connect Core §6.1, §6.2: a provider that does not support request objects
    "MUST return the request_not_supported [request_uri_not_supported] error" rather than
    ignore them (OpenID Discovery §3: ``request_parameter_supported`` is false when omitted,
    ``request_uri_parameter_supported`` true)."""
    with vneid.client() as http:
        discovery = http.get("/.well-known/openid-configuration").json()
    if discovery.get(flag, param == "request_uri"):
        pytest.skip(f"the provider's discovery says it supports {param} ({flag})")
    login = rp.login()
    callback = redirected(
        vneid,
        persona,
        replace_param(login.link, param, "eyJhbGciOiJub25lIn0.e30."),
        profile=rp.profile,
    )
    assert_redirected_error(callback, error, "A-2", vneid, names=param)
    assert_state_and_iss(callback, login, vneid)


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("A-2", "A-7")
@pytest.mark.parametrize("mode", ["fragment", "form_post", "QUERY"])
def test_a_response_mode_discovery_does_not_list_goes_back_as_invalid_request(
    vneid: VNeIDHandle, rp: TestRelyingParty, persona: Persona, mode: str
) -> None:
    """A client that asks for its code in a fragment or a form post must not get it in a
    query it did not ask for: a ``response_mode`` outside discovery's
    ``response_modes_supported`` (``["query", "fragment"]`` when omitted, OpenID Discovery
    §3) goes back as ``invalid_request``; values are case-sensitive."""
    with vneid.client() as http:
        discovery = http.get("/.well-known/openid-configuration").json()
    if mode in discovery.get("response_modes_supported", ["query", "fragment"]):
        pytest.skip(f"the provider's discovery says it supports response_mode={mode}")
    login = rp.login(extra=(("response_mode", mode),))
    callback = redirected(vneid, persona, login.link, profile=rp.profile)
    assert_redirected_error(callback, "invalid_request", "A-2", vneid, names="response_mode")
    assert_state_and_iss(callback, login, vneid)


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("A-2", "A-5")
def test_response_mode_query_gets_a_code(
    vneid: VNeIDHandle, rp: TestRelyingParty, persona: Persona
) -> None:
    """``query`` is the authorization code flow's default response mode (OAuth 2.0 Multiple
    Response Types §2.1): asking for it by name changes nothing."""
    callback = redirected(
        vneid, persona, rp.login(extra=(("response_mode", "query"),)).link, profile=rp.profile
    )
    assert callback.code, (
        f"A-5: expected a code for response_mode=query, observed {public(callback.params)}"
    )


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("A-7")
def test_a_denial_goes_back_citing_a7(
    vneid: VNeIDHandle, rp: TestRelyingParty, persona: Persona
) -> None:
    callback = redirected(vneid, persona, rp.login().link, decision="deny", profile=rp.profile)
    assert_redirected_error(callback, "access_denied", "A-7", vneid)


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("A-4")
@pytest.mark.parametrize("level", [1, 2])
def test_a_session_answers_the_citizens_own_level(
    vneid: VNeIDHandle, rp: TestRelyingParty, personas: PersonaPool, level: int
) -> None:
    """A-4 ``{session_token, level, expires_in}``: the level is the citizen's; an answer of
    2 for every citizen went unnoticed (a fault-injection audit: only level 2 was looked at)."""
    citizen = personas.new(level=level)
    with vneid.client(headers=app_headers("vneid", profile=rp.profile)) as http:
        response = http.post(
            "/api/app/v1/sessions",
            json={"personal_id": citizen.personal_id, "passcode": citizen.passcode},
        )
    assert 200 <= response.status_code < 300, (
        f"A-4: expected sessions to log the citizen in (HTTP 2xx), observed {answered(response)}"
    )
    assert response.json().get("level") == level, (
        f"A-4: expected level {level}, the citizen's, observed {response.json()}"
    )


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("P-2", "A-7")
def test_a_level_1_citizen_goes_back_citing_p2(
    vneid: VNeIDHandle, rp: TestRelyingParty, personas: PersonaPool
) -> None:
    citizen = personas.new(level=1)
    callback = redirected(vneid, citizen, rp.login().link, profile=rp.profile)
    assert_redirected_error(callback, "unmet_authentication_requirements", "P-2", vneid)


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("A-2", "A-5")
def test_an_empty_state_is_not_echoed(
    vneid: VNeIDHandle, rp: TestRelyingParty, persona: Persona
) -> None:
    """RFC 6749 §3.1: an empty ``state`` is no ``state``, so none comes back. The mock
    issues a code; A-2 lists ``state`` among the request's parameters, so another provider
    may instead send the request back as ``invalid_request`` (A-7), still with no state."""
    callback = redirected(
        vneid, persona, replace_param(rp.login().link, "state", ""), profile=rp.profile
    )
    assert "state" not in callback.params, (
        f"A-5: expected no state back for an empty one, observed state={callback.params['state']!r}"
    )
    if not vneid.is_embedded and callback.error is not None:
        assert (callback.error, callback.code) == ("invalid_request", None), (
            f"A-7: expected a code or invalid_request without a code, observed "
            f"{public(callback.params)}"
        )
        return
    assert callback.code is not None, (
        f"A-5: expected a code for a request with an empty state, observed "
        f"{public(callback.params)}"
    )


# -- acr_values (A-2, P-2) -------------------------------------------------------------------------


def id_token_claims(id_token: str) -> dict[str, Any]:
    payload = id_token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("A-2", "P-2", "T-3")
@pytest.mark.parametrize(
    "acr_values",
    [ACR_LEVEL1, f"{ACR_LEVEL1} urn:example:unknown"],
    ids=["loa1", "loa1-and-unknown"],
)
def test_a_request_for_level_1_lets_a_level_1_citizen_through(
    phone: Device, rp: TestRelyingParty, personas: PersonaPool, acr_values: str
) -> None:
    """P-2 is the relying party's to enforce (R-10): asked for level 1, the mock issues a
    code whose ID token says ``urn:vneid:loa:1``; unknown values are ignored. OpenID Connect
    Core §3.1.2.1 makes ``acr_values`` a voluntary request, so another provider may keep
    to level 2 and answer ``unmet_authentication_requirements`` (A-7, P-2) instead."""
    citizen = personas.new(level=1)
    login = rp.login(acr_values=acr_values)
    authorize_on_phone(phone, rp, citizen, login.link)
    callback = parse_callback(phone.last_link_to(f"{RP_SCHEME}://"))
    if not rp.vneid.is_embedded and callback.error is not None:
        assert (callback.error, callback.code) == ("unmet_authentication_requirements", None), (
            f"A-7, P-2: expected a code or unmet_authentication_requirements without a code, "
            f"observed {public(callback.params)}"
        )
        return
    assert callback.code is not None, (
        f"A-2: expected a code for a level-1 citizen asked at level 1, observed "
        f"{public(callback.params)}"
    )
    result = rp.redeem(callback.code, login.code_verifier)
    assert_redeemed(result)
    acr = id_token_claims(result.body["id_token"])["acr"]
    assert acr == ACR_LEVEL1, f"T-3: expected acr {ACR_LEVEL1}, the citizen's, observed {acr!r}"


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("A-2", "P-2")
@pytest.mark.parametrize(
    "acr_values",
    [
        f"{ACR_LEVEL1} {ACR_LEVEL2}",
        f"{ACR_LEVEL1}\t{ACR_LEVEL1}",
        "urn:example:unknown",
    ],
    ids=["highest-wins", "tab-is-no-separator", "only-unknown"],
)
def test_level_2_is_required_unless_level_1_alone_is_asked_for(
    vneid: VNeIDHandle, rp: TestRelyingParty, personas: PersonaPool, acr_values: str
) -> None:
    citizen = personas.new(level=1)
    callback = redirected(vneid, citizen, rp.login(acr_values=acr_values).link, profile=rp.profile)
    assert_redirected_error(callback, "unmet_authentication_requirements", "P-2", vneid)


# -- the ID token's header (T-3) -------------------------------------------------------------------


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("T-3")
def test_the_id_token_header_is_a_jwt_signed_es256_with_kid(
    phone: Device, rp: TestRelyingParty, persona: Persona, vneid: VNeIDHandle
) -> None:
    login = rp.login()
    authorize_on_phone(phone, rp, persona, login.link)
    result = rp.redeem(rp.code_from(phone.last_link_to(f"{RP_SCHEME}://")), login.code_verifier)
    head = result.body["id_token"].split(".")[0]
    header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    with vneid.client() as http:
        jwks_uri = http.get("/.well-known/openid-configuration").json()["jwks_uri"]
        keys = {k.get("kid") for k in http.get(jwks_uri).json()["keys"]}
    assert header["alg"] == "ES256", (
        f"T-3: expected the ID token signed ES256, observed alg {header['alg']!r}"
    )
    # T-3 does not ask for typ; RFC 7519 §5.1 recommends "JWT" when it is there
    assert header.get("typ", "JWT").upper() == "JWT", (
        f"T-3: expected typ JWT when present (RFC 7519 §5.1), observed the header {header}"
    )
    assert header["kid"] in keys, (
        f"T-3: expected the ID token's kid among the jwks_uri's {sorted(map(str, keys))}, "
        f"observed {header['kid']!r}"
    )


# -- login_hint on the web form (A-2) --------------------------------------------------------------


# the web login page is the mock's own (PROTOCOL.md has none): in no vendor's plan
@pytest.mark.clause("A-2", "A-4")
@pytest.mark.parametrize(
    ("hint", "shown"),
    [
        ("001090012345", "001090012345"),
        ("0010900123456789", "001090012345"),
        ("not-a-number", ""),
        (None, ""),
    ],
    ids=["personal-id", "cut-to-12", "not-digits", "none"],
)
def test_login_hint_prefills_the_web_login_form(
    rp: TestRelyingParty, vneid: VNeIDHandle, hint: str | None, shown: str
) -> None:
    request = rp.login(login_hint=hint).request
    path = urlsplit(request.to_url(f"{vneid.issuer}/authorize"))
    with vneid.client() as http:
        page = http.get(f"/authorize?{path.query}")
    assert page.status_code == 200, (
        f"expected the web login page (HTTP 200), observed {answered(page)}"
    )
    assert "vneid-login" in page.text, (
        f"§9: expected the vneid-login screen, observed {public(page.text)}"
    )
    assert f'value="{shown}"' in page.text, (
        f"A-2: expected the personal id field prefilled with {shown!r} for login_hint "
        f"{hint!r}, observed {public(page.text)}"
    )


# -- prompt and max_age (OpenID Connect Core §3.1.2.1) ---------------------------------------------


def _first_login(phone: Device, rp: TestRelyingParty, persona: Persona) -> dict[str, Any]:
    """A login that leaves the VNeID app with a session; its ID token's claims."""
    login = rp.login()
    authorize_on_phone(phone, rp, persona, login.link)
    result = rp.redeem(rp.code_from(phone.last_link_to(f"{RP_SCHEME}://")), login.code_verifier)
    return id_token_claims(result.body["id_token"])


def _within_the_session(profile: Profile, age: float) -> float:
    """``age`` seconds, or half a second before a VNeID app session ends when the profile's
    ``vneid_session_ttl`` is not longer: the provider's clock moves by this much, and the
    session must still be alive (past its end, the provider refuses it as unknown, A-5)."""
    return min(age, profile.vneid_session_ttl - 0.5)


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("A-4", "A-5", "T-3")
def test_max_age_makes_the_citizen_log_in_again(
    phone: Device, rp: TestRelyingParty, persona: Persona, vneid: VNeIDHandle
) -> None:
    """max_age: past it "the OP MUST attempt to actively re-authenticate the End-User". The
    app's session is two minutes old by the provider's clock (the phone's own clock does not
    know); with max_age=60 the provider asks for a newer login, the app shows its login
    screen again, and the ID token's auth_time is the new login's.

    A session the profile ends sooner is aged to half a second before its end, and max_age
    is below that age (60, or the age's whole seconds less one); a session too short to
    outlive a max_age of 1 s gets max_age=0, "equivalent to prompt=login", which the app
    answers itself."""
    age = _within_the_session(rp.profile, 120)
    max_age = min(60, math.ceil(age) - 1)
    first = _first_login(phone, rp, persona)
    vneid.set_clock(age)
    login = rp.login(extra=(("max_age", str(max_age)),))
    before = len(phone.delivered_links())
    phone.phone.open_url(login.link, source="harness-rp")
    if max_age:
        screen = phone.screen()
        assert screen.id == VNEID_CONSENT, (  # the app thinks its session will do
            f"expected VNeID's consent screen (the app's session), observed {screen.describe()}"
        )
        screen = decide(phone.driver, "approve")
        assert screen.id == VNEID_LOGIN, (  # the provider does not
            f"A-5: expected the provider to ask for a newer login than max_age={max_age} "
            f"allows (the login screen again), observed "
            f"{screen.describe()}"
        )
    else:
        screen = phone.screen()
        assert screen.id == VNEID_LOGIN, (  # max_age=0: the app logs in again itself
            f"expected VNeID's login screen for max_age=0, observed {screen.describe()}"
        )
    screen = enter_credentials(phone.driver, persona)
    assert_consent(screen)
    screen = decide(phone.driver, "approve")
    result = rp.redeem(rp.code_from(callback_since(phone, before, screen)), login.code_verifier)
    assert_redeemed(result)
    auth_time = id_token_claims(result.body["id_token"])["auth_time"]
    assert auth_time >= first["auth_time"] + age - 1, (
        f"T-3: expected auth_time to be the new login's, at least {first['auth_time'] + age - 1}"
        f", observed {auth_time!r} (the first login's: {first['auth_time']})"
    )


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("A-4", "A-5")
def test_prompt_login_shows_the_login_screen_despite_a_session(
    phone: Device, rp: TestRelyingParty, persona: Persona
) -> None:
    """prompt=login: "The Authorization Server SHOULD prompt the End-User for
    reauthentication"; the app does, although it holds a session."""
    _first_login(phone, rp, persona)
    login = rp.login(extra=(("prompt", "login"),))
    before = len(phone.delivered_links())
    phone.phone.open_url(login.link, source="harness-rp")
    screen = phone.screen()
    assert screen.id == VNEID_LOGIN, (
        f"prompt=login: expected VNeID's login screen despite the app's session, observed "
        f"{screen.describe()}"
    )
    enter_credentials(phone.driver, persona)
    screen = decide(phone.driver, "approve")
    # this login's callback: the first login's (last_link_to) passed for a provider that
    # answered the new login with no code at all
    callback = callback_since(phone, before, screen)
    assert rp.code_from(callback), (
        f"A-5: expected a code after the new login, observed the callback {public(callback)}"
    )


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("S-2", "S-3", "A-7")
@pytest.mark.parametrize("param", ["client_id", "redirect_uri"])
def test_a_repeated_client_id_or_redirect_uri_is_shown_not_redirected(
    vneid: VNeIDHandle, rp: TestRelyingParty, persona: Persona, param: str
) -> None:
    """RFC 6749 §4.1.2.1: with no one client or redirect URI the provider "MUST NOT
    automatically redirect"."""
    login = rp.login()
    value = login.request.client_id if param == "client_id" else login.request.redirect_uri
    response = answer(vneid, persona, f"{login.link}&{param}={value}", profile=rp.profile)
    assert response.status_code == 400, (
        f"S-2, S-3: expected a repeated {param} refused with HTTP 400 and no redirect, "
        f"observed {answered(response)}"
    )
    assert "redirect_to" not in response.json(), (
        f"S-2, S-3: expected no redirect_to for a repeated {param}, observed {answered(response)}"
    )
    if vneid.is_embedded:  # which code and clause name this refusal is the mock's choice
        assert_error_body(
            response, 400, "invalid_request", "S-3" if param == "client_id" else "S-2"
        )


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("A-2", "A-5")
@pytest.mark.parametrize(
    "prompt", ["none", "login consent", "consent select_account", "none\tlogin", "unknown"]
)
def test_prompt_values_a_fresh_app_login_satisfies_get_a_code(
    vneid: VNeIDHandle, rp: TestRelyingParty, persona: Persona, prompt: str
) -> None:
    """OpenID Connect Core §3.1.2.1: ``prompt`` is space-delimited (a tab is not a
    delimiter, so ``none\tlogin`` is one unknown value); the app has just logged the citizen
    in and shown its consent screen, which answers ``none``, ``login``, ``consent`` and
    ``select_account`` alike; unknown values are ignored."""
    callback = redirected(
        vneid, persona, rp.login(extra=(("prompt", prompt),)).link, profile=rp.profile
    )
    assert callback.code, (
        f"A-5: expected a code for prompt={prompt!r} after a fresh login, observed "
        f"{public(callback.params)}"
    )


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("A-2", "A-5")
@pytest.mark.parametrize("max_age", ["0", "1", "600"])
def test_a_max_age_a_fresh_app_login_satisfies_gets_a_code(
    vneid: VNeIDHandle, rp: TestRelyingParty, persona: Persona, max_age: str
) -> None:
    """``max_age=0`` is "equivalent to prompt=login": the app has just logged the citizen in
    for this request, which satisfies it, as it satisfies any ``max_age``."""
    callback = redirected(
        vneid, persona, rp.login(extra=(("max_age", max_age),)).link, profile=rp.profile
    )
    assert callback.code, (
        f"A-5: expected a code for max_age={max_age} after a fresh login, observed "
        f"{public(callback.params)}"
    )


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("A-2", "A-7")
def test_prompt_none_with_another_value_goes_back_as_invalid_request(
    vneid: VNeIDHandle, rp: TestRelyingParty, persona: Persona
) -> None:
    """OpenID Connect Core §3.1.2.1: "If this parameter contains none with any other value,
    an error is returned"."""
    callback = redirected(
        vneid, persona, rp.login(extra=(("prompt", "none login"),)).link, profile=rp.profile
    )
    assert_redirected_error(callback, "invalid_request", "A-2", vneid, names="prompt=none")


def _app_session(
    vneid: VNeIDHandle, persona: Persona, profile: Profile
) -> tuple[httpx.Client, str]:
    http = vneid.client(headers=app_headers("vneid", profile=profile))
    try:
        return http, app_session_token(http, persona)
    except BaseException:
        http.close()  # the caller gets no client to close
        raise


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("A-4", "A-5")
@pytest.mark.parametrize(
    ("extra", "age", "allowed"),
    [
        ((("max_age", "60"),), 61, 60),
        ((("prompt", "login"),), 121, 120),
        ((("max_age", "0"),), 121, 120),
        ((("max_age", "60"),), 30, 60),
        ((("prompt", "login"),), 90, 120),
        ((("max_age", "600"),), 300, 600),
        ((), 300, None),
    ],
    ids=[
        "max_age-passed",
        "prompt-login-old",
        "max_age-0-old",
        "max_age-not-yet",
        "prompt-login-recent",
        "max_age-600-at-300",
        "neither-at-300",
    ],
)
def test_the_app_api_asks_for_a_newer_login_only_when_the_request_needs_one(
    vneid: VNeIDHandle,
    rp: TestRelyingParty,
    persona: Persona,
    extra: tuple[tuple[str, str], ...],
    age: int,
    allowed: int | None,
) -> None:
    """Our app API's answer to max_age and prompt=login (the protocol leaves it open): 401
    ``login_required`` for an approval when the session is older than the request allows
    (``allowed``: max_age, or 120 s for prompt=login), so the app logs the citizen in again;
    a denial needs no newer login. The session is ``age`` seconds old, or half a second
    before its end when the profile's ``vneid_session_ttl`` is not longer (then it may be
    younger than the request allows)."""
    if not vneid.is_embedded:
        pytest.skip("how an app API asks for a newer login is this mock's choice")
    aged = _within_the_session(rp.profile, age)
    http, token = _app_session(vneid, persona, rp.profile)
    try:  # closed whatever fails, or its socket is left to a later test's warnings
        vneid.set_clock(aged)
        link = rp.login(extra=extra).link
        bearer = {"Authorization": f"Bearer {token}"}
        approve = http.post(
            "/api/app/v1/authorizations", headers=bearer, json={"link": link, "decision": "approve"}
        )
        deny = http.post(
            "/api/app/v1/authorizations", headers=bearer, json={"link": link, "decision": "deny"}
        )
    finally:
        http.close()
    if allowed is not None and aged > allowed:  # past max_age, or the 120 s of a fresh login
        assert_error_body(approve, 401, "login_required", "A-4" if vneid.is_embedded else None)
    else:
        assert approve.status_code == 200, (
            f"A-5: expected an approval within what the request allows (HTTP 200), observed "
            f"{answered(approve)}"
        )
        assert parse_callback(approve.json()["redirect_to"]).code, (
            f"A-5: expected a code for the approval, observed {answered(approve)}"
        )
    denied = parse_callback(deny.json()["redirect_to"])
    assert denied.error == "access_denied", (
        f"A-7: expected a denial to go back as access_denied, observed {public(denied.params)}"
    )


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("A-2", "A-7")
@pytest.mark.parametrize("max_age", ["-1", "soon", "1" * 11])
def test_a_malformed_max_age_goes_back_as_invalid_request(
    vneid: VNeIDHandle, rp: TestRelyingParty, persona: Persona, max_age: str
) -> None:
    if not vneid.is_embedded:
        pytest.skip("OpenID Connect leaves a malformed max_age to the provider")
    callback = redirected(
        vneid, persona, rp.login(extra=(("max_age", max_age),)).link, profile=rp.profile
    )
    assert_redirected_error(callback, "invalid_request", "A-2", vneid, names="max_age")


# -- the link and the decision ------------------------------------------------------------


def _rebased(link: str, base: str) -> str:
    """``link``'s query on another base (scheme, host and path)."""
    parts, new = urlsplit(link), urlsplit(base)
    return urlunsplit((new.scheme, new.netloc, new.path, parts.query, ""))


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("A-5", "S-3")
@pytest.mark.parametrize(
    "base",
    [
        shown("other-host", lambda p: f"https://evil.test{urlsplit(p.authorize_link_https).path}"),
        shown("plain-http", lambda p: "http" + p.authorize_link_https.removeprefix("https")),
        shown("longer-path", lambda p: f"{p.authorize_link_https}/x"),
        shown("other-path", lambda p: f"{p.vneid_scheme}://other"),
    ],
    ids=["other-host", "plain-http", "longer-path", "other-path"],
)
def test_a_link_of_neither_form_gets_no_code(
    vneid: VNeIDHandle, rp: TestRelyingParty, persona: Persona, base: Callable[[Profile], str]
) -> None:
    """A-5: the app forwards the link it received, in either form of A-1; a link of neither
    (another host, plain http, another path) is refused, not answered with a redirect (a
    second fault-injection audit: one more accepted base went unnoticed)."""
    response = answer(
        vneid, persona, _rebased(rp.login().link, base(rp.profile)), profile=rp.profile
    )
    assert 400 <= response.status_code < 500, (
        f"A-5: expected a link of neither A-1 form refused (4xx), observed {answered(response)}"
    )
    assert "redirect_to" not in response.json(), (
        f"A-5, S-3: expected no redirect_to for a link of neither form, observed "
        f"{answered(response)}"
    )


@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("A-5")
@pytest.mark.parametrize(
    "decision",
    ["Approve", "Deny", "approve ", ["approve"]],
    ids=["Approve", "Deny", "approve-space", "approve-in-an-array"],
)
def test_the_decision_is_exactly_approve_or_deny(
    vneid: VNeIDHandle, rp: TestRelyingParty, persona: Persona, decision: Any
) -> None:
    """A-5 ``"approve" | "deny"``: nothing else decides (no case folding, no trimming)."""
    response = answer(vneid, persona, rp.login().link, decision, profile=rp.profile)
    assert 400 <= response.status_code < 500, (
        f"A-5: expected the decision {decision!r} refused (4xx), observed {answered(response)}"
    )
    assert "redirect_to" not in response.json(), (
        f"A-5: expected no redirect_to for the decision {decision!r}, observed {answered(response)}"
    )
