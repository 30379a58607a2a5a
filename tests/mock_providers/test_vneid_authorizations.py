"""A-5 authorizations: the order of RFC 6749 §4.1.2.1, redirect vs no redirect (A-7, S-2,
S-3), PKCE (S-1), level (P-2), and the provider probes of CONFORMANCE-CATALOG.md."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
import pytest

from harness.protocol import LinkForm, parse_callback
from mock_providers.vneid import ClientRecord
from mock_providers.vneid.authorize import FRESH_LOGIN_SECONDS

pytestmark = pytest.mark.clause("A-5")


def _error(r):
    body = r.json()
    return r.status_code, body["error"], body["clause"]


def _redirect(r):
    assert r.status_code == 200, r.text
    return parse_callback(r.json()["redirect_to"])


def test_approve_redirects_with_code_state_and_iss(vneid_flow, vneid_provider):
    cb = vneid_flow.callback()
    assert cb.redirect_uri == "vssid://auth/vneid/callback"
    assert cb.state == "state-123"
    assert cb.iss == vneid_provider.issuer
    assert cb.error is None
    assert len(cb.code) >= 43  # 256 bits, base64url


@pytest.mark.parametrize("form", list(LinkForm))
def test_both_link_forms_are_accepted(vneid_flow, form):
    assert vneid_flow.callback(form=form).code


def test_the_web_authorization_endpoint_is_accepted_as_a_link(vneid_flow, vneid_provider):
    link = vneid_flow.request().to_url(vneid_provider.url("/authorize"))
    assert _redirect(vneid_flow.authorize(link)).code


@pytest.mark.clause("A-7")
def test_deny_redirects_with_access_denied(vneid_flow, vneid_provider):
    cb = _redirect(vneid_flow.authorize(vneid_flow.request().to_link(), "deny"))
    assert (cb.error, cb.state, cb.iss, cb.code) == (
        "access_denied",
        "state-123",
        vneid_provider.issuer,
        None,
    )
    assert cb.error_description.startswith("A-7")


@pytest.mark.clause("P-2", "A-7")
def test_level1_account_gets_unmet_authentication_requirements(vneid_flow, vneid_level1_persona):
    session = vneid_flow.session(vneid_level1_persona)
    cb = _redirect(vneid_flow.authorize(vneid_flow.request().to_link(), session=session))
    assert (cb.error, cb.state, cb.code) == ("unmet_authentication_requirements", "state-123", None)
    # without acr_values the level-2 default of P-2 still applies
    cb = _redirect(
        vneid_flow.authorize(vneid_flow.request(acr_values=None).to_link(), session=session)
    )
    assert cb.error == "unmet_authentication_requirements"


@pytest.mark.clause("P-2")
def test_level1_account_passes_when_level1_is_requested(vneid_flow, vneid_level1_persona):
    session = vneid_flow.session(vneid_level1_persona)
    cb = vneid_flow.callback(vneid_flow.request(acr_values="urn:vneid:loa:1"), session=session)
    assert cb.code
    assert cb.error is None


@pytest.mark.clause("S-3")
@pytest.mark.parametrize("client_id", ["unknown-rp", None])
def test_unknown_or_missing_client_is_shown_not_redirected(vneid_flow, client_id):
    req = vneid_flow.request(client_id=client_id or "")
    r = vneid_flow.authorize(req.to_link())
    assert _error(r) == (400, "invalid_client", "S-3")
    assert "redirect_to" not in r.json()
    assert r.json()["message"] == "Yêu cầu đăng nhập không hợp lệ"


@pytest.mark.clause("S-2", "S-3")
@pytest.mark.parametrize(
    "redirect_uri",
    [
        "vssid://evil/callback",  # not registered
        "vssid://auth/vneid/callback/extra",  # prefix match
        "vssid://auth/vneid",  # registered one is longer
        "vssid://auth/vneid/callback?x=1",  # query added
        "vssid://auth/vneid/callback#frag",  # fragment
        "VSSID://auth/vneid/callback",  # case differs
        "https://evil.test/auth/vneid/callback",
        "not a uri",
        "",  # missing
    ],
)
def test_redirect_uri_must_match_exactly_and_is_never_redirected_to(vneid_flow, redirect_uri):
    r = vneid_flow.authorize(vneid_flow.request(redirect_uri=redirect_uri).to_link())
    assert _error(r) == (400, "invalid_redirect_uri", "S-2")
    assert "redirect_to" not in r.json()


@pytest.mark.clause("S-2")
def test_a_registered_uri_with_a_query_keeps_it(vneid_flow, vneid_provider):
    vneid_provider.register_client(
        ClientRecord("rp", ("https://rp.test/cb?tenant=7",), client_secret="s")
    )
    cb = vneid_flow.callback(
        vneid_flow.request(client_id="rp", redirect_uri="https://rp.test/cb?tenant=7")
    )
    assert cb.redirect_uri == "https://rp.test/cb?tenant=7"
    assert cb.code


@pytest.mark.clause("S-1")
@pytest.mark.parametrize(
    "changes",
    [
        {"code_challenge_method": "plain"},
        {"code_challenge_method": ""},  # method missing
        {"code_challenge": ""},  # challenge missing
        {"code_challenge": "short"},
        {"code_challenge": "a" * 44},
        {"code_challenge": "+" * 43},
    ],
)
def test_pkce_s256_is_mandatory(vneid_flow, changes):
    cb = _redirect(vneid_flow.authorize(vneid_flow.request(**changes).to_link()))
    assert (cb.error, cb.state, cb.code) == ("invalid_request", "state-123", None)
    assert cb.error_description.startswith("S-1")


@pytest.mark.clause("A-7")
@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"response_type": ""}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": "code id_token"}, "unsupported_response_type"),
        ({"scope": "profile"}, "invalid_scope"),
        ({"scope": ""}, "invalid_scope"),
    ],
)
def test_request_errors_after_redirect_uri_go_back_by_redirect(
    vneid_flow, vneid_provider, changes, error
):
    cb = _redirect(vneid_flow.authorize(vneid_flow.request(**changes).to_link()))
    assert (cb.error, cb.state, cb.iss, cb.code) == (
        error,
        "state-123",
        vneid_provider.issuer,
        None,
    )


def test_client_errors_come_before_request_errors(vneid_flow):
    """RFC 6749 §4.1.2.1: an invalid redirect_uri is never redirected to, whatever else."""
    req = vneid_flow.request(redirect_uri="https://evil.test/", response_type="token")
    assert _error(vneid_flow.authorize(req.to_link())) == (400, "invalid_redirect_uri", "S-2")


def test_unknown_parameters_are_ignored(vneid_flow):
    req = vneid_flow.request(extra=(("foo", "bar"), ("prompt", "login")))
    assert vneid_flow.callback(req).code


@pytest.mark.clause("A-2", "A-7")
@pytest.mark.parametrize(
    ("param", "error"),
    [("request", "request_not_supported"), ("request_uri", "request_uri_not_supported")],
)
def test_request_objects_are_refused_by_redirect(vneid_flow, vneid_provider, param, error):
    """OpenID Connect Core §6.1/§6.2: not supported, so the error goes back to the client
    (not ignored: the client would believe its signed request was honoured)."""
    req = vneid_flow.request(extra=((param, "eyJhbGciOiJub25lIn0.e30."),))
    cb = _redirect(vneid_flow.authorize(req.to_link()))
    assert (cb.error, cb.state, cb.iss, cb.code) == (
        error,
        "state-123",
        vneid_provider.issuer,
        None,
    )
    assert cb.error_description.startswith("A-2")


@pytest.mark.clause("A-2", "A-7")
@pytest.mark.parametrize("mode", ["fragment", "form_post", "query.jwt", "QUERY"])
def test_an_unsupported_response_mode_is_refused_by_redirect(vneid_flow, vneid_provider, mode):
    """Discovery lists response_modes_supported ["query"]: a client that asked for its code
    in a fragment or a form post must not get it in a query unasked (it was ignored)."""
    req = vneid_flow.request(extra=(("response_mode", mode),))
    cb = _redirect(vneid_flow.authorize(req.to_link()))
    assert (cb.error, cb.state, cb.iss, cb.code) == (
        "invalid_request",
        "state-123",
        vneid_provider.issuer,
        None,
    )
    assert "response_mode" in cb.error_description


def test_response_mode_query_is_accepted(vneid_flow, vneid_http):
    assert vneid_http.get("/.well-known/openid-configuration").json()[
        "response_modes_supported"
    ] == ["query"]
    for mode in ("query", ""):  # empty: as if omitted (RFC 6749 §3.1)
        assert vneid_flow.callback(vneid_flow.request(extra=(("response_mode", mode),))).code


def test_discovery_says_request_objects_are_not_supported(vneid_http):
    """OpenID Discovery §3: request_uri_parameter_supported is true when omitted."""
    doc = vneid_http.get("/.well-known/openid-configuration").json()
    assert doc["request_parameter_supported"] is False
    assert doc["request_uri_parameter_supported"] is False


def test_long_state_is_echoed_exactly(vneid_flow):
    state = "Sτ-/+=&?" + "x" * 6000
    assert vneid_flow.callback(vneid_flow.request(state=state)).state == state


@pytest.mark.parametrize(
    ("param", "state"), [("state", None), ("nonce", "state-123"), ("ui_locales", "state-123")]
)
@pytest.mark.parametrize("encoded", ["%ff%fe", "ok%C3"])
def test_a_parameter_that_is_not_utf8_goes_back_as_invalid_request(
    vneid_flow, vneid_provider, param, state, encoded
):
    """RFC 6749 §4.1.2: state goes back as "the exact value received"; %ff%fe came back as
    %EF%BF%BD%EF%BF%BD (decoded with replacement, encoded again). Such a parameter is refused
    as invalid_request by redirect (A-7), with the state only when it decoded."""
    sent = {"state": "state=state-123", "nonce": "nonce=nonce-456", "ui_locales": "ui_locales=vi"}
    link = vneid_flow.request(extra=(("ui_locales", "vi"),)).to_link()
    assert sent[param] in link
    cb = _redirect(vneid_flow.authorize(link.replace(sent[param], f"{param}={encoded}")))
    assert (cb.error, cb.state, cb.code, cb.iss) == (
        "invalid_request",
        state,
        None,
        vneid_provider.issuer,
    )
    assert cb.error_description.startswith(
        f"A-2: parameter '{param}': its percent-encoding is not UTF-8"
    )


@pytest.mark.parametrize("param", ["client_id", "redirect_uri"])
def test_a_client_id_or_redirect_uri_that_is_not_utf8_is_never_redirected_to(vneid_flow, param):
    request = vneid_flow.request()
    value = {"client_id": "vssid", "redirect_uri": "vssid%3A%2F%2Fauth%2Fvneid%2Fcallback"}[param]
    r = vneid_flow.authorize(request.to_link().replace(f"{param}={value}", f"{param}=%ff"))
    assert _error(r) == (400, "invalid_request", {"client_id": "S-3", "redirect_uri": "S-2"}[param])
    assert "redirect_to" not in r.json()


def test_a_state_holding_the_replacement_character_goes_back_as_it_came(vneid_flow):
    state = "ok\ufffd"  # %EF%BF%BD: valid UTF-8, a character like any other
    assert vneid_flow.callback(vneid_flow.request(state=state)).state == state


def test_no_state_and_no_nonce_are_accepted(vneid_flow):
    cb = vneid_flow.callback(vneid_flow.request(state="", nonce=None))
    assert cb.code
    assert cb.state is None
    assert "state" not in cb.params


@pytest.mark.clause("S-2", "S-3", "A-7")
@pytest.mark.parametrize(("param", "clause"), [("client_id", "S-3"), ("redirect_uri", "S-2")])
def test_a_repeated_client_id_or_redirect_uri_is_shown_not_redirected(vneid_flow, param, clause):
    """RFC 6749 §4.1.2.1: with no one client or redirect URI there is nowhere safe to go."""
    link = vneid_flow.request().to_link()
    value = "vssid" if param == "client_id" else "vssid://auth/vneid/callback"
    r = vneid_flow.authorize(f"{link}&{param}={value}")
    assert _error(r) == (400, "invalid_request", clause)
    assert "redirect_to" not in r.json()


@pytest.mark.clause("A-2", "A-7")
@pytest.mark.parametrize(
    "param", ["state", "scope", "nonce", "code_challenge_method", "response_type", "acr_values"]
)
def test_any_other_repeated_parameter_goes_back_as_invalid_request(
    vneid_flow, vneid_provider, param
):
    """RFC 6749 §4.1.2.1: "includes a parameter more than once" is ``invalid_request``, sent
    back to the (identified, registered) redirect URI like any other request error (A-7)."""
    link = vneid_flow.request(acr_values="urn:vneid:loa:2").to_link()
    cb = _redirect(vneid_flow.authorize(f"{link}&{param}=again"))
    assert (cb.error, cb.code, cb.iss) == ("invalid_request", None, vneid_provider.issuer)
    assert cb.state == ("state-123")  # the first value, as sent
    assert cb.error_description.startswith("A-2")
    assert param in cb.error_description


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.test/authorize?client_id=vssid",
        "vneid://authorize?" + "a" * 9000,
        "vneid://authorize?state=a b",
    ],
)
def test_unusable_links_are_invalid_request_without_redirect(vneid_flow, link):
    r = vneid_flow.authorize(link)
    assert _error(r) == (400, "invalid_request", "A-5")


@pytest.mark.parametrize("decision", ["yes", "", None, 1, ["approve"]])
def test_decision_must_be_approve_or_deny(vneid_flow, decision):
    r = vneid_flow.authorize(vneid_flow.request().to_link(), decision)
    assert _error(r) == (400, "invalid_request", "A-5")


@pytest.mark.parametrize(
    ("authorization", "challenge"),
    [
        (None, "Bearer"),
        ("Basic dXNlcjpwdw==", "Bearer"),
        ("Bearer nope", 'Bearer error="invalid_token"'),
    ],
)
def test_a_live_session_is_required(vneid_flow, vneid_http, authorization, challenge):
    """RFC 6750 §3.1: no credentials, or another scheme, gets a challenge without an error
    code; an unknown token, invalid_token."""
    headers = dict(vneid_flow.headers)
    if authorization is not None:
        headers["Authorization"] = authorization
    r = vneid_http.post(
        "/api/app/v1/authorizations",
        headers=headers,
        json={"link": vneid_flow.request().to_link(), "decision": "approve"},
    )
    assert _error(r) == (401, "invalid_token", "A-5")
    assert r.headers["www-authenticate"] == challenge


@pytest.mark.parametrize("authorization", ["Bearer", "Bearer  ", "Bearer two tokens"])
def test_a_bearer_header_without_one_token_is_malformed(vneid_flow, vneid_http, authorization):
    """RFC 6750 §3.1: a malformed request is invalid_request, 400."""
    headers = {**vneid_flow.headers, "Authorization": authorization}
    r = vneid_http.post(
        "/api/app/v1/authorizations",
        headers=headers,
        json={"link": vneid_flow.request().to_link(), "decision": "approve"},
    )
    assert _error(r) == (400, "invalid_request", "A-5")


@pytest.mark.clause("V-5")
def test_authorizations_are_version_gated_too(vneid_flow):
    session = vneid_flow.session()
    vneid_flow.headers["X-VNeID-App-Version"] = "2.0.0"
    r = vneid_flow.authorize(vneid_flow.request().to_link(), session=session)
    assert _error(r) == (426, "app_update_required", "V-5")


def test_a_session_of_a_deleted_persona_is_invalid(vneid_flow, vneid_provider, vneid_persona):
    session = vneid_flow.session()
    vneid_provider.remove_persona(vneid_persona.personal_id)
    r = vneid_flow.authorize(vneid_flow.request().to_link(), session=session)
    assert _error(r) == (401, "invalid_token", "A-5")


def test_unencoded_redirect_uri_in_the_link_is_accepted(vneid_flow):
    """':' and '/' may stand unencoded in a query (RFC 3986 §3.4)."""
    query = urlencode(vneid_flow.request().params()).replace("vssid%3A%2F%2F", "vssid://")
    assert "redirect_uri=vssid://auth" in query
    assert _redirect(vneid_flow.authorize("vneid://authorize?" + query)).code


# -- prompt and max_age (OpenID Connect Core §3.1.2.1) ---------------------------------------
@pytest.mark.clause("A-4", "A-5")
@pytest.mark.parametrize(
    ("extra", "age", "refused"),
    [
        ((("max_age", "60"),), 61, True),
        ((("max_age", "60"),), 59, False),
        ((("max_age", "60"),), 60, False),  # "greater than this value": not at it
        ((("max_age", "0"),), FRESH_LOGIN_SECONDS + 1, True),  # "equivalent to prompt=login"
        ((("max_age", "0"),), 1, False),
        ((("prompt", "login"), ("max_age", "30")), 31, True),  # the stricter of the two
        ((("prompt", "login"),), FRESH_LOGIN_SECONDS + 1, True),
        ((("prompt", "login"),), FRESH_LOGIN_SECONDS - 1, False),
        ((("prompt", "consent"),), 600, False),
        ((), 600, False),  # (an app session lives 900 s)
    ],
    ids=[
        "max_age-passed",
        "max_age-not-yet",
        "max_age-at-it",
        "max_age-0-old",
        "max_age-0-fresh",
        "prompt-login-and-max_age",
        "prompt-login-old",
        "prompt-login-fresh",
        "prompt-consent",
        "neither",
    ],
)
def test_a_login_older_than_the_request_allows_is_login_required(
    vneid_flow, vneid_provider, extra, age, refused
):
    """max_age: "the OP MUST attempt to actively re-authenticate"; prompt=login: "SHOULD
    prompt the End-User for reauthentication". The app API answers 401 login_required so the
    app logs the citizen in again; a new session then gets its code."""
    session = vneid_flow.session()
    vneid_provider.clock.offset += age
    link = vneid_flow.request(extra=extra).to_link()
    r = vneid_flow.authorize(link, session=session)
    if not refused:
        assert _redirect(r).code
        return
    assert _error(r) == (401, "login_required", "A-4")
    assert "log the citizen in again" in r.json()["error_description"]
    assert (
        _redirect(vneid_flow.authorize(link, "deny", session=session)).error == "access_denied"
    )  # declining needs no newer login
    cb = _redirect(vneid_flow.authorize(link))  # a new session
    assert cb.code


@pytest.mark.clause("A-2", "A-7")
@pytest.mark.parametrize(
    "extra",
    [
        (("prompt", "none login"),),
        (("max_age", "-1"),),
        (("max_age", "soon"),),
        (("max_age", "1" * 11),),
        (("max_age", "²"),),
    ],
    ids=[
        "none-with-login",
        "max_age-negative",
        "max_age-text",
        "max_age-too-long",
        "max_age-superscript",
    ],
)
def test_malformed_prompt_or_max_age_goes_back_as_invalid_request(vneid_flow, extra):
    cb = _redirect(vneid_flow.authorize(vneid_flow.request(extra=extra).to_link()))
    assert (cb.error, cb.code) == ("invalid_request", None)
    assert cb.error_description.startswith("A-2")


@pytest.mark.clause("A-4", "A-5")
def test_a_session_of_a_citizen_locked_since_ends(vneid_flow, vneid_provider):
    """Locked after logging in: the session ends (401 invalid_token, so the app asks for the
    login again, where account_locked is the answer, §8); it answered 423 and kept the
    session, so the app retried the same dead session for ever."""
    from dataclasses import replace

    session = vneid_flow.session()
    vneid_provider.add_persona(replace(vneid_flow.persona, status="locked"))
    for decision in ("approve", "deny"):
        r = vneid_flow.authorize(vneid_flow.request().to_link(), decision, session=session)
        assert _error(r) == (401, "invalid_token", "A-5")
    assert (
        "locked" not in vneid_flow.authorize(vneid_flow.request().to_link(), session=session).text
    )  # gone: unknown now
    again = vneid_flow.http.post(
        "/api/app/v1/sessions",
        headers=vneid_flow.headers,
        json={
            "personal_id": vneid_flow.persona.personal_id,
            "passcode": vneid_flow.persona.passcode,
        },
    )
    assert _error(again) == (423, "account_locked", "A-4")


def _changing_while_the_body_is_read(provider, change):
    """The provider's app, with ``change()`` made when an authorization's body is first
    read: what a control-API call does on a served provider while the app's body is on its
    way (the handler awaits the body)."""

    async def app(scope, receive, send):
        if scope["type"] != "http" or scope["path"] != "/api/app/v1/authorizations":
            await provider.app(scope, receive, send)
            return
        changed = False

        async def receive_after_the_change():
            nonlocal changed
            if not changed:
                changed = True
                change()
            return await receive()

        await provider.app(scope, receive_after_the_change, send)

    return app


@pytest.mark.clause("A-5", "P-2")
@pytest.mark.parametrize("what", ["level1", "locked", "removed"])
def test_a_citizen_changed_while_the_body_arrives_gets_no_code(vneid_flow, vneid_provider, what):
    """The session and its citizen were looked up before the body was awaited: a citizen
    lowered to level 1, locked or removed meanwhile (the change acknowledged first) still
    got a code (for a level-1 one, acr loa:2), and VssID logged them in."""
    from dataclasses import replace

    from harness.embedded import SyncASGITransport

    session = vneid_flow.session()
    persona = vneid_flow.persona
    change = {
        "level1": lambda: vneid_provider.add_persona(replace(persona, level=1)),
        "locked": lambda: vneid_provider.add_persona(replace(persona, status="locked")),
        "removed": lambda: vneid_provider.remove_persona(persona.personal_id),
    }[what]
    with httpx.Client(
        transport=SyncASGITransport(_changing_while_the_body_is_read(vneid_provider, change)),
        base_url=vneid_provider.issuer,
    ) as http:
        r = http.post(
            "/api/app/v1/authorizations",
            headers={**vneid_flow.headers, "Authorization": f"Bearer {session}"},
            json={"link": vneid_flow.request().to_link(), "decision": "approve"},
        )
    if what == "level1":  # as for a citizen at level 1 before the request
        cb = _redirect(r)
        assert (cb.error, cb.code) == ("unmet_authentication_requirements", None)
    else:  # as for a session whose citizen is locked or gone
        assert _error(r) == (401, "invalid_token", "A-5")
    assert len(vneid_provider.grants.codes) == 0


def test_head_on_the_web_authorize_endpoint_keeps_nothing(vneid_flow, vneid_http):
    """RFC 9110 §9.3.2: HEAD is safe. It stored a pending web login (and drew from the
    seeded entropy, so a GET after it had another id than in a run without it); it answers
    with GET's head now, and keeps and draws nothing."""
    from harness.embedded import SyncASGITransport
    from harness.protocol import ManualClock, SeededEntropy
    from mock_providers.vneid import VNeIDProvider, VNeIDSettings

    query = vneid_flow.request().to_link().split("?", 1)[1]

    def login_page(head_first: bool) -> tuple[httpx.Response, httpx.Response | None]:
        provider = VNeIDProvider(
            VNeIDSettings(), clock=ManualClock(1_700_000_000), entropy=SeededEntropy("head")
        )
        with httpx.Client(
            transport=SyncASGITransport(provider.app), base_url=provider.issuer
        ) as http:
            head = http.head(f"/authorize?{query}") if head_first else None
            return http.get(f"/authorize?{query}"), head

    alone, _ = login_page(head_first=False)
    after, head = login_page(head_first=True)
    assert head is not None
    assert head.status_code == alone.status_code == 200
    assert head.content == b""
    assert (head.headers["content-type"], head.headers["content-length"]) == (
        alone.headers["content-type"],
        alone.headers["content-length"],
    )
    assert after.text == alone.text  # the same request id: nothing drawn, nothing kept
    said = vneid_http.post(
        "/authorize/login",
        data={"request_id": "0" * 22, "personal_id": "001099012345", "passcode": "123456"},
    )
    assert said.status_code == 400, said.text


@pytest.mark.clause("S-3")
def test_an_unknown_client_is_told_to_the_harness_at_either_endpoint(vneid_flow, vneid_provider):
    """A relying party under test configured with another client id fails at the
    authorization request, before any token request: the provider tells whoever serves it
    (``on_unknown_client``) which client_id it was, from the app API and the web flow alike,
    and of no other refusal."""
    told: list[str | None] = []
    vneid_provider.on_unknown_client = told.append
    session = vneid_flow.session()
    for client_id in ("vssid-staging", ""):
        r = vneid_flow.authorize(vneid_flow.request(client_id=client_id).to_link(), session=session)
        assert _error(r) == (400, "invalid_client", "S-3")
    web = vneid_flow.http.get(
        vneid_flow.request(client_id="rp-web").to_url(vneid_provider.url("/authorize"))
    )
    assert web.status_code == 400
    assert told == ["vssid-staging", None, "rp-web"]
    # a registered client's other refusals, and its good requests, are not this
    bad_uri = vneid_flow.authorize(
        vneid_flow.request(redirect_uri="vssid://evil/cb").to_link(), session=session
    )
    assert _error(bad_uri) == (400, "invalid_redirect_uri", "S-2")
    assert vneid_flow.callback(session=session).code
    assert (
        vneid_flow.http.get(  # client_id twice: invalid_request, whoever it names
            "/authorize?client_id=a&client_id=b"
        ).status_code
        == 400
    )
    assert told == ["vssid-staging", None, "rp-web"]
