"""What the user does: cancel, switch apps by hand, restart VssID between hand-off and return."""

from __future__ import annotations

import pytest

from harness.apps.screens import (
    APP_ERROR_CLOSE,
    VNEID_LOGIN,
    VNEID_LOGIN_SUBMIT,
    VNEID_PASSCODE,
    VNEID_PERSONAL_ID,
    VSSID_LOGIN,
)
from harness.flows import decide, enter_credentials, login_with_vneid, start_vneid_login
from harness.personas import Persona
from harness.targets import Target, VNeIDHandle, VssIDHandle
from harness.world import DeviceFactory, PersonaPool
from scenarios.support import (
    assert_consent,
    assert_error_screen,
    assert_home,
    assert_refused_at_complete,
    calls,
    endpoint_path,
    public,
)

pytestmark = pytest.mark.plan("vssid-relying-party")


@pytest.mark.clause("A-7", "R-3", "R-12")
@pytest.mark.parametrize("platform", ["ios", "android"])
@pytest.mark.plan("vneid-provider")
def test_user_cancels_in_vneid(
    device: DeviceFactory,
    persona: Persona,
    vneid: VNeIDHandle,
    vssid: VssIDHandle,
    target: Target,
    platform: str,
) -> None:
    phone = device(platform)
    screen = login_with_vneid(phone.driver, persona, decision="deny")
    assert_error_screen(screen, app="vssid", code="access_denied", clause="R-3")
    assert_refused_at_complete(vssid, "access_denied")
    message = "Bạn đã huỷ đăng nhập"
    assert message in screen.texts, (
        f"§8: expected the error screen to show {message!r}, observed {list(screen.texts)}"
    )
    assert calls(vneid, endpoint_path(vneid, "token_endpoint")) == [], (
        "R-3: a cancelled login makes no token request"
    )
    callback = phone.last_link_to(f"{target.profile.vssid_scheme}://")
    assert "error=access_denied" in callback, (
        f"A-7: expected the callback to carry error=access_denied, observed {public(callback)}"
    )


@pytest.mark.clause("A-7", "R-3")
def test_after_cancelling_the_user_closes_the_error_and_logs_in(
    device: DeviceFactory, persona: Persona
) -> None:
    """VssID's error screen is not a dead end: its close button leads back to the login
    screen, and the next attempt finishes."""
    phone = device("ios")
    error = login_with_vneid(phone.driver, persona, decision="deny")
    assert_error_screen(error, app="vssid", code="access_denied", clause="R-3")
    screen = phone.driver.tap(APP_ERROR_CLOSE)
    assert screen.id == VSSID_LOGIN, (
        f"expected closing VssID's error to lead to its login screen, observed {screen.describe()}"
    )
    assert_home(login_with_vneid(phone.driver, persona))


@pytest.mark.clause("A-3", "A-6")
def test_user_switches_back_by_hand_without_logging_in(
    device: DeviceFactory, persona: Persona, vssid: VssIDHandle
) -> None:
    phone = device("ios")
    start_vneid_login(phone.driver)
    screen = phone.driver.open_app("vssid")
    assert screen.id == VSSID_LOGIN, (
        f"expected VssID's login screen when the user switches back, observed {screen.describe()}"
    )
    completed = calls(vssid, "/api/v1/auth/vneid/complete")
    assert completed == [], (
        f"A-6: expected no complete without a callback, observed {len(completed)}"
    )
    # …and can start again and finish.
    assert_home(login_with_vneid(phone.driver, persona))


@pytest.mark.clause("A-4")
def test_what_the_user_typed_in_vneid_survives_a_look_at_vssid(
    device: DeviceFactory, persona: Persona
) -> None:
    """Half-way through VNeID's login the user looks at VssID and comes back: the fields
    still hold what was typed, and the login goes on from there (in every driver)."""
    phone = device("android")
    start_vneid_login(phone.driver)
    phone.driver.type(VNEID_PERSONAL_ID, persona.personal_id)
    phone.driver.type(VNEID_PASSCODE, persona.passcode)
    screen = phone.driver.open_app("vssid")
    assert screen.id == VSSID_LOGIN, f"expected VssID's login screen, observed {screen.describe()}"
    back = phone.driver.open_app("vneid")
    assert back.id == VNEID_LOGIN, (
        f"A-4: expected VNeID's login screen on coming back, observed {back.id}"
    )
    assert back.element(VNEID_PERSONAL_ID).value == persona.personal_id, (
        f"A-4: expected the typed personal id {persona.personal_id} kept, observed "
        f"{back.element(VNEID_PERSONAL_ID).value!r}"
    )
    screen = phone.driver.tap(VNEID_LOGIN_SUBMIT)
    assert_consent(screen)
    assert_home(decide(phone.driver))


@pytest.mark.clause("A-6", "R-1")
def test_vssid_restarted_between_hand_off_and_return(
    device: DeviceFactory, persona: Persona
) -> None:
    """The transaction lives on the backend; the app keeps only its id in storage."""
    phone = device("android")
    start_vneid_login(phone.driver)
    screen = enter_credentials(phone.driver, persona)
    assert_consent(screen)
    phone.phone.restart("vssid")
    assert_home(decide(phone.driver))


@pytest.mark.clause("A-6")
def test_same_citizen_logs_in_on_two_phones(device: DeviceFactory, persona: Persona) -> None:
    phone = device("ios")
    assert_home(login_with_vneid(phone.driver, persona))
    other = device("ios")
    assert_home(login_with_vneid(other.driver, persona))


@pytest.mark.clause("A-1", "A-6", "R-1")
def test_two_citizens_logging_in_at_the_same_time_both_finish(
    device: DeviceFactory, personas: PersonaPool
) -> None:
    """Each start opens a transaction of its own: two hand-offs in flight at once, on two
    phones, each come back to their own citizen's home screen."""
    logins = [(device("ios"), personas.new()), (device("android"), personas.new())]
    for phone, citizen in logins:
        start_vneid_login(phone.driver)
        screen = enter_credentials(phone.driver, citizen)
        assert_consent(screen)
    for phone, citizen in logins:
        screen = decide(phone.driver)
        assert_home(screen)
        assert screen.data["bhxh_code"] == citizen.bhxh_code, (
            f"A-6, R-1: expected each phone to land on its own citizen's home (bhxh_code "
            f"{citizen.bhxh_code}), observed {screen.data['bhxh_code']!r}"
        )


@pytest.mark.clause("R-1", "R-12")
def test_abandoned_login_expires_after_ten_minutes(
    device: DeviceFactory, persona: Persona, vssid: VssIDHandle, target: Target
) -> None:
    """R-1: the transaction lives the profile's ``transaction_ttl`` (ten minutes by
    default); a second past it, the return finds it expired."""
    phone = device("ios")
    start_vneid_login(phone.driver)
    enter_credentials(phone.driver, persona)
    vssid.set_clock(target.profile.transaction_ttl + 1)
    screen = decide(phone.driver)
    assert_error_screen(screen, app="vssid", code="transaction_expired", clause="R-1")
    assert_refused_at_complete(vssid, "transaction_expired")  # §8: 410
