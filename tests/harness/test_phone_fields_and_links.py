"""The simulated phone as a user and the OS see it: what a field shows is what is submitted
(a login screen shown again starts empty), a huge ``max_age`` is no crash, and claimed https
links match their host in any case (with or without port 443) and their path exactly."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from harness.apps import VssIDApp
from harness.apps.hijacker import HijackerApp
from harness.apps.screens import VNEID_CONSENT, VNEID_LOGIN, VNEID_PERSONAL_ID
from harness.device import Phone
from harness.flows import login_with_vneid, start_vneid_login
from harness.protocol import DEFAULT_PROFILE
from harness.targets import Target, embedded_target
from harness.world import PersonaPool, make_device

World = tuple[Target, PersonaPool]


@pytest.fixture
def world() -> Iterator[World]:
    target = embedded_target(seed="phone-fields")
    yield target, PersonaPool(target, seed="phone-fields")
    target.close()


def test_a_login_screen_shown_again_submits_only_what_it_shows(world: World) -> None:
    target, pool = world
    citizen = pool.new()
    device = make_device(target, "android")
    assert start_vneid_login(device.driver).id == VNEID_LOGIN
    device.driver.type(VNEID_PERSONAL_ID, citizen.personal_id)
    device.phone.open_url(device.last_link_to("vneid://"), source="vssid")  # opened again
    shown = device.driver.screen()
    assert shown.id == VNEID_LOGIN
    assert not shown.element(VNEID_PERSONAL_ID).value
    device.driver.type("vneid-passcode", citizen.passcode)
    after = device.driver.tap("vneid-login-submit")
    assert after.id != VNEID_CONSENT, "logged in with an id the screen no longer showed"
    device.close()


def test_a_max_age_of_thousands_of_digits_is_no_crash(world: World) -> None:
    target, pool = world
    citizen = pool.new()
    device = make_device(target, "android")
    assert login_with_vneid(device.driver, citizen).id == "vssid-home"
    link = device.last_link_to("vneid://")
    device.phone.open_url(link + "&max_age=" + "9" * 4301, source="vssid")
    assert device.driver.screen().id  # a screen, not a ValueError
    device.close()


@pytest.mark.clause("A-6")
def test_claimed_links_match_the_host_in_any_case_and_the_path_exactly() -> None:
    profile = DEFAULT_PROFILE.evolve(callback_path="/Auth/VNeID/Callback")
    phone = Phone("ios", profile=profile)
    app = phone.install(VssIDApp("1.6.7", httpx.Client(base_url="http://x"), profile=profile))
    for url in (
        profile.callback_https,
        "https://VSSID.test/Auth/VNeID/Callback",
        "https://vssid.test:443/Auth/VNeID/Callback",
    ):
        assert phone.open_url(url + "?code=x&state=y", source="vneid").target == app.app_id, url
    for url in (
        "https://vssid.test/auth/vneid/callback",
        "https://vssid.test:8443/Auth/VNeID/Callback",
        "https://vssid.test.evil/Auth/VNeID/Callback",
    ):
        assert phone.open_url(url + "?code=x", source="vneid").target == "browser", url


@pytest.mark.clause("A-6", "S-4")
def test_an_app_cannot_verify_another_apps_domain() -> None:
    """Only the domain's own app gets its claimed links: the domain's association file names
    it, so a hijacker declaring ``vssid.test/…`` is not verified for it."""
    phone = Phone("android")
    phone.install(
        HijackerApp("evil", app_id="evil", verified_links=("vssid.test/auth/vneid/callback/x",))
    )
    link = DEFAULT_PROFILE.callback_https + "/x?code=C0DE&state=s"
    assert phone.open_url(link, source="vneid").target == "browser"
    owner = phone.install(VssIDApp("1.6.7", httpx.Client(base_url="http://x")))
    assert phone.open_url(link, source="vneid").target == owner.app_id


@pytest.mark.clause("S-5")
def test_the_hijacker_shows_the_stolen_link_redacted() -> None:
    """Its screen reaches screenshots in reports; the link itself stays in ``received``."""
    phone = Phone("android")
    thief = phone.install(HijackerApp("vssid"))
    phone.open_url("vssid://auth/vneid/callback?code=C0DE-S3CRET&state=s", source="vneid")
    shown = " ".join(thief.current_screen().texts)
    assert "C0DE-S3CRET" not in shown
    assert "code=[REDACTED]" in shown
    assert thief.received == ["vssid://auth/vneid/callback?code=C0DE-S3CRET&state=s"]


def test_uninstalling_drops_the_storage_and_shows_the_launcher(world: World) -> None:
    """Installing the same app again starts it afresh: not logged in."""
    from harness.trace import AppSwitched

    target, pool = world
    device = make_device(target, "android")
    assert login_with_vneid(device.driver, pool.new()).id == "vssid-home"
    vssid = device.phone.app("vssid")
    device.phone.uninstall("vssid")
    assert device.phone.foreground is None
    assert device.trace.of_type(AppSwitched)[-1].reason == "uninstall"
    device.phone.install(vssid)
    assert device.driver.open_app("vssid").id == "vssid-login"
    device.close()


def test_the_harness_relying_partys_app_is_no_hijacker(world: World) -> None:
    """Its callbacks arrive as a hijacker's would, but reports must not read "hijacker" in a
    plain token-endpoint test (a QA lead took it for an interception, S-4)."""
    target, _ = world
    device = make_device(target, "ios")
    receiver = device.install_receiver("harnessrp")
    device.phone.open_url("harnessrp://callback?code=C0DE-SECRET&state=s", source="vneid")
    shown = device.driver.screen()
    assert (shown.app, shown.id) == ("harness-rp", "harness-rp-callback")
    assert shown.texts[0] == "Harness RP"
    assert "Hijacker" not in " ".join(shown.texts)
    assert "C0DE-SECRET" not in " ".join(shown.texts)  # shown redacted, as the hijacker's (S-5)
    assert receiver.received == ["harnessrp://callback?code=C0DE-SECRET&state=s"]
    device.close()


def test_a_link_never_delivered_says_what_the_phone_shows_instead(world: World) -> None:
    """A provider that never redirected (its app API answered 404, say) fails a test as the
    screen the login stopped on, not only as a missing link."""
    target, pool = world
    citizen = pool.new()
    device = make_device(target, "android")
    assert start_vneid_login(device.driver).id == VNEID_LOGIN
    device.driver.type(VNEID_PERSONAL_ID, citizen.personal_id)
    device.driver.type("vneid-passcode", "000000" if citizen.passcode != "000000" else "111111")
    assert device.driver.tap("vneid-login-submit").error == "invalid_credentials"
    with pytest.raises(AssertionError) as caught:
        device.last_link_to("vssid://")
    said = str(caught.value)
    assert said.startswith(
        "no link starting with 'vssid://' was delivered; the phone shows "
        "vneid showing app-error: error invalid_credentials (clause A-4)"
    ), said
    assert citizen.passcode not in said  # S-5
    device.close()
