"""App links through the phone's OS: store fallback, both link forms, and a hijacking app."""

from __future__ import annotations

import pytest

from harness.apps.screens import VNEID_LOGIN
from harness.flows import decide, enter_credentials, login_with_vneid, start_vneid_login
from harness.personas import Persona
from harness.targets import Target, VNeIDHandle, VssIDHandle
from harness.trace import LinkOpened, StoreOpened
from harness.world import MINIMUM, DeviceFactory
from scenarios.support import assert_error_screen, assert_home, calls, store_origin


@pytest.mark.clause("A-3", "P-3")
@pytest.mark.parametrize("platform", ["ios", "android"])
def test_missing_vneid_sends_the_user_to_its_store_listing(target: Target,
                                                           device: DeviceFactory,
                                                           vssid: VssIDHandle,
                                                           platform: str) -> None:
    phone = device(platform, vneid=None)
    screen = start_vneid_login(phone.driver)
    assert phone.phone.foreground == "store"
    assert screen.data["app_id"] == "vneid"
    assert screen.data["url"].startswith(store_origin(target.profile, "vneid", platform))
    assert screen.data["url"] == target.profile.store_link("vneid", platform)
    assert screen.data["url"] != target.profile.store_link("vssid", platform), (
        "P-3: VNeID's own listing, not VssID's")
    opened = phone.trace.of_type(StoreOpened)
    assert [e.app_id for e in opened] == ["vneid"]


@pytest.mark.clause("A-3", "A-1")
@pytest.mark.parametrize("platform", ["ios", "android"])
def test_missing_vneid_and_the_https_link_form_still_lead_to_the_store(
        target: Target, device: DeviceFactory, vssid: VssIDHandle, platform: str) -> None:
    """A-3 with the claimed https form of A-1: VssID opens the link for apps only, so the
    browser never takes it; no app is verified for it, and VssID opens VNeID's listing."""
    if "link_form" not in vssid.config():
        pytest.skip("the relying party's §11 config has no link_form (the harness's VssID "
                    "mock's has): it cannot be asked for https authorize links")
    vssid.configure(link_form="https")
    phone = device(platform, vneid=None)
    screen = start_vneid_login(phone.driver)
    assert phone.phone.foreground == "store", f"A-3: {phone.phone.foreground} took the link"
    assert screen.data["url"] == target.profile.store_link("vneid", platform)
    opened = phone.trace.of_type(LinkOpened)
    assert [(e.form, e.target) for e in opened] == [("https", None)]
    assert opened[0].url.startswith(f"{target.profile.authorize_link_https}?")


@pytest.mark.clause("A-3")
def test_installing_vneid_after_the_store_lets_the_login_finish(device: DeviceFactory,
                                                                 persona: Persona) -> None:
    phone = device("ios", vneid=None)
    start_vneid_login(phone.driver)
    phone.install_vneid(MINIMUM)
    assert_home(login_with_vneid(phone.driver, persona))


@pytest.mark.clause("A-3", "A-6")
@pytest.mark.plan("vssid-relying-party")
def test_claimed_https_callback_form(target: Target, device: DeviceFactory, persona: Persona,
                                      vssid: VssIDHandle) -> None:
    vssid.configure(redirect_uri=target.profile.callback_https)
    phone = device("android")
    assert_home(login_with_vneid(phone.driver, persona))
    callback = phone.last_link_to(f"{target.profile.callback_https}?")
    assert "code=" in callback


@pytest.mark.clause("S-4", "R-1")
@pytest.mark.parametrize("platform", ["ios", "android"])
@pytest.mark.plan("vneid-provider")
def test_hijacking_app_gets_the_code_but_cannot_redeem_it(target: Target, device: DeviceFactory,
                                                          persona: Persona, vneid: VNeIDHandle,
                                                          platform: str) -> None:
    """S-4: a later-installed app claiming VssID's scheme (vssid://) receives the callback;
    without VssID's PKCE verifier the code is worthless, even with the client's secret."""
    from harness.rp import TestRelyingParty
    from mock_providers.defaults import DEFAULT_VSSID_CLIENT_SECRET

    phone = device(platform)
    thief = phone.install_hijacker(target.profile.vssid_scheme)
    start_vneid_login(phone.driver)
    enter_credentials(phone.driver, persona)
    decide(phone.driver)
    assert phone.phone.foreground == "hijacker"
    assert len(thief.received) == 1
    stolen = thief.received[0]
    # closed whatever fails: a socket left open surfaces as a later test's warning
    with TestRelyingParty(vneid, phone.target.profile,
                          client_id=target.profile.vssid_client_id,
                          client_secret=DEFAULT_VSSID_CLIENT_SECRET,
                          redirect_uri=target.profile.callback_custom) as attacker:
        code = attacker.code_from(stolen)
        for verifier in (None, "x" * 43, "A" * 128):
            result = attacker.redeem(code, verifier)
            assert result.status == 400, result.body
            assert result.error in ("invalid_grant", "invalid_request"), result.body
    if vneid.is_embedded:  # §11 does not fix a request-log entry's shape: the mock's
        assert [r["status"] for r in calls(vneid, "/token")] == [400, 400, 400]


@pytest.mark.clause("S-4", "A-6")
def test_claimed_https_link_cannot_be_hijacked(target: Target, device: DeviceFactory,
                                                 persona: Persona, vssid: VssIDHandle) -> None:
    vssid.configure(redirect_uri=target.profile.callback_https)
    phone = device("ios")
    thief = phone.install_hijacker("https")
    assert_home(login_with_vneid(phone.driver, persona))
    assert thief.received == []


@pytest.mark.clause("A-3", "A-4")
def test_authorize_link_opens_vneid_login_level2_screen(device: DeviceFactory) -> None:
    phone = device("android")
    screen = start_vneid_login(phone.driver)
    assert screen.id == VNEID_LOGIN
    assert "Đăng nhập tài khoản định danh điện tử mức 2" in screen.texts


@pytest.mark.clause("R-3", "A-6")
@pytest.mark.plan("vssid-relying-party")
def test_callback_with_no_pending_login_shows_an_error(target: Target, device: DeviceFactory,
                                                       persona: Persona) -> None:
    phone = device("ios")
    assert_home(login_with_vneid(phone.driver, persona))
    fresh = device("ios")
    fresh.phone.open_url(phone.last_link_to(f"{target.profile.vssid_scheme}://"),
                         source="browser")
    assert_error_screen(fresh.screen(), app="vssid", code="transaction_not_found")
