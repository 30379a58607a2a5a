"""The web authorization flow (§9 screens) driven through its forms, as a form scraper would."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest

from harness.protocol import parse_callback

pytestmark = pytest.mark.clause("A-5")


def _form(page: str) -> tuple[str, dict[str, str]]:
    """The first form's action and hidden fields."""
    action = html.unescape(re.search(r'<form method="post" action="([^"]*)"', page)[1])
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    return action, {k: html.unescape(v) for k, v in hidden.items()}


def _start(flow, **changes):
    return flow.http.get(flow.request(**changes).to_url(flow.provider.url("/authorize")))


def _login(flow, page, personal_id=None, passcode=None):
    action, fields = _form(page.text)
    return flow.http.post(
        action,
        data={
            **fields,
            "personal_id": personal_id or flow.persona.personal_id,
            "passcode": passcode or flow.persona.passcode,
        },
    )


def _decide(flow, page, decision):
    action, fields = _form(page.text)
    return flow.http.post(action, data={**fields, "decision": decision})


def test_happy_path_through_the_forms(vneid_flow, vneid_provider):
    page = _start(vneid_flow)
    assert page.status_code == 200
    assert 'data-testid="vneid-login"' in page.text
    assert "<title>Đăng nhập tài khoản định danh điện tử mức 2</title>" in page.text
    assert 'name="viewport"' in page.text
    for testid in ("vneid-personal-id", "vneid-passcode", "vneid-login-submit"):
        assert f'data-testid="{testid}"' in page.text
    consent = _login(vneid_flow, page)
    assert consent.status_code == 200
    assert 'data-testid="vneid-consent"' in consent.text
    assert ">VssID<" in consent.text
    assert vneid_flow.persona.full_name in consent.text
    assert 'data-testid="vneid-approve"' in consent.text
    assert 'data-testid="vneid-deny"' in consent.text
    done = _decide(vneid_flow, consent, "approve")
    assert done.status_code == 303
    cb = parse_callback(done.headers["location"])
    assert (cb.state, cb.iss) == ("state-123", vneid_provider.issuer)
    assert vneid_flow.redeem(cb.code).status_code == 200


@pytest.mark.clause("A-7")
def test_deny_redirects_with_access_denied(vneid_flow):
    done = _decide(vneid_flow, _login(vneid_flow, _start(vneid_flow)), "deny")
    assert done.status_code == 303
    assert parse_callback(done.headers["location"]).error == "access_denied"


@pytest.mark.clause("A-4")
def test_wrong_passcode_rerenders_the_login_with_the_error(vneid_flow):
    page = _start(vneid_flow)
    again = _login(vneid_flow, page, passcode="999999")
    assert again.status_code == 401
    assert again.headers["WWW-Authenticate"] == 'Form realm="VNeID"', "RFC 9110 §15.5.2"
    assert 'data-testid="vneid-login"' in again.text
    assert 'data-error="invalid_credentials"' in again.text
    assert "Sai thông tin đăng nhập" in again.text
    assert 'data-testid="vneid-consent"' in _login(vneid_flow, again).text
    assert "vneid-login-error-detail" not in again.text  # who exists is not told apart


def test_a_malformed_personal_id_is_named_on_the_login_page(vneid_flow):
    again = _login(vneid_flow, _start(vneid_flow), personal_id="00109901234")
    assert 'data-error="invalid_request"' in again.text
    detail = re.search(r'data-testid="vneid-login-error-detail">([^<]*)<', again.text)
    assert detail is not None
    assert "12" in html.unescape(detail[1])


@pytest.mark.clause("P-2")
def test_level1_citizen_is_sent_back_with_unmet_requirements(vneid_flow, vneid_level1_persona):
    done = _login(
        vneid_flow,
        _start(vneid_flow),
        vneid_level1_persona.personal_id,
        vneid_level1_persona.passcode,
    )
    assert done.status_code == 303
    cb = parse_callback(done.headers["location"])
    assert (cb.error, cb.state) == ("unmet_authentication_requirements", "state-123")


@pytest.mark.clause("S-3")
@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"client_id": "unknown"}, "invalid_client"),
        ({"redirect_uri": "https://evil.test/cb"}, "invalid_redirect_uri"),
    ],
)
def test_client_errors_render_the_error_page(vneid_flow, changes, error):
    page = _start(vneid_flow, **changes)
    assert page.status_code == 400
    assert page.headers["content-type"].startswith("text/html")
    assert 'data-testid="app-error"' in page.text
    assert f">{error}<" in page.text
    assert "Yêu cầu đăng nhập không hợp lệ" in page.text
    assert "location" not in page.headers


def test_bare_and_duplicated_requests_render_the_error_page(vneid_http):
    assert _error_page(vneid_http.get("/authorize")) == "invalid_client"
    assert _error_page(vneid_http.get("/authorize?client_id=a&client_id=b")) == "invalid_request"
    assert (
        _error_page(
            vneid_http.get(  # registered client, its redirect URI twice
                "/authorize?client_id=vssid&redirect_uri=x&redirect_uri=y"
            )
        )
        == "invalid_request"
    )


def _error_page(r):
    assert r.status_code == 400
    assert 'data-testid="app-error"' in r.text
    return re.search(r'data-testid="app-error-code">([^<]+)<', r.text)[1]


@pytest.mark.clause("S-1")
def test_request_errors_redirect(vneid_flow):
    r = _start(vneid_flow, code_challenge_method="plain")
    assert r.status_code == 302
    assert parse_callback(r.headers["location"]).error == "invalid_request"


@pytest.mark.clause("A-2", "A-7")
def test_a_repeated_parameter_redirects_as_invalid_request(vneid_flow):
    """RFC 6749 §4.1.2.1, over the web endpoint as over the app API."""
    url = vneid_flow.request().to_url(vneid_flow.provider.url("/authorize"))
    r = vneid_flow.http.get(f"{url}&scope=openid")
    assert r.status_code == 302
    cb = parse_callback(r.headers["location"])
    assert (cb.error, cb.state) == ("invalid_request", "state-123")


@pytest.mark.clause("A-2")
def test_the_authorization_request_may_come_as_a_post(vneid_flow):
    """OpenID Connect Core §3.1.2.1: GET and POST, the POST's parameters form-encoded."""
    query = urlsplit(vneid_flow.request().to_url(vneid_flow.provider.url("/authorize"))).query
    page = vneid_flow.http.post(
        "/authorize",
        content=query.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert page.status_code == 200
    assert 'data-testid="vneid-login"' in page.text
    consent = _login(vneid_flow, page)
    action, fields = _form(consent.text)
    done = vneid_flow.http.post(action, data={**fields, "decision": "approve"})
    assert done.status_code == 303
    cb = parse_callback(done.headers["location"])
    assert (cb.state, cb.error) == ("state-123", None)
    assert cb.code


@pytest.mark.clause("A-2")
def test_a_post_body_is_read_as_a_form_not_as_a_url(vneid_flow):
    """A raw '#' in a form value is part of the value (a URL would end its query there)."""
    query = urlsplit(
        vneid_flow.request(state="s#1").to_url(vneid_flow.provider.url("/authorize"))
    ).query.replace("s%231", "s#1")
    page = vneid_flow.http.post(
        "/authorize",
        content=query.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert page.status_code == 200, page.text
    consent = _login(vneid_flow, page)
    action, fields = _form(consent.text)
    done = vneid_flow.http.post(action, data={**fields, "decision": "approve"})
    assert parse_callback(done.headers["location"]).state == "s#1"


@pytest.mark.clause("A-2", "A-7")
def test_a_post_with_a_bad_request_redirects_or_shows_as_a_get_does(vneid_flow):
    base = urlsplit(vneid_flow.request().to_url(vneid_flow.provider.url("/authorize"))).query
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    r = vneid_flow.http.post("/authorize", content=f"{base}&scope=openid".encode(), headers=form)
    assert r.status_code == 303
    assert parse_callback(r.headers["location"]).error == "invalid_request"
    assert (
        _error_page(vneid_flow.http.post("/authorize", content=b"client_id=nobody", headers=form))
        == "invalid_client"
    )
    assert (
        _error_page(vneid_flow.http.post("/authorize", json={"client_id": "vssid"}))
        == "invalid_request"
    )  # not form-encoded


@pytest.mark.clause("A-2", "A-7")
def test_prompt_none_is_login_required_the_web_keeps_no_session(vneid_flow):
    """OpenID Connect Core §3.1.2.1: prompt=none "MUST NOT display any authentication ...
    user interface pages. An error is returned if an End-User is not already authenticated"."""
    r = _start(vneid_flow, extra=(("prompt", "none"),))
    assert r.status_code == 302
    cb = parse_callback(r.headers["location"])
    assert (cb.error, cb.state, cb.code) == ("login_required", "state-123", None)


def test_user_input_is_escaped(vneid_flow):
    page = _start(vneid_flow, client_id="<script>x</script>")
    assert "<script>x" not in page.text
    assert "&lt;script&gt;" in page.text
    again = _login(vneid_flow, _start(vneid_flow), personal_id='"><b>x</b>')
    assert again.status_code == 400
    assert '"><b>' not in again.text


@pytest.mark.clause("A-2")
@pytest.mark.parametrize(
    "hint",
    ["٠٠١٠٩٠١٢٣٤٥٦", "００１０９０１２３４５６", "¹²³"],
    ids=["arabic-indic", "full-width", "superscript"],
)
def test_a_login_hint_of_other_digits_fills_nothing(vneid_flow, hint):
    """A-2's ``login_hint`` is a personal_id, 12 ASCII digits (§1): Arabic-Indic, full-width
    or superscript digits pass ``str.isdigit`` and filled a field the login then refuses."""
    page = _start(vneid_flow, login_hint=hint)
    assert re.search(r'id="personal_id"[^>]*value=""', page.text), page.text
    hinted = _start(vneid_flow, login_hint=vneid_flow.persona.personal_id)
    assert f'value="{vneid_flow.persona.personal_id}"' in hinted.text


def test_a_login_page_is_single_use_and_expires(vneid_flow, vneid_provider):
    consent = _login(vneid_flow, _start(vneid_flow))
    assert _decide(vneid_flow, consent, "approve").status_code == 303
    assert _error_page(_decide(vneid_flow, consent, "approve")) == "invalid_request"
    page = _start(vneid_flow)
    vneid_provider.clock.offset = vneid_provider.profile.transaction_ttl + 1
    assert _error_page(_login(vneid_flow, page)) == "invalid_request"


def test_deciding_without_logging_in_is_refused(vneid_flow, vneid_provider):
    _, fields = _form(_start(vneid_flow).text)
    r = vneid_flow.http.post(
        vneid_provider.url("/authorize/decision"), data={**fields, "decision": "approve"}
    )
    assert _error_page(r) == "invalid_request"
    assert "A-4" in r.text


def test_decision_must_be_approve_or_deny(vneid_flow):
    consent = _login(vneid_flow, _start(vneid_flow))
    assert _error_page(_decide(vneid_flow, consent, "maybe")) == "invalid_request"
    assert _decide(vneid_flow, consent, "approve").status_code == 303


@pytest.mark.clause("A-4")
def test_a_citizen_locked_after_the_login_cannot_decide(vneid_flow, vneid_provider):
    from dataclasses import replace

    consent = _login(vneid_flow, _start(vneid_flow))
    vneid_provider.add_persona(replace(vneid_flow.persona, status="locked"))
    done = _decide(vneid_flow, consent, "approve")
    assert done.status_code == 400
    assert "location" not in done.headers
    assert "log in before deciding" in done.text
