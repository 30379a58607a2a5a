"""Preconditions P-1 and P-2: level 2 and a VssID account, or no session at all."""

from __future__ import annotations

import pytest

from harness.apps.screens import APP_ERROR_CLOSE, VNEID_CONSENT, VNEID_LOGIN, VSSID_HOME
from harness.flows import decide, enter_credentials, login_with_vneid, start_vneid_login
from harness.personas import Persona
from harness.protocol import ERRORS
from harness.targets import Target, VNeIDHandle, VssIDHandle
from harness.world import DeviceFactory, PersonaPool
from scenarios.support import (
    ACCOUNT_NOT_FOUND_CLAUSES,
    assert_error_screen,
    assert_refused_at_complete,
    calls,
    endpoint_path,
    public,
)


def assert_session_refused(vneid: VNeIDHandle, code: str) -> None:
    """A-4: the app's login was refused by ``sessions`` with §8's status for ``code``."""
    answered = [entry["status"] for entry in calls(vneid, "/api/app/v1/sessions")]
    status = ERRORS[code].status
    assert answered, "expected the app to call /api/app/v1/sessions, observed no such call"
    assert answered[-1] == status, (
        f"expected /api/app/v1/sessions to refuse with HTTP {status} {code} (§8), observed "
        f"HTTP {answered[-1]}"
    )


@pytest.mark.clause("P-2", "A-7", "R-3", "R-12")
@pytest.mark.parametrize("platform", ["ios", "android"])
@pytest.mark.plan("vssid-relying-party", "vneid-provider")
def test_level1_account_is_refused_before_any_token(
    device: DeviceFactory,
    personas: PersonaPool,
    vneid: VNeIDHandle,
    vssid: VssIDHandle,
    target: Target,
    platform: str,
) -> None:
    citizen = personas.new(level=1)
    phone = device(platform)
    screen = login_with_vneid(phone.driver, citizen)
    assert_error_screen(screen, app="vssid", code="unmet_authentication_requirements")
    assert_refused_at_complete(vssid, "unmet_authentication_requirements")
    message = "Tài khoản định danh điện tử chưa đạt mức 2"
    assert message in screen.texts, (
        f"§8: expected the error screen to show {message!r}, observed {list(screen.texts)}"
    )
    assert calls(vneid, endpoint_path(vneid, "token_endpoint")) == [], (
        "R-3: no token request after an error callback"
    )
    callback = phone.last_link_to(f"{target.profile.callback_custom}?")
    assert "error=unmet_authentication_requirements" in callback, (
        f"A-7, P-2: expected the callback to carry error=unmet_authentication_requirements, "
        f"observed {public(callback)}"
    )
    assert "code=" not in callback, (
        "P-2: expected no code for a level-1 account, observed one in the callback"
    )


@pytest.mark.clause("P-1", "R-11", "R-12")
@pytest.mark.plan("vssid-relying-party")
def test_citizen_without_vssid_account_is_told_to_register(
    device: DeviceFactory, personas: PersonaPool, vssid: VssIDHandle
) -> None:
    citizen = personas.new(vssid_account=False)
    phone = device("ios")
    screen = login_with_vneid(phone.driver, citizen)
    assert_error_screen(
        screen,
        app="vssid",
        code="vssid_account_not_found",
        clause="P-1" if vssid.is_embedded else ACCOUNT_NOT_FOUND_CLAUSES,
    )
    message = "Bạn chưa có tài khoản VssID, vui lòng đăng ký"
    assert message in screen.texts, (
        f"§8: expected the error screen to show {message!r}, observed {list(screen.texts)}"
    )
    assert_refused_at_complete(vssid, "vssid_account_not_found")


@pytest.mark.clause("P-1", "R-12")
@pytest.mark.plan("vssid-relying-party")
def test_locked_vssid_account_gets_no_session(
    device: DeviceFactory, personas: PersonaPool, vssid: VssIDHandle
) -> None:
    """§8 names ``account_locked`` for VNeID's sessions only: a relying party other than the
    embedded mock may refuse a locked VssID account with any §8 error, never a session."""
    citizen = personas.new(vssid_account="locked")
    phone = device("android")
    screen = login_with_vneid(phone.driver, citizen)
    if vssid.is_embedded:
        assert_error_screen(screen, app="vssid", code="account_locked", clause="P-1")
    else:
        assert_error_screen(screen, app="vssid", code=None)
    assert_refused_at_complete(vssid, "account_locked" if vssid.is_embedded else "")


@pytest.mark.clause("P-1", "R-11")
@pytest.mark.plan("vssid-relying-party")
def test_account_of_another_person_does_not_match(
    device: DeviceFactory, personas: PersonaPool, vssid: VssIDHandle
) -> None:
    """P-1: the VssID account must be linked to the same personal_id."""
    citizen = personas.new(vssid_account=False)
    other = personas.new()
    assert other.personal_id != citizen.personal_id
    screen = login_with_vneid(device("ios").driver, citizen)
    assert_error_screen(screen, app="vssid", code="vssid_account_not_found")
    assert_refused_at_complete(vssid, "vssid_account_not_found")


@pytest.mark.clause("A-4")
@pytest.mark.plan("vneid-provider")
def test_locked_vneid_account_cannot_log_in(
    device: DeviceFactory, personas: PersonaPool, vneid: VNeIDHandle
) -> None:
    citizen = personas.new(status="locked")
    phone = device("ios")
    screen = start_vneid_login(phone.driver)
    assert screen.id == VNEID_LOGIN, (
        f"A-3: expected VNeID's login screen, observed {screen.describe()}"
    )
    screen = enter_credentials(phone.driver, citizen)
    assert_error_screen(screen, app="vneid", code="account_locked")
    message = "Tài khoản đã bị khoá"
    assert message in screen.texts, (
        f"§8: expected the error screen to show {message!r}, observed {list(screen.texts)}"
    )
    assert_session_refused(vneid, "account_locked")
    authorized = calls(vneid, "/api/app/v1/authorizations")
    assert authorized == [], (
        f"A-4: expected no authorization for a locked account, observed {len(authorized)} "
        f"calls to /api/app/v1/authorizations"
    )


@pytest.mark.clause("A-4", "S-5")
@pytest.mark.parametrize("platform", ["ios", "android"])
@pytest.mark.plan("vneid-provider")
def test_wrong_passcode_is_refused_and_never_logged(
    device: DeviceFactory, persona: Persona, vneid: VNeIDHandle, platform: str
) -> None:
    phone = device(platform)
    start_vneid_login(phone.driver)
    wrong = "000000" if persona.passcode != "000000" else "111111"
    screen = enter_credentials(phone.driver, persona, passcode=wrong)
    assert_error_screen(screen, app="vneid", code="invalid_credentials")
    assert screen.id != VNEID_CONSENT, (
        "A-4: expected no consent screen after a wrong passcode, observed it"
    )
    assert_session_refused(vneid, "invalid_credentials")
    logged = repr(vneid.requests()) + repr(phone.trace.to_json())
    assert wrong not in logged, (
        "S-5: expected the wrong passcode redacted, observed it in VNeID's request log or the trace"
    )
    assert persona.passcode not in logged, (
        "S-5: expected the citizen's passcode redacted, observed it in VNeID's request log or "
        "the trace"
    )


@pytest.mark.clause("A-4")
@pytest.mark.plan("vneid-provider")
def test_a_wrong_passcode_can_be_corrected(device: DeviceFactory, persona: Persona) -> None:
    """After a wrong passcode, the error's "Đóng" brings the login screen back with the
    pending link kept (the simulated VNeID app's behaviour: PROTOCOL.md §9 does not say what
    closing an error does), and the right passcode then completes the login: the provider
    keeps the pending authorization through one refused login (A-4)."""
    phone = device("android")
    start_vneid_login(phone.driver)
    wrong = "000000" if persona.passcode != "000000" else "111111"
    assert_error_screen(
        enter_credentials(phone.driver, persona, passcode=wrong),
        app="vneid",
        code="invalid_credentials",
    )
    again = phone.driver.tap(APP_ERROR_CLOSE)
    assert (again.app, again.id) == ("vneid", VNEID_LOGIN), (
        "A-4: closing the wrong-passcode error should offer the login again"
    )
    screen = enter_credentials(phone.driver, persona)
    assert screen.id == VNEID_CONSENT, (
        f"A-4: expected the right passcode to reach VNeID's consent screen, observed "
        f"{screen.describe()}"
    )
    home = decide(phone.driver)
    assert (home.app, home.id) == ("vssid", VSSID_HOME), (
        f"A-6: expected VssID's home, observed {home.describe()}"
    )


@pytest.mark.clause("A-4")
@pytest.mark.plan("vneid-provider")
def test_unknown_citizen_gets_the_same_answer_as_a_wrong_passcode(
    device: DeviceFactory, personas: PersonaPool, vneid: VNeIDHandle
) -> None:
    stranger = personas.new(register=False)
    phone = device("ios")
    start_vneid_login(phone.driver)
    screen = enter_credentials(phone.driver, stranger)
    assert_error_screen(screen, app="vneid", code="invalid_credentials")
    assert_session_refused(vneid, "invalid_credentials")
