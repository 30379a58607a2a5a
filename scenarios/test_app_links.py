"""App links through the phone's OS: store fallback, both link forms, and a hijacking app."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from harness.apps.screens import VNEID_LOGIN
from harness.flows import decide, enter_credentials, login_with_vneid, start_vneid_login
from harness.personas import Persona
from harness.targets import Target, VNeIDHandle, VssIDHandle
from harness.trace import LinkOpened, StoreOpened
from harness.world import MINIMUM, DeviceFactory
from scenarios.support import assert_error_screen, assert_home, calls, public, store_origin


@pytest.mark.clause("A-3", "P-3")
@pytest.mark.parametrize("platform", ["ios", "android"])
def test_missing_vneid_sends_the_user_to_its_store_listing(
    target: Target, device: DeviceFactory, vssid: VssIDHandle, platform: str
) -> None:
    phone = device(platform, vneid=None)
    screen = start_vneid_login(phone.driver)
    assert phone.phone.foreground == "store", (
        f"A-3: expected VssID to open the store, observed {phone.phone.foreground} in front"
    )
    assert screen.data["app_id"] == "vneid", (
        f"A-3: expected VNeID's store listing, observed {screen.data['app_id']!r}'s"
    )
    origin = store_origin(target.profile, "vneid", platform)
    assert screen.data["url"].startswith(origin), (
        f"A-3, §10: expected a {platform} store link starting {origin}, observed "
        f"{screen.data['url']!r}"
    )
    listing = target.profile.store_link("vneid", platform)
    assert screen.data["url"] == listing, (
        f"A-3, §10: expected VNeID's {platform} listing {listing}, observed {screen.data['url']!r}"
    )
    assert screen.data["url"] != target.profile.store_link("vssid", platform), (
        "P-3: VNeID's own listing, not VssID's"
    )
    opened = phone.trace.of_type(StoreOpened)
    assert [e.app_id for e in opened] == ["vneid"], (
        f"A-3: expected one store opened, VNeID's, observed {[e.app_id for e in opened]}"
    )


@pytest.mark.clause("A-3", "A-1")
@pytest.mark.parametrize("platform", ["ios", "android"])
def test_missing_vneid_and_the_https_link_form_still_lead_to_the_store(
    target: Target, device: DeviceFactory, vssid: VssIDHandle, platform: str
) -> None:
    """A-3 with the claimed https form of A-1: VssID opens the link for apps only, so the
    browser never takes it; no app is verified for it, and VssID opens VNeID's listing."""
    if "link_form" not in vssid.config():
        pytest.skip(
            "the relying party's §11 config has no link_form (the harness's VssID "
            "mock's has): it cannot be asked for https authorize links"
        )
    vssid.configure(link_form="https")
    phone = device(platform, vneid=None)
    screen = start_vneid_login(phone.driver)
    assert phone.phone.foreground == "store", f"A-3: {phone.phone.foreground} took the link"
    listing = target.profile.store_link("vneid", platform)
    assert screen.data["url"] == listing, (
        f"A-3, §10: expected VNeID's {platform} listing {listing}, observed {screen.data['url']!r}"
    )
    opened = phone.trace.of_type(LinkOpened)
    assert [(e.form, e.target) for e in opened] == [("https", None)], (
        f"A-1: expected one https authorize link that no app took, observed (form, app) "
        f"{[(e.form, e.target) for e in opened]}"
    )
    assert opened[0].url.startswith(f"{target.profile.authorize_link_https}?"), (
        f"A-1: expected the link to start {target.profile.authorize_link_https}?, observed "
        f"{opened[0].url.split('?')[0]!r}"
    )


@pytest.mark.clause("A-3")
def test_installing_vneid_after_the_store_lets_the_login_finish(
    device: DeviceFactory, persona: Persona
) -> None:
    phone = device("ios", vneid=None)
    start_vneid_login(phone.driver)
    phone.install_vneid(MINIMUM)
    assert_home(login_with_vneid(phone.driver, persona))


@pytest.mark.clause("A-3", "A-6")
@pytest.mark.plan("vssid-relying-party")
def test_claimed_https_callback_form(
    target: Target, device: DeviceFactory, persona: Persona, vssid: VssIDHandle
) -> None:
    vssid.configure(redirect_uri=target.profile.callback_https)
    phone = device("android")
    assert_home(login_with_vneid(phone.driver, persona))
    callback = phone.last_link_to(f"{target.profile.callback_https}?")
    assert "code=" in callback, (
        f"A-6: expected a code in the https callback, observed the parameters "
        f"{sorted(parse_qs(urlsplit(callback).query))}"
    )


@pytest.mark.clause("S-4")
@pytest.mark.parametrize("platform", ["ios", "android"])
@pytest.mark.plan("vneid-provider")
def test_hijacking_app_gets_the_code_but_cannot_redeem_it(
    target: Target, device: DeviceFactory, persona: Persona, vneid: VNeIDHandle, platform: str
) -> None:
    """S-4: a later-installed app claiming VssID's scheme (vssid://) receives the callback;
    without VssID's PKCE verifier the code is worthless, even with the client's secret."""
    from harness.rp import TestRelyingParty
    from mock_providers.defaults import DEFAULT_VSSID_CLIENT_SECRET

    phone = device(platform)
    thief = phone.install_hijacker(target.profile.vssid_scheme)
    start_vneid_login(phone.driver)
    enter_credentials(phone.driver, persona)
    decide(phone.driver)
    assert phone.phone.foreground == "hijacker", (
        f"S-4 setup: expected the hijacking app to take the vssid:// callback, observed "
        f"{phone.phone.foreground} in front"
    )
    assert len(thief.received) == 1, (
        f"S-4 setup: expected the hijacking app to receive one callback, observed "
        f"{len(thief.received)}"
    )
    stolen = thief.received[0]
    # closed whatever fails: a socket left open surfaces as a later test's warning
    with TestRelyingParty(
        vneid,
        phone.target.profile,
        client_id=target.profile.vssid_client_id,
        client_secret=DEFAULT_VSSID_CLIENT_SECRET,
        redirect_uri=target.profile.callback_custom,
        trace=phone.trace,
        party=thief.app_id,
    ) as attacker:
        code = attacker.code_from(stolen)
        for verifier in (None, "x" * 43, "A" * 128):
            result = attacker.redeem(code, verifier)
            tried = "no code_verifier" if verifier is None else "a wrong code_verifier"
            assert result.status == 400, (
                f"S-4: expected the stolen code with {tried} to be refused with HTTP 400, "
                f"observed HTTP {result.status}: {public(result.body)}"
            )
            assert result.error in ("invalid_grant", "invalid_request"), (
                f"S-4: expected invalid_grant or invalid_request for the stolen code with "
                f"{tried}, observed {result.error}: {public(result.body)}"
            )
    if vneid.is_embedded:  # §11 does not fix a request-log entry's shape: the mock's
        logged = [r["status"] for r in calls(vneid, "/token")]
        assert logged == [400, 400, 400], (
            f"S-4: expected three refused token requests (HTTP 400), observed {logged}"
        )


@pytest.mark.clause("S-4", "A-6")
def test_claimed_https_link_cannot_be_hijacked(
    target: Target, device: DeviceFactory, persona: Persona, vssid: VssIDHandle
) -> None:
    vssid.configure(redirect_uri=target.profile.callback_https)
    phone = device("ios")
    thief = phone.install_hijacker("https")
    assert_home(login_with_vneid(phone.driver, persona))
    assert thief.received == [], (
        f"S-4: expected the claimed https callback to reach VssID only, observed "
        f"{len(thief.received)} delivered to the hijacking app"
    )


@pytest.mark.clause("A-3", "A-4")
def test_authorize_link_opens_vneid_login_level2_screen(device: DeviceFactory) -> None:
    phone = device("android")
    screen = start_vneid_login(phone.driver)
    assert screen.id == VNEID_LOGIN, (
        f"A-3: expected VNeID's login screen ({VNEID_LOGIN}), observed {screen.describe()}"
    )
    title = "Đăng nhập tài khoản định danh điện tử mức 2"
    assert title in screen.texts, (
        f"§9: expected the login screen to show {title!r}, observed {list(screen.texts)}"
    )


@pytest.mark.clause("R-3", "A-6")
@pytest.mark.plan("vssid-relying-party")
def test_callback_with_no_pending_login_shows_an_error(
    target: Target, device: DeviceFactory, persona: Persona
) -> None:
    phone = device("ios")
    assert_home(login_with_vneid(phone.driver, persona))
    fresh = device("ios")
    fresh.phone.open_url(phone.last_link_to(f"{target.profile.vssid_scheme}://"), source="browser")
    assert_error_screen(fresh.screen(), app="vssid", code="transaction_not_found")
