"""A-4 app login and its version gate (V-3, V-5)."""

from __future__ import annotations

import dataclasses

import pytest

from harness.protocol import DEFAULT_PROFILE

pytestmark = pytest.mark.clause("A-4")
PATH = "/api/app/v1/sessions"


def _error(r):
    body = r.json()
    return r.status_code, body["error"], body["clause"]


def _login(http, personal_id, passcode, headers=None):
    headers = (
        headers
        if headers is not None
        else {"X-VNeID-App-Version": "2.1.0", "X-Device-Platform": "android"}
    )
    return http.post(PATH, headers=headers, json={"personal_id": personal_id, "passcode": passcode})


def test_login_returns_session_level_and_ttl(vneid_http, vneid_persona, vneid_provider):
    r = _login(vneid_http, vneid_persona.personal_id, vneid_persona.passcode)
    assert r.status_code == 200
    body = r.json()
    assert body["level"] == 2
    assert body["expires_in"] == vneid_provider.profile.vneid_session_ttl
    assert len(body["session_token"]) >= 43
    assert r.headers["cache-control"] == "no-store"


def test_wrong_passcode_and_unknown_id_get_the_same_answer(vneid_http, vneid_persona):
    wrong = _login(vneid_http, vneid_persona.personal_id, "000000")
    unknown = _login(vneid_http, "001099999999", vneid_persona.passcode)
    assert _error(wrong) == _error(unknown) == (401, "invalid_credentials", "A-4")
    assert wrong.json()["error_description"] == unknown.json()["error_description"]
    assert wrong.json()["message"] == "Sai thông tin đăng nhập"
    # RFC 9110 §15.5.2: a 401 has a challenge; a passcode in the body is no Bearer token
    assert (
        wrong.headers["www-authenticate"]
        == unknown.headers["www-authenticate"]
        == 'Form realm="VNeID"'
    )


def test_locked_account_is_refused_only_after_a_correct_passcode(
    vneid_http, vneid_provider, vneid_persona
):
    vneid_provider.add_persona(dataclasses.replace(vneid_persona, status="locked"))
    r = _login(vneid_http, vneid_persona.personal_id, vneid_persona.passcode)
    assert _error(r) == (423, "account_locked", "A-4")
    assert r.json()["message"] == "Tài khoản đã bị khoá"
    r = _login(vneid_http, vneid_persona.personal_id, "000000")
    assert _error(r) == (401, "invalid_credentials", "A-4")


@pytest.mark.parametrize(
    "personal_id", ["12345", "00109901234X", "000099012345", "", "０01099012345"]
)
def test_malformed_personal_id_is_invalid_request(vneid_http, personal_id):
    r = _login(vneid_http, personal_id, "123456")
    assert _error(r) == (400, "invalid_request", "A-4")


@pytest.mark.parametrize(
    "body",
    [
        {"personal_id": 1099012345, "passcode": "1"},
        {"personal_id": "001099012345"},
        {"personal_id": "001099012345", "passcode": ["1"]},
    ],
)
def test_wrong_types_and_missing_fields_are_invalid_request(vneid_http, body):
    r = vneid_http.post(PATH, headers={"X-VNeID-App-Version": "2.1.0"}, json=body)
    assert _error(r) == (400, "invalid_request", "A-4")


@pytest.mark.clause("V-3", "V-5")
@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (None, (400, "app_version_invalid", "V-3")),
        ("", (400, "app_version_invalid", "V-3")),
        ("v2.1.0", (400, "app_version_invalid", "V-3")),
        ("2..1", (400, "app_version_invalid", "V-3")),
        ("02.1.0", (400, "app_version_invalid", "V-3")),
        ("2" * 65, (400, "app_version_invalid", "V-3")),
        ("2.0.9", (426, "app_update_required", "V-5")),
        ("2.1.0-rc.1", (426, "app_update_required", "V-5")),
        ("1.99.99.99", (426, "app_update_required", "V-5")),
    ],
)
def test_version_gate_refuses(vneid_http, vneid_persona, version, expected):
    headers = {"X-Device-Platform": "ios"}
    if version is not None:
        headers["X-VNeID-App-Version"] = version
    r = _login(vneid_http, vneid_persona.personal_id, vneid_persona.passcode, headers)
    assert _error(r) == expected


@pytest.mark.clause("V-5")
@pytest.mark.parametrize("platform", ["ios", "android"])
def test_old_app_gets_the_store_link_for_its_platform(vneid_http, vneid_persona, platform):
    r = _login(
        vneid_http,
        vneid_persona.personal_id,
        vneid_persona.passcode,
        {"X-VNeID-App-Version": "2.0.9", "X-Device-Platform": platform},
    )
    assert _error(r) == (426, "app_update_required", "V-5")
    assert r.json()["store_url"] == DEFAULT_PROFILE.store_link("vneid", platform)
    assert r.json()["minimum_version"] == "2.1.0"


@pytest.mark.clause("V-1", "V-2")
@pytest.mark.parametrize("version", ["2.1", "2.1.0", "2.1.0.0", "2.1.0+build.7", "2.10.0", "3"])
def test_versions_at_or_above_the_minimum_pass(vneid_http, vneid_persona, version):
    r = _login(
        vneid_http,
        vneid_persona.personal_id,
        vneid_persona.passcode,
        {"X-VNeID-App-Version": version},
    )
    assert r.status_code == 200, r.text


def test_sessions_expire_after_the_profile_ttl(vneid_flow, vneid_provider):
    token = vneid_flow.session()
    vneid_provider.clock.offset = vneid_provider.profile.vneid_session_ttl + 1
    r = vneid_flow.authorize(vneid_flow.request().to_link(), session=token)
    assert _error(r) == (401, "invalid_token", "A-5")
    assert r.headers["www-authenticate"].startswith("Bearer")


def test_login_reports_the_citizens_own_level(vneid_http, vneid_persona, vneid_provider):
    """A-4: ``{session_token, level, expires_in}``: the level is the citizen's (mức 1 here)."""
    vneid_provider.add_persona(dataclasses.replace(vneid_persona, level=1))
    r = _login(vneid_http, vneid_persona.personal_id, vneid_persona.passcode)
    assert r.status_code == 200
    assert r.json()["level"] == 1
