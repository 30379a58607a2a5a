"""What the apps and the phone's OS must do, as the user sees it: app-link routing to the
verified app only (A-6, S-4), store listings per platform and app (§10, V-4…V-6, P-3), the §9
screens' texts and automation ids, links forwarded exactly as delivered (A-5, A-6) and the
platform header on every app call. Each test fails under a fault in the apps or the OS that
the other suites let through (a third fault-injection audit, on the simulated phone and apps:
they stand in for the real apps an Appium run drives)."""

from __future__ import annotations

import pytest

from harness.apps import HijackerApp
from harness.apps.screens import (
    APP_ERROR,
    APP_UPDATE,
    APP_UPDATE_STORE,
    VNEID_CONSENT,
    VSSID_LOGIN,
    VSSID_LOGIN_VNEID,
)
from harness.flows import decide, enter_credentials, login_with_vneid, start_vneid_login
from harness.personas import Persona
from harness.rp import RP_SCHEME, TestRelyingParty
from harness.targets import Target, VNeIDHandle, VssIDHandle
from harness.world import DeviceFactory, PersonaPool
from scenarios.support import (
    assert_consent,
    assert_error_screen,
    assert_home,
    calls,
    decide_after_login,
)
from scenarios.version_cases import version_case


# -- device.py: app-link routing ------------------------------------------------------------
@pytest.mark.clause("S-4", "A-6")
def test_an_app_claiming_vssids_domain_does_not_get_the_https_callback(
    target: Target, device: DeviceFactory, persona: Persona, vssid: VssIDHandle
) -> None:
    """A later app whose manifest claims a (longer) path on vssid.test is not verified by
    vssid.test's association file: the claimed https callback still reaches VssID."""
    vssid.configure(redirect_uri=target.profile.callback_https)
    phone = device("android")
    thief = phone.phone.install(
        HijackerApp(
            "evil",
            app_id="evil",
            verified_links=(f"{target.profile.vssid_link_host}{target.profile.callback_path}",),
        )
    )
    assert_home(login_with_vneid(phone.driver, persona))
    assert thief.received == [], (
        f"S-4: expected the https callback to reach VssID only, observed "
        f"{len(thief.received)} delivered to an app vssid.test does not verify"
    )


@pytest.mark.clause("A-6")
@pytest.mark.parametrize(
    "url",
    ["https://{host}:8443{path}?code=x&state=y", "http://{host}{path}?code=x&state=y"],
    ids=["other-port", "plain-http"],
)
def test_only_the_exact_claimed_https_form_reaches_vssid(
    target: Target, device: DeviceFactory, url: str
) -> None:
    """A-6's claimed form is https on the default port; another port or plain http is
    another origin, which no app is verified for: the OS opens it in the browser."""
    phone = device("ios")
    link = url.format(host=target.profile.vssid_link_host, path=target.profile.callback_path)
    result = phone.phone.open_url(link, source="browser")
    assert (result.handled, result.target) == (True, "browser"), (
        f"A-6: expected the browser to take {link.split('?')[0]}, observed handled="
        f"{result.handled} by {result.target}"
    )
    assert phone.phone.foreground == "browser", (
        f"A-6: expected the browser in front, observed {phone.phone.foreground}"
    )


# -- versions and store links -----------------------------------------------------------------
@pytest.mark.clause("V-3", "V-6")
@pytest.mark.parametrize("version", ["v1.6.7", "01.6.7", "1..6", ""])
def test_vssid_with_a_malformed_version_shows_no_vneid_entry(
    device: DeviceFactory, version: str
) -> None:
    phone = device("ios", vssid=version)
    screen = phone.driver.open_app("vssid")
    assert screen.id == VSSID_LOGIN, (
        f"V-6: expected VssID's login screen, observed {screen.describe()}"
    )
    assert not screen.has(VSSID_LOGIN_VNEID), f"VssID {version!r} must not offer VNeID login"


@pytest.mark.clause("V-6")
@pytest.mark.parametrize("platform", ["ios", "android"])
def test_old_vneids_update_screen_links_vneids_own_listing(
    target: Target, device: DeviceFactory, platform: str
) -> None:
    phone = device(platform, vneid=version_case(target.profile, "vneid", "lower-minor-short"))
    screen = start_vneid_login(phone.driver)
    assert (screen.app, screen.id) == ("vneid", APP_UPDATE), (
        f"V-6: expected VNeID's update screen ({APP_UPDATE}), observed {screen.describe()}"
    )
    listing = target.profile.store_link("vneid", platform)
    shown_link = screen.element(APP_UPDATE_STORE).value
    assert shown_link == listing, (
        f"V-6, §10: expected the update screen to link VNeID's {platform} listing {listing}, "
        f"observed {shown_link!r}"
    )
    store = phone.driver.tap(APP_UPDATE_STORE)  # §10: the phone's own store, VNeID's listing
    assert phone.phone.foreground == "store", (
        f"§10: expected the store in front, observed {phone.phone.foreground}"
    )
    assert store.data["app_id"] == "vneid", (
        f"§10: expected VNeID's store listing, observed {store.data['app_id']!r}'s"
    )
    assert store.data["url"] == listing, (
        f"§10: expected the store to open {listing}, observed {store.data['url']!r}"
    )


# -- §9 screens -------------------------------------------------------------------------------
@pytest.mark.clause("A-7")
def test_error_screen_shows_the_error_code(device: DeviceFactory, persona: Persona) -> None:
    """§9: app-error shows the §8 message *and* the error code."""
    screen = login_with_vneid(device("ios").driver, persona, decision="deny")
    assert_error_screen(screen, app="vssid", code="access_denied")
    assert "access_denied" in screen.texts, (
        f"§9: expected the error screen to show the code access_denied, observed "
        f"{list(screen.texts)}"
    )


@pytest.mark.clause("A-6")
def test_home_screen_shows_the_name_and_the_bhxh_code(
    device: DeviceFactory, persona: Persona
) -> None:
    screen = assert_home(login_with_vneid(device("android").driver, persona))
    for what in (persona.full_name, persona.bhxh_code):
        assert what in screen.texts, (
            f"§9: expected the home screen to show {what!r}, observed {list(screen.texts)}"
        )


@pytest.mark.clause("A-5")
def test_consent_screen_names_vssid(device: DeviceFactory, persona: Persona) -> None:
    phone = device("ios")
    start_vneid_login(phone.driver)
    screen = enter_credentials(phone.driver, persona)
    assert_consent(screen, "A-5")
    assert "VssID" in screen.texts, (
        f"§9: expected the consent screen to name VssID, observed {list(screen.texts)}"
    )


@pytest.mark.clause("A-5")
def test_consent_screen_names_the_client_that_asks_not_vssid(
    device: DeviceFactory, rp: TestRelyingParty, persona: Persona
) -> None:
    phone = device("ios")
    phone.install_receiver(RP_SCHEME)
    phone.phone.open_url(rp.login().link, source="harness-rp")
    screen = enter_credentials(phone.driver, persona)
    assert_consent(screen, "A-5")
    assert rp.client_id in screen.texts, (
        f"§9: expected the consent screen to name the asking client {rp.client_id!r}, observed "
        f"{list(screen.texts)}"
    )
    assert not any("VssID" in t for t in screen.texts), (
        f"§9: expected the consent screen to name {rp.client_id!r}, not VssID, observed "
        f"{list(screen.texts)}"
    )


@pytest.mark.clause("V-6")
def test_vssid_login_button_has_the_section_9_label(device: DeviceFactory) -> None:
    screen = device("ios").driver.open_app("vssid")
    label = "Đăng nhập bằng tài khoản định danh điện tử"
    assert screen.element(VSSID_LOGIN_VNEID).label == label, (
        f"§9: expected the {VSSID_LOGIN_VNEID} button labelled {label!r}, observed "
        f"{screen.element(VSSID_LOGIN_VNEID).label!r}"
    )


# -- links forwarded exactly ------------------------------------------------------------------
@pytest.mark.clause("A-5")
@pytest.mark.parametrize("form", ["custom", "https"])
def test_vneid_forwards_the_authorize_link_exactly_as_received(
    target: Target,
    device: DeviceFactory,
    persona: Persona,
    vssid: VssIDHandle,
    vneid: VNeIDHandle,
    form: str,
) -> None:
    vssid.configure(link_form=form)
    phone = device("android")
    start_vneid_login(phone.driver)
    delivered = phone.last_link_to(
        (target.profile.authorize_link_custom, target.profile.authorize_link_https)
    )
    assert_home(
        decide(phone.driver)
        if phone.screen().id == VNEID_CONSENT
        else decide_after_login(phone, persona)
    )
    sent = [
        e.request_body["link"] for e in phone.trace.http(path_contains="/api/app/v1/authorizations")
    ]
    assert sent == [delivered], (
        f"A-5: expected VNeID to forward the {form} authorize link once, exactly as received; "
        f"observed {len(sent)} forwarded, {sum(s == delivered for s in sent)} of them exact"
    )


@pytest.mark.clause("A-5")
def test_vneid_forwards_a_login_hint_link_exactly(
    device: DeviceFactory, rp: TestRelyingParty, persona: Persona
) -> None:
    phone = device("ios")
    phone.install_receiver(RP_SCHEME)
    link = rp.login(login_hint=persona.personal_id).link
    phone.phone.open_url(link, source="harness-rp")
    enter_credentials(phone.driver, persona)
    decide(phone.driver)
    sent = [
        e.request_body["link"] for e in phone.trace.http(path_contains="/api/app/v1/authorizations")
    ]
    assert sent == [link], (
        f"A-5: expected VNeID to forward the login_hint link once, exactly as received; "
        f"observed {len(sent)} forwarded, {sum(s == link for s in sent)} of them exact"
    )


@pytest.mark.plan("vssid-relying-party")
@pytest.mark.clause("A-6", "R-4")
def test_vssid_forwards_the_callback_exactly_as_delivered(
    device: DeviceFactory, persona: Persona, vssid: VssIDHandle
) -> None:
    """A-6: callback_url is the link exactly as delivered. An unknown parameter whose value
    holds an encoded '&state=' is ignored by the backend; an app that decodes the link
    first forwards a second state."""
    from scenarios.support import replace_param
    from scenarios.test_callback_security import capture_callback, deliver

    phone, callback = capture_callback(device, persona)
    screen = deliver(phone, replace_param(callback, "vnp_note", "a&state=forged&iss=x"))
    assert_home(screen)
    answered = [r["status"] for r in calls(vssid, "/api/v1/auth/vneid/complete")]
    assert answered == [200], (
        f"A-6: expected one complete, answered HTTP 200, observed HTTP {answered}"
    )


# -- the OS model: P-3 ------------------------------------------------------------------------
@pytest.mark.clause("P-3")
def test_an_app_from_the_other_platforms_store_cannot_be_installed(
    target: Target, device: DeviceFactory
) -> None:
    from harness.errors import ConfigError

    phone = device("ios", vneid=None)
    client = target.vneid.client(traced=False)
    try:
        from harness.apps import VNeIDApp

        with pytest.raises(ConfigError):
            phone.phone.install(
                VNeIDApp(
                    str(target.profile.vneid_min_version),
                    client,
                    profile=target.profile,
                    store="google_play",
                )
            )
    finally:
        client.close()


# -- V-5 in VNeID: its server's 426 ------------------------------------------------------------
@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("V-5", "V-6")
@pytest.mark.parametrize("platform", ["ios", "android"])
def test_vneid_shows_its_update_screen_when_its_server_says_426(
    target: Target, device: DeviceFactory, persona: Persona, platform: str
) -> None:
    """A VNeID build that thinks it is new enough (its own minimum set lower, a sideloaded
    build) meets the server's gate: the server's 426 leads to §9's update screen with VNeID's
    listing for the platform, not to an error screen."""
    old = version_case(target.profile, "vneid", "lower-patch")
    phone = device(platform, vneid=old)
    phone.vneid_app.profile = target.profile.evolve(vneid_min_version=old)
    start_vneid_login(phone.driver)
    screen = enter_credentials(phone.driver, persona)
    assert (screen.app, screen.id) == ("vneid", APP_UPDATE), (
        f"V-5, V-6: expected VNeID's update screen ({APP_UPDATE}) after the server's 426, "
        f"observed {screen.describe()}"
    )
    link, origin = (
        screen.element(APP_UPDATE_STORE).value,
        target.profile.store_origin("vneid", platform),
    )
    assert link is not None, "V-5: expected the update screen to carry a store link, observed none"
    assert origin is not None
    assert link.startswith(origin), (
        f"V-5, §10: expected a {platform} store link starting {origin}, observed {link!r}"
    )
    store = phone.driver.tap(APP_UPDATE_STORE)
    assert store.data["app_id"] == "vneid", (
        f"§10: expected VNeID's store listing, observed {store.data['app_id']!r}'s"
    )


# -- P-2: the level is VNeID server's to answer by redirect ------------------------------------
@pytest.mark.plan("vneid-provider")
@pytest.mark.clause("P-2", "A-7")
def test_level1_error_reaches_vssid_not_vneid(device: DeviceFactory, personas: PersonaPool) -> None:
    screen = login_with_vneid(device("ios").driver, personas.new(level=1))
    assert (screen.app, screen.id) == ("vssid", APP_ERROR), (
        f"A-7: expected the level-1 error to reach VssID's error screen, observed "
        f"{screen.describe()}"
    )
    assert screen.error == "unmet_authentication_requirements", (
        f"A-7, P-2: expected unmet_authentication_requirements, observed {screen.error}"
    )


# -- the platform header on every app API call -------------------------------------
@pytest.mark.clause("A-1", "A-4", "V-4", "V-5")
@pytest.mark.parametrize("platform", ["ios", "android"])
def test_every_app_call_names_the_phones_platform(
    device: DeviceFactory, persona: Persona, platform: str
) -> None:
    phone = device(platform)
    assert_home(login_with_vneid(phone.driver, persona))
    exchanges = phone.trace.http()
    assert {e.actor for e in exchanges} == {"vssid", "vneid"}, (
        f"A-1, A-4: expected calls from both apps, observed calls from "
        f"{sorted({e.actor for e in exchanges})}"
    )
    for e in exchanges:
        headers = {k.lower(): v for k, v in e.request_headers.items()}
        assert headers.get("x-device-platform") == platform, (
            f"A-1, A-4: expected X-Device-Platform: {platform} on {e.actor}'s {e.method} "
            f"{e.url.split('?')[0]}, observed {headers.get('x-device-platform')!r}"
        )


# -- §9: the automation ids, as PROTOCOL.md spells them (not through shared constants) ---------
@pytest.mark.clause("A-1", "A-4", "A-5", "A-7")
def test_section_9_automation_ids_literally(device: DeviceFactory, persona: Persona) -> None:
    """§9's screen and element ids, written here as §9 writes them: an app (or the harness's
    shared constants) that renames one fails here. The steps between them that §9 names no
    id for (submitting the login form) go through the harness's flows."""
    phone = device("ios")
    login = phone.driver.open_app("vssid")
    assert login.id == "vssid-login", f"§9: expected screen vssid-login, observed {login.id}"
    assert "vssid-login-vneid" in login.element_ids, (
        f"§9: expected element vssid-login-vneid, observed {sorted(login.element_ids)}"
    )
    vneid_login = phone.driver.tap("vssid-login-vneid")
    assert vneid_login.id == "vneid-login", (
        f"§9: expected screen vneid-login, observed {vneid_login.id}"
    )
    assert {"vneid-personal-id", "vneid-passcode"} <= set(vneid_login.element_ids), (
        f"§9: expected fields vneid-personal-id and vneid-passcode, observed "
        f"{sorted(vneid_login.element_ids)}"
    )
    consent = enter_credentials(phone.driver, persona)
    assert consent.id == "vneid-consent", f"§9: expected vneid-consent, observed {consent.id}"
    assert {"vneid-approve", "vneid-deny"} <= set(consent.element_ids), (
        f"§9: expected buttons vneid-approve and vneid-deny, observed {sorted(consent.element_ids)}"
    )
    error = phone.driver.tap("vneid-deny")
    assert (error.app, error.id, error.error) == ("vssid", "app-error", "access_denied"), (
        f"§9: expected VssID's app-error with access_denied, observed {error.app} showing "
        f"{error.id} ({error.error})"
    )
    again = device("android")
    again.driver.open_app("vssid")
    again.driver.tap("vssid-login-vneid")
    consent = enter_credentials(again.driver, persona)
    assert consent.id == "vneid-consent", f"§9: expected vneid-consent, observed {consent.id}"
    home = again.driver.tap("vneid-approve")
    assert (home.app, home.id) == ("vssid", "vssid-home"), (
        f"§9: expected VssID's vssid-home, observed {home.app} showing {home.id}"
    )
