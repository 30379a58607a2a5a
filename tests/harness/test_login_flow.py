"""Whole journeys through SimDriver over the fake backends (§4 end to end, app-to-app cases)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from harness import flows
from harness.apps import VssIDApp
from harness.apps.base import Reply
from harness.apps.screens import Screen
from harness.drivers.sim import SimDriver
from harness.protocol import DEFAULT_PROFILE, LinkForm
from harness.trace import AppSwitched, LinkOpened


@pytest.mark.parametrize("platform", ["ios", "android"])
def test_happy_path(world: Any, platform: str) -> None:
    """A-1…A-6: VssID → VNeID (login, consent) → VssID home of the same person."""
    persona = world.persona()
    driver = world.driver(platform)
    screen = flows.login_with_vneid(driver, persona)
    assert (screen.app, screen.id) == ("vssid", "vssid-home")
    assert persona.full_name in screen.texts
    assert persona.bhxh_code in screen.texts
    assert dict(screen.data) == {
        "bhxh_code": persona.bhxh_code,
        "full_name": persona.full_name,
        "personal_id": persona.personal_id,
    }
    assert driver.current_app() == "vssid"
    trace = world.trace
    assert [s.screen_id for s in trace.screens()] == [
        "vssid-login",
        "vneid-login",
        "vneid-consent",
        "vneid-home",
        "vssid-home",
    ]
    assert [(e.source, e.target) for e in trace.of_type(LinkOpened)] == [
        ("vssid", "vneid"),
        ("vneid", "vssid"),
    ]
    assert [(e.from_app, e.to_app, e.reason) for e in trace.of_type(AppSwitched)] == [
        (None, "vssid", "user"),
        ("vssid", "vneid", "link"),
        ("vneid", "vssid", "link"),
    ]


def test_step_by_step(world: Any) -> None:
    persona = world.persona()
    driver = world.driver()
    assert flows.start_vneid_login(driver).id == "vneid-login"
    assert driver.current_app() == "vneid"
    assert flows.enter_credentials(driver, persona).id == "vneid-consent"
    assert flows.decide(driver, "approve").id == "vssid-home"


def test_user_denies(world: Any) -> None:
    """A-7, R-3: access_denied goes back to VssID, which shows it."""
    screen = flows.login_with_vneid(world.driver(), world.persona(), decision="deny")
    assert (screen.app, screen.id, screen.error) == ("vssid", "app-error", "access_denied")
    assert screen.texts == ("Bạn đã huỷ đăng nhập", "access_denied")
    assert world.vneid.codes == {}


def test_the_error_screen_closes_back_to_the_first_screen(world: Any) -> None:
    """After a denial, VssID's "Đóng" leads back to its login screen, and the next login
    works; VNeID's error screen, unless a login was refused, closes to VNeID's home."""
    persona = world.persona()
    driver = world.driver()
    error = flows.login_with_vneid(driver, persona, decision="deny")
    assert error.element("app-error-close").label == "Đóng"
    login = driver.tap("app-error-close")
    assert (login.app, login.id) == ("vssid", "vssid-login")
    assert flows.login_with_vneid(driver, persona).id == "vssid-home"
    vneid = driver.phone.app("vneid")
    vneid.show_error(Reply(400, {"error": "invalid_client", "clause": "S-3"}))
    driver.open_app("vneid")
    assert driver.tap("app-error-close").id == "vneid-home"


def test_level1_account(world: Any) -> None:
    """P-2, A-7: a level-1 account comes back with unmet_authentication_requirements."""
    screen = flows.login_with_vneid(world.driver(), world.persona(level=1))
    assert screen.error == "unmet_authentication_requirements"
    assert screen.texts[0] == "Tài khoản định danh điện tử chưa đạt mức 2"


def test_a_vssid_too_old_for_the_entry_says_so(world: Any) -> None:
    """V-6: a VssID below 1.6.7 has no VNeID entry; the flow said only that the screen had
    no such element (a QA team's report), now what it means and how to test it."""
    from harness.errors import NoSuchElement

    driver = world.driver(vssid="1.6.6")
    with pytest.raises(
        NoSuchElement,
        match=r"VssID's login screen shows no VNeID entry "
        r"\(vssid-login-vneid\): VssID 1\.6\.6 is below the minimum version "
        r"of the protocol profile in force \(V-6: 1\.6\.7\)",
    ):
        flows.login_with_vneid(driver, world.persona())
    assert driver.current_app() == "vssid"  # nothing tapped


class _RenderedStandIn:
    """A driver that reaches its phone as the web and Appium-web drivers do
    (``driver.session.phone``), not as an attribute of its own."""

    name = "stand-in"

    def __init__(self, sim: SimDriver) -> None:
        self._sim = sim
        self.session = SimpleNamespace(phone=sim.phone)

    def open_app(self, app_id: str) -> Screen:
        return self._sim.open_app(app_id)

    def tap(self, automation_id: str) -> Screen:
        return self._sim.tap(automation_id)

    def type(self, automation_id: str, text: str) -> None:
        self._sim.type(automation_id, text)

    def screen(self) -> Screen:
        return self._sim.screen()

    def current_app(self) -> str | None:
        return self._sim.current_app()

    def close(self) -> None:
        self._sim.close()


@pytest.mark.parametrize("rendered", [False, True], ids=["sim", "session-phone"])
def test_a_vssid_too_old_names_the_minimum_of_the_profile_in_force(
    world: Any, rendered: bool
) -> None:
    """V-6 under a protocol profile whose VssID minimum is 1.7.0: the flow named 1.6.7,
    PROTOCOL.md's default, whatever the profile said."""
    from harness.errors import NoSuchElement

    profile = DEFAULT_PROFILE.evolve(vssid_min_version="1.7.0")
    phone = world.phone(vssid=None)
    phone.install(
        VssIDApp("1.6.9", world.client(world.vssid, "http://api.vssid.test"), profile=profile)
    )
    driver: Any = SimDriver(phone)
    if rendered:
        driver = _RenderedStandIn(driver)
    with pytest.raises(NoSuchElement) as raised:
        flows.start_vneid_login(driver)
    said = str(raised.value)
    assert (
        "VssID 1.6.9 is below the minimum version of the protocol profile in force "
        "(V-6: 1.7.0)" in said
    ), said
    assert "1.6.7" not in said, said


def test_no_vssid_account(world: Any) -> None:
    """P-1: the backend finds no account for the personal_id."""
    screen = flows.login_with_vneid(world.driver(), world.persona(vssid_account=False))
    assert screen.error == "vssid_account_not_found"
    assert screen.data["status"] == 404


def test_vneid_error_closes_to_the_login_only_after_a_refused_login(world: Any) -> None:
    """A refused login's error closes to the login screen (the link kept); an error shown
    after another screen has replaced it, or with no link pending, closes to home."""
    persona = world.persona()
    driver = world.driver()
    flows.start_vneid_login(driver)
    vneid = driver.phone.app("vneid")
    link = vneid.pending_link
    assert (
        flows.enter_credentials(driver, persona, passcode="not-it").error == "invalid_credentials"
    )
    assert driver.tap("app-error-close").id == "vneid-login"
    assert vneid.pending_link == link
    assert flows.enter_credentials(driver, persona, passcode="not-it").id == "app-error"
    vneid.show_error(Reply(400, {"error": "invalid_client", "clause": "S-3"}))
    assert driver.tap("app-error-close").id == "vneid-home"
    vneid.show(vneid._login_screen())
    assert flows.enter_credentials(driver, persona, passcode="not-it").id == "app-error"
    vneid.forget()
    assert driver.tap("app-error-close").id == "vneid-home"


def test_wrong_passcode_flow_stops_in_vneid(world: Any) -> None:
    persona = world.persona()
    driver = world.driver()
    flows.start_vneid_login(driver)
    screen = flows.enter_credentials(
        driver, persona, passcode="999999" if persona.passcode != "999999" else "000000"
    )
    assert (screen.app, screen.error) == ("vneid", "invalid_credentials")


def test_vssid_restarted_between_hand_off_and_return(world: Any) -> None:
    """A-6: the transaction id is persisted, so the callback completes after a restart."""
    persona = world.persona()
    driver = world.driver()
    flows.start_vneid_login(driver)
    driver.phone.restart("vssid")
    flows.enter_credentials(driver, persona)
    assert flows.decide(driver).id == "vssid-home"


def test_vssid_remembers_the_session(world: Any) -> None:
    persona = world.persona()
    driver = world.driver()
    flows.login_with_vneid(driver, persona)
    driver.phone.restart("vssid")
    driver.open_app("vneid")
    assert driver.open_app("vssid").id == "vssid-home"


def test_second_login_skips_vneid_login(world: Any) -> None:
    persona = world.persona()
    phone = world.phone()
    flows.login_with_vneid(SimDriver(phone), persona)
    phone.app("vssid").storage.clear()  # logged out of VssID, still logged in to VNeID
    phone.restart("vssid")
    driver = SimDriver(phone)
    assert flows.start_vneid_login(driver).id == "vneid-consent"
    assert flows.login_with_vneid(driver, persona).id == "vssid-home"


def test_callback_delivered_twice_reaches_the_backend(world: Any) -> None:
    """R-1: the second delivery is refused by the backend, not swallowed by the app."""
    persona = world.persona()
    driver = world.driver()
    flows.login_with_vneid(driver, persona)
    [callback] = world.vneid.redirects
    driver.phone.open_url(callback, source="attacker")
    screen = driver.screen()
    assert (screen.app, screen.error) == ("vssid", "transaction_already_used")


def test_hijacker_receives_the_custom_scheme_callback(world: Any) -> None:
    """S-4: a later-installed claimant of vssid:// gets the code; VssID never completes."""
    persona = world.persona()
    driver = world.driver(hijacker=True)
    screen = flows.login_with_vneid(driver, persona)
    assert (screen.app, screen.id) == ("hijacker", "hijacker")
    hijacker = driver.phone.app("hijacker")
    assert hijacker.received == world.vneid.redirects
    assert "code=" in hijacker.received[0]
    assert [r.url.path for r in world.vssid.received] == ["/api/v1/auth/vneid/start"]


def test_claimed_https_callback_defeats_the_hijacker(world: Any) -> None:
    """A-6: the https form goes only to the verified owner, whoever claims vssid://."""
    world.vssid.link_form = LinkForm.CLAIMED_HTTPS
    persona = world.persona()
    driver = world.driver(hijacker=True)
    screen = flows.login_with_vneid(driver, persona)
    assert (screen.app, screen.id) == ("vssid", "vssid-home")
    assert driver.phone.app("hijacker").received == []
    assert [e.form for e in world.trace.of_type(LinkOpened)] == ["https", "https"]


@pytest.mark.parametrize("form", list(LinkForm))
@pytest.mark.parametrize("platform", ["ios", "android"])
def test_missing_vneid_leads_to_its_store_in_either_link_form(
    world: Any, form: LinkForm, platform: str
) -> None:
    """A-3: with no VNeID installed, VssID sends the user to VNeID's store listing, also
    when the authorize link is the claimed https form (which the browser must not take)."""
    world.vssid.link_form = form
    driver = world.driver(platform, vneid=None)
    screen = flows.start_vneid_login(driver)
    assert (screen.app, screen.id) == ("store", "store")
    assert screen.data["app_id"] == "vneid"
    assert driver.phone.foreground == "store"
    assert [(e.source, e.target, e.form) for e in world.trace.of_type(LinkOpened)] == [
        ("vssid", None, str(form))
    ]


def test_user_switches_back_by_hand(world: Any) -> None:
    """A-7: abandoning VNeID leaves VssID on its login screen; a new attempt works."""
    persona = world.persona()
    driver = world.driver()
    flows.start_vneid_login(driver)
    assert driver.open_app("vssid").id == "vssid-login"
    assert flows.login_with_vneid(driver, persona).id == "vssid-home"


@pytest.mark.parametrize("suffix", ["#frag=1", "&extra=%7e+x"])
def test_vssid_forwards_the_callback_exactly_as_delivered(world: Any, suffix: str) -> None:
    """A-6: ``callback_url`` is the link exactly as delivered (fragment, encoding
    and all): the backend, not the app, judges it (R-1…R-4)."""
    import json

    driver = world.driver()
    driver.phone.app("vssid").tap("vssid-login-vneid")
    url = "vssid://auth/vneid/callback?code=c%2Fd&state=s+t&iss=http%3A%2F%2Fi" + suffix
    driver.phone.open_url(url, source="vneid")
    [complete] = [r for r in world.vssid.received if r.url.path.endswith("/complete")]
    assert json.loads(complete.content)["callback_url"] == url
