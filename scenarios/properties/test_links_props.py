"""Authorization requests and callbacks as properties: they round-trip through both link forms
(custom scheme, claimed https) with arbitrary Unicode ``state`` and unknown extra parameters,
through the pure decoders and through the VNeID provider (A-2, A-5, A-6, R-4).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.protocol import (
    DEFAULT_PROFILE,
    AuthorizationRequest,
    LinkError,
    LinkForm,
    ManualClock,
    add_query,
    parse_authorize_link,
    parse_callback,
    s256_challenge,
)
from harness.protocol.links import AUTHORIZATION_PARAMS, MAX_LINK_LENGTH
from harness.targets import Target, embedded_target
from mock_providers.defaults import EMBEDDED_VNEID_ISSUER
from mock_providers.vssid.callback import check_callback
from scenarios.properties.profiles import active_settings

SETTINGS = active_settings()
RESPONSE_PARAMS = ("code", "state", "iss", "error", "error_description", "error_uri")
READ_BY_VNEID = (
    *AUTHORIZATION_PARAMS,
    "response_mode",
    "request",
    "request_uri",
    "prompt",
    "max_age",
)
"""Every authorization parameter VNeID reads (``mock_providers/vneid/authorize.py``): the
"unknown" extras of a request leave them out (``response_mode=0`` is refused, A-2)."""
FORMS = st.sampled_from(list(LinkForm))
REDIRECT_URIS = st.sampled_from(list(DEFAULT_PROFILE.vssid_redirect_uris))
VERIFIER = "v" * 43

unicode_text = st.text(min_size=1, max_size=40)
"""Any Unicode but lone surrogates (which no URL can carry: links are UTF-8)."""
optional_text = st.none() | st.text(max_size=40)


def _extras(reserved: tuple[str, ...]) -> st.SearchStrategy[dict[str, str]]:
    keys = st.text(min_size=1, max_size=16).filter(lambda k: k not in reserved)
    return st.dictionaries(keys, st.text(max_size=30), max_size=4)


@st.composite
def requests(draw: st.DrawFn) -> AuthorizationRequest:
    """An authorization request (A-2) with arbitrary Unicode state, nonce, hint, locales and
    unknown extra parameters."""
    return AuthorizationRequest(
        client_id=draw(st.sampled_from(["vssid", "harness-rp"]) | unicode_text),
        redirect_uri=draw(REDIRECT_URIS),
        state=draw(unicode_text),
        nonce=draw(optional_text),
        code_challenge=s256_challenge(
            draw(st.from_regex(r"[A-Za-z0-9._~-]{43,64}", fullmatch=True))
        ),
        login_hint=draw(optional_text),
        ui_locales=draw(optional_text),
        extra=tuple(draw(_extras(READ_BY_VNEID)).items()),
    )


# -- authorization requests (A-2, A-5) ------------------------------------------------------
@pytest.mark.clause("A-2", "A-5")
@SETTINGS
@given(requests(), FORMS)
def test_authorization_requests_round_trip_through_both_link_forms(
    request: AuthorizationRequest, form: LinkForm
) -> None:
    link = request.to_link(form)
    if len(link) > MAX_LINK_LENGTH:
        with pytest.raises(LinkError):
            parse_authorize_link(link)
        return
    got_form, parsed = parse_authorize_link(link)
    assert got_form is form
    assert AuthorizationRequest.from_params(parsed.params) == request


@pytest.mark.clause("A-5")
@SETTINGS
@given(requests(), FORMS, st.data())
def test_a_parameter_given_twice_is_refused(
    request: AuthorizationRequest, form: LinkForm, data: st.DataObject
) -> None:
    """RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once"."""
    link = request.to_link(form)
    name, value = data.draw(st.sampled_from(request.params()))
    doubled = add_query(link, [(name, data.draw(st.just(value) | st.text(max_size=10)))])
    with pytest.raises(LinkError):
        parse_authorize_link(doubled)


# -- callbacks (A-5, A-6) ---------------------------------------------------------------------
@dataclass(frozen=True)
class Response:
    """The authorization response parameters of a callback, success or error."""

    params: tuple[tuple[str, str], ...]


responses = st.one_of(
    st.builds(
        lambda code, state, iss: Response((("code", code), ("state", state), ("iss", iss))),
        unicode_text,
        unicode_text,
        st.just(EMBEDDED_VNEID_ISSUER) | unicode_text,
    ),
    st.builds(
        lambda err, desc, state: Response(
            (
                ("error", err),
                ("error_description", desc),
                ("state", state),
                ("iss", EMBEDDED_VNEID_ISSUER),
            )
        ),
        st.sampled_from(["access_denied", "unmet_authentication_requirements"]) | unicode_text,
        st.text(max_size=60),
        unicode_text,
    ),
)


@pytest.mark.clause("A-5", "A-6")
@SETTINGS
@given(REDIRECT_URIS, responses, _extras(RESPONSE_PARAMS))
def test_callbacks_round_trip_through_both_link_forms(
    redirect_uri: str, response: Response, extras: dict[str, str]
) -> None:
    """The response parameters come back as sent, the form is recognised; unknown parameters
    are kept apart from them (in ``redirect_uri``, the harness's documented choice)."""
    url = add_query(redirect_uri, [*response.params, *extras.items()])
    callback = parse_callback(url)
    assert dict(callback.params) == dict(response.params)
    assert callback.form is (
        LinkForm.CUSTOM_SCHEME if redirect_uri.startswith("vssid:") else LinkForm.CLAIMED_HTTPS
    )
    assert callback.redirect_uri == add_query(redirect_uri, list(extras.items()))


@pytest.mark.usefixtures("embedded_only")
@pytest.mark.clause("R-4", "A-6")
@SETTINGS
@given(REDIRECT_URIS, unicode_text, unicode_text, _extras(RESPONSE_PARAMS).filter(bool))
def test_vssid_ignores_unknown_response_parameters(
    redirect_uri: str, code: str, state: str, extras: dict[str, str]
) -> None:
    url = add_query(
        redirect_uri,
        [("code", code), ("state", state), ("iss", EMBEDDED_VNEID_ISSUER), *extras.items()],
    )
    assert (
        check_callback(
            url,
            redirect_uri=redirect_uri,
            state=state,
            issuer=EMBEDDED_VNEID_ISSUER,
            profile=DEFAULT_PROFILE,
        )
        == code
    )


# -- through the VNeID provider ----------------------------------------------------------------
@functools.cache
def _provider() -> tuple[Target, str]:
    """An embedded VNeID with one level-2 citizen logged in through the app API (A-4).

    Cached for the process, so its clock is a :class:`ManualClock`: on the wall clock the
    session would die ``vneid_session_ttl`` (900 s) after the first example, and a slow or
    long run (the full suite at low priority) then failed every example with 401
    ``invalid_token``; nor may a ``max_age`` or ``prompt=login`` extra find the login old."""
    target = embedded_target(seed="properties/links", clock=ManualClock())
    target.vneid.add_persona(
        {
            "personal_id": "001090123456",
            "passcode": "111111",
            "level": 2,
            "full_name": "Nguyễn Văn An",
            "birthdate": "1990-05-01",
            "gender": "male",
        }
    )
    with target.vneid.client(headers=_app_headers()) as http:
        reply = http.post(
            "/api/app/v1/sessions", json={"personal_id": "001090123456", "passcode": "111111"}
        )
    return target, str(reply.json()["session_token"])


def _app_headers() -> dict[str, str]:
    return {"X-VNeID-App-Version": "2.1.0", "X-Device-Platform": "ios"}


def _authorize(link: str, decision: str) -> dict[str, Any]:
    target, session = _provider()
    with target.vneid.client(headers=_app_headers()) as http:
        reply = http.post(
            "/api/app/v1/authorizations",
            json={"link": link, "decision": decision},
            headers={"Authorization": f"Bearer {session}"},
        )
    body: dict[str, Any] = reply.json()
    assert reply.status_code == 200, body
    return body


@pytest.mark.usefixtures("embedded_only")
@pytest.mark.clause("A-2", "A-5", "A-6", "A-7")
@SETTINGS
@given(
    unicode_text,
    optional_text,
    FORMS,
    REDIRECT_URIS,
    _extras(READ_BY_VNEID),
    st.sampled_from(["approve", "deny"]),
)
def test_vneid_answers_with_the_state_it_was_sent_whatever_it_is(
    state: str,
    nonce: str | None,
    form: LinkForm,
    redirect_uri: str,
    extras: dict[str, str],
    decision: str,
) -> None:
    """VNeID reads the link in either form, ignores unknown parameters (RFC 6749 §3.1) and
    sends ``state`` back unchanged (RFC 6749 §4.1.2) with ``iss`` (RFC 9207), to the
    registered ``redirect_uri`` it was given."""
    request = AuthorizationRequest(
        client_id="vssid",
        redirect_uri=redirect_uri,
        state=state,
        nonce=nonce,
        code_challenge=s256_challenge(VERIFIER),
        extra=tuple(extras.items()),
    )
    link = request.to_link(form)
    if len(link) > MAX_LINK_LENGTH:
        return
    callback = parse_callback(_authorize(link, decision)["redirect_to"])
    assert callback.redirect_uri == redirect_uri
    assert callback.state == state
    assert callback.iss == EMBEDDED_VNEID_ISSUER
    if decision == "approve":
        assert callback.code
        assert callback.error is None
    else:
        assert (callback.code, callback.error) == (None, "access_denied")
