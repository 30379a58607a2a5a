"""The reference model on its own: a few journeys whose outcome PROTOCOL.md states outright, so
that a wrong model fails here, plainly, rather than as a puzzling state-machine failure."""

from __future__ import annotations

import pytest

from scenarios.properties.model import LoginModel
from scenarios.properties.model_vocabulary import (
    CODE_TTL,
    TRANSACTION_TTL,
    Citizen,
    Refusal,
    ScreenM,
)


def _model() -> LoginModel:
    return LoginModel(
        [Citizen("an", "001090123456", "0100000001"), Citizen("binh", "079301234567", "7900000002")]
    )


def _login(model: LoginModel, person: str = "an") -> ScreenM:
    """Tap, log in, approve: the screen VssID ends on."""
    model.tap_login_with_vneid()
    if model.vneid.screen == ScreenM("vneid", "vneid-login"):
        model.vneid_login(person, right_passcode=True)
    expect, _ = model.decide(approve=True)
    return expect.screen


def _refusals(screen: ScreenM) -> set[Refusal]:
    assert screen.id == "app-error", screen
    return set(screen.refusals)


@pytest.mark.clause("A-6", "P-1", "P-2", "P-3")
def test_the_happy_path_ends_on_the_home_of_who_logged_in() -> None:
    model = _model()
    assert _login(model, "binh") == ScreenM("vssid", "vssid-home", person="079301234567")


@pytest.mark.clause("R-1")
def test_a_callback_delivered_twice_completes_once() -> None:
    model = _model()
    model.tap_login_with_vneid()
    model.vneid_login("an", right_passcode=True)
    _, callback = model.decide(approve=True)
    assert callback is not None
    assert _refusals(model.deliver(callback).screen) == {("transaction_already_used", "R-1")}


@pytest.mark.clause("R-1", "T-2")
def test_lifetimes_are_exclusive_at_their_bounds() -> None:
    """At exactly 60 s a code is dead (T-2); at exactly 10 min a transaction is (R-1)."""
    model = _model()
    model.install_hijacker()  # the callback is caught, VssID waits
    model.tap_login_with_vneid()
    model.vneid_login("an", right_passcode=True)
    _, callback = model.decide(approve=True)
    assert callback is not None
    model.remove_hijacker()
    model.provider_clock_jumps("vneid", CODE_TTL)
    assert _refusals(model.deliver(callback).screen) == {("invalid_grant", "T-2")}
    model = _model()
    model.install_hijacker()
    model.tap_login_with_vneid()
    model.vneid_login("an", right_passcode=True)
    _, callback = model.decide(approve=True)
    assert callback is not None
    model.remove_hijacker()
    model.provider_clock_jumps("vssid", TRANSACTION_TTL)
    assert _refusals(model.deliver(callback).screen) == {("transaction_expired", "R-1")}


@pytest.mark.clause("P-2", "A-7", "R-3")
def test_a_level_1_citizen_is_sent_back_with_unmet_authentication_requirements() -> None:
    model = _model()
    model.set_level("an", 1)
    assert _refusals(_login(model)) == {("unmet_authentication_requirements", "R-3")}


@pytest.mark.clause("R-10")
def test_a_level_1_id_token_is_refused_even_when_vneid_issues_it() -> None:
    model = _model()
    model.arm_fault("id_token_acr_level1")
    assert _refusals(_login(model)) == {("identity_level_insufficient", "R-10")}
    assert model.armed is None


@pytest.mark.clause("R-8")
def test_clock_skew_beyond_60_s_refuses_the_id_token() -> None:
    model = _model()
    model.provider_clock_jumps("vneid", 61)  # iat 61 s in VssID's future
    assert _refusals(_login(model)) == {("id_token_invalid", "R-8")}
    model = _model()
    model.provider_clock_jumps("vneid", 60)  # within the skew
    assert _login(model).id == "vssid-home"


@pytest.mark.clause("T-2", "S-4")
def test_a_second_redemption_revokes_and_a_guessed_verifier_burns_nothing() -> None:
    model = _model()
    _, rp_login = model.rp_opens_login_link(custom=True)
    model.vneid_login("an", right_passcode=True)
    _, callback = model.decide(approve=True)
    assert callback is not None
    assert callback.rp_login == rp_login
    guessed = model.redeem(callback, client="harness-rp", verifier_ok=False)
    assert guessed.refusal == ("invalid_grant", "S-4")
    first = model.redeem(callback, client="harness-rp", verifier_ok=True)
    assert first.ok
    assert first.token is not None
    second = model.redeem(callback, client="harness-rp", verifier_ok=True)
    assert second.refusal == ("invalid_grant", "T-2")
    assert not model.token_live(first.token)


@pytest.mark.clause("S-4")
def test_a_hijacking_app_installed_after_vssid_receives_its_callback() -> None:
    model = _model()
    model.install_hijacker()
    assert _login(model) == ScreenM("hijacker", "hijacker")
    model.install_vssid("1.6.7")  # reinstalled VssID is the latest claimant again
    assert model.vssid_claims_callbacks


@pytest.mark.clause("V-4", "V-6")
def test_below_the_minimum_vssid_hides_the_entry_and_its_backend_refuses() -> None:
    model = _model()
    model.install_vssid("1.6.7-rc.1")
    assert not model.can_tap_vneid_login()
    assert model.vssid_screen_if_opened() == ScreenM("vssid", "vssid-login", button=False)
