"""The phone's OS: link routing (A-3, A-6, S-4), the store (§10), install and restart."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.apps import HijackerApp, VssIDApp
from harness.device import LinkResult, Phone
from harness.errors import ConfigError, HarnessError
from harness.protocol import DEFAULT_PROFILE, ManualClock
from harness.trace import AppSwitched, LinkOpened, StoreOpened, Trace

CALLBACK = "vssid://auth/vneid/callback?code=abc&state=xyz"
CALLBACK_HTTPS = "https://vssid.test/auth/vneid/callback?code=abc&state=xyz"


@pytest.fixture
def phone(clock: ManualClock) -> Phone:
    return Phone("android", trace=Trace(clock))


def _claimant(scheme: str, app_id: str, **kwargs: Any) -> HijackerApp:
    return HijackerApp(scheme, app_id=app_id, **kwargs)


class TestCustomScheme:
    def test_delivered_to_the_claimant(self, phone: Phone) -> None:
        vssid = phone.install(_claimant("vssid", "vssid"))
        other = phone.install(_claimant("other", "other"))
        assert phone.open_url(CALLBACK, source="vneid") == LinkResult(True, "vssid")
        assert vssid.received == [CALLBACK]
        assert other.received == []
        assert phone.foreground == "vssid"
        [opened] = phone.trace.of_type(LinkOpened)
        assert (opened.source, opened.target, opened.form) == ("vneid", "vssid", "custom")
        assert "abc" not in opened.url  # the code is redacted in the trace (S-5)
        assert phone.trace.of_type(AppSwitched)[-1].to_app == "vssid"

    def test_scheme_is_case_insensitive(self, phone: Phone) -> None:
        phone.install(_claimant("vssid", "vssid"))
        assert phone.open_url("VSSID://auth/vneid/callback", source="t").target == "vssid"

    def test_hijacker_installed_later_wins(self, phone: Phone) -> None:
        """S-4: the most recently installed claimant of vssid:// gets the callback."""
        genuine = phone.install(_claimant("vssid", "vssid"))
        hijacker = phone.install(HijackerApp())
        assert phone.open_url(CALLBACK, source="vneid") == LinkResult(True, "hijacker")
        assert hijacker.received == [CALLBACK]
        assert genuine.received == []
        assert phone.screen().id == "hijacker"

    def test_hijacker_installed_earlier_loses(self, phone: Phone) -> None:
        phone.install(HijackerApp())
        phone.install(_claimant("vssid", "vssid"))
        assert phone.open_url(CALLBACK, source="vneid").target == "vssid"

    def test_unclaimed_scheme_is_not_handled(self, phone: Phone) -> None:
        phone.install(_claimant("vssid", "vssid"))
        phone.switch_to("vssid")
        assert phone.open_url("vneid://authorize?x=1", source="vssid") == LinkResult(False, None)
        assert phone.foreground == "vssid"
        [opened] = phone.trace.of_type(LinkOpened)
        assert opened.target is None

    def test_garbage_is_not_handled(self, phone: Phone) -> None:
        assert phone.open_url("no scheme at all", source="t") == LinkResult(False, None)


@given(
    st.lists(st.sampled_from(["vssid", "vneid", "x"]), max_size=6),
    st.sampled_from(["vssid", "vneid", "x", "none"]),
)
def test_custom_scheme_goes_to_the_latest_claimant(installs: list[str], scheme: str) -> None:
    """Whatever the install order, the most recent claimant of the scheme gets the link."""
    phone = Phone("ios", clock=ManualClock())
    for index, claimed in enumerate(installs):
        phone.install(HijackerApp(claimed, app_id=f"app{index}"))
    claimants = [f"app{i}" for i, claimed in enumerate(installs) if claimed == scheme]
    result = phone.open_url(f"{scheme}://somewhere?code=1", source="t")
    assert result == LinkResult(bool(claimants), claimants[-1] if claimants else None)


class TestClaimedHttps:
    def test_only_the_verified_owner_gets_it(self, phone: Phone) -> None:
        owner = phone.install(
            _claimant("vssid", "vssid", verified_links=("vssid.test/auth/vneid/",))
        )
        hijacker = phone.install(HijackerApp())  # claims vssid://, cannot verify vssid.test
        assert phone.open_url(CALLBACK_HTTPS, source="vneid") == LinkResult(True, "vssid")
        assert owner.received == [CALLBACK_HTTPS]
        assert hijacker.received == []
        assert phone.trace.of_type(LinkOpened)[-1].form == "https"

    @pytest.mark.parametrize(
        "url",
        [
            "https://vssid.test/elsewhere",
            "https://evil.test/auth/vneid/callback",
            "http://vssid.test/auth/vneid/callback",
        ],
    )
    def test_anything_else_opens_the_browser(self, phone: Phone, url: str) -> None:
        phone.install(_claimant("vssid", "vssid", verified_links=("vssid.test/auth/vneid/",)))
        assert phone.open_url(url, source="vneid") == LinkResult(True, "browser")
        assert phone.foreground == "browser"
        assert phone.screen().id == "browser"
        assert phone.screen().data["url"] == url

    @pytest.mark.parametrize(
        "url",
        [
            "https://vssid.test/elsewhere",
            "https://evil.test/auth/vneid/callback",
            "http://vssid.test/auth/vneid/callback",
            "nobody://claims/this",
        ],
    )
    def test_app_only_never_opens_the_browser(self, phone: Phone, url: str) -> None:
        """universalLinksOnly / FLAG_ACTIVITY_REQUIRE_NON_BROWSER: no app, not handled."""
        phone.install(_claimant("vssid", "vssid", verified_links=("vssid.test/auth/vneid/",)))
        phone.switch_to("vssid")
        assert phone.open_url(url, source="vssid", app_only=True) == LinkResult(False, None)
        assert phone.foreground == "vssid"
        opened = phone.trace.of_type(LinkOpened)[-1]
        assert (opened.url, opened.target) == (url, None)

    def test_app_only_still_delivers_to_the_verified_app(self, phone: Phone) -> None:
        owner = _claimant("vssid", "vssid", verified_links=("vssid.test/auth/vneid/",))
        phone.install(owner)
        assert phone.open_url(CALLBACK_HTTPS, source="vneid", app_only=True) == LinkResult(
            True, "vssid"
        )
        assert owner.received == [CALLBACK_HTTPS]

    def test_longest_prefix_wins(self, phone: Phone) -> None:
        """On a domain of neither app (``shop.test``), whose association may name several."""
        phone.install(_claimant("a", "broad", verified_links=("shop.test/",)))
        phone.install(_claimant("b", "narrow", verified_links=("shop.test/auth/",)))
        assert phone.open_url("https://shop.test/auth/x", source="t").target == "narrow"
        assert phone.open_url("https://shop.test/x", source="t").target == "broad"


class TestStore:
    @pytest.mark.parametrize(
        ("platform", "host"),
        [("ios", "https://apps.apple.com/"), ("android", "https://play.google.com/")],
    )
    def test_vneid_missing_sends_vssid_users_to_the_store(
        self, world: Any, platform: str, host: str
    ) -> None:
        """A-3: no VNeID app, so the authorize link opens nothing and VssID opens the store."""
        phone = world.phone(platform, vneid=None)
        phone.switch_to("vssid")
        phone.app("vssid").tap("vssid-login-vneid")
        expected = DEFAULT_PROFILE.store_link("vneid", platform)
        assert expected is not None
        assert expected.startswith(host)
        [store] = phone.trace.of_type(StoreOpened)
        assert (store.app_id, store.platform, store.url) == ("vneid", platform, expected)
        assert phone.foreground == "store"
        assert phone.screen().id == "store"
        assert phone.screen().data["url"] == expected
        assert phone.trace.of_type(LinkOpened)[-1].target is None

    def test_open_store_for_an_unknown_app(self, phone: Phone) -> None:
        assert phone.open_store("nothing") is None
        assert phone.trace.of_type(StoreOpened)[0].url is None


class TestInstall:
    def test_installed_foreground_and_lookup(self, phone: Phone) -> None:
        assert phone.foreground is None
        assert phone.screen().id == "launcher"
        phone.install(_claimant("a", "a"))
        phone.install(_claimant("b", "b"))
        assert phone.installed == ("a", "b")
        with pytest.raises(HarnessError, match=r"'c' is not installed.*installed: a, b"):
            phone.app("c")

    def test_store_of_origin_defaults_and_mismatch(self, phone: Phone) -> None:
        app = phone.install(_claimant("a", "a"))
        assert app.store == "google_play"
        with pytest.raises(ConfigError, match="app_store"):
            phone.install(_claimant("b", "b", store="app_store"))

    def test_uninstall(self, phone: Phone) -> None:
        phone.install(_claimant("vssid", "vssid"))
        phone.switch_to("vssid")
        phone.uninstall("vssid")
        assert phone.installed == ()
        assert phone.foreground is None
        assert phone.open_url(CALLBACK, source="t").handled is False

    def test_one_phone_per_app_object(self, phone: Phone) -> None:
        app = phone.install(_claimant("a", "a"))
        with pytest.raises(HarnessError, match="another phone"):
            Phone("android").install(app)

    def test_reinstall_is_an_update_that_keeps_storage(self, world: Any) -> None:
        phone = world.phone("ios")
        phone.app("vssid").storage["transaction_id"] = "t1"
        newer = phone.install(VssIDApp("1.7.0", world.client(world.vssid, "http://api.vssid.test")))
        assert newer.storage == {"transaction_id": "t1"}
        assert phone.installed == ("vneid", "vssid")

    def test_restart_drops_memory_keeps_storage(self, phone: Phone) -> None:
        app = phone.install(_claimant("vssid", "vssid"))
        phone.open_url(CALLBACK, source="t")
        app.storage["kept"] = True
        assert phone.screen().data["last"] == CALLBACK
        phone.restart("vssid")
        assert app.storage == {"kept": True}
        assert phone.screen().data["last"] is None  # relaunched from scratch

    def test_switch_to_records_a_user_switch(self, phone: Phone) -> None:
        phone.install(_claimant("a", "a"))
        phone.switch_to("a")
        assert phone.trace.of_type(AppSwitched)[-1] == AppSwitched(
            from_app=None, to_app="a", reason="user", at=phone.clock.now(), seq=0
        )

    def test_unknown_platform(self) -> None:
        with pytest.raises(ConfigError, match="unknown platform 'windows'"):
            Phone("windows")  # type: ignore[arg-type]


def test_the_browser_shows_a_fallen_through_callback_redacted() -> None:
    """S-5: with VssID gone, its https callback opens the browser; the screen (texts, data,
    and so screenshots and page sources) showed the live code."""
    phone = Phone("android")
    url = "https://vssid.test/auth/vneid/callback?code=LIVECODE123456&state=s1&iss=x"
    assert phone.open_url(url, source="vneid") == LinkResult(True, "browser")
    screen = phone.screen()
    assert "LIVECODE123456" not in str(screen.texts) + str(screen.data)
    assert screen.data["url"].startswith("https://vssid.test/auth/vneid/callback?code=")
    assert phone.delivered == []  # no app got it; the link itself is not kept for replays


# -- rules of the module doc that no test held (a mutation audit found them) ---------------
@pytest.mark.parametrize(
    "url",
    [
        "https://evilvssid.test/auth/vneid/callback?code=abc",  # a host ending in the verified one
        "https://sub.vssid.test/auth/vneid/callback?code=abc",  # a subdomain is another domain
    ],
)
def test_a_verified_host_matches_exactly_not_as_a_suffix(phone: Phone, url: str) -> None:
    """A-6, S-4: an https link is delivered only to the app verified for *its* host; a domain
    that merely ends in ``vssid.test`` is not that domain, and the link opens the browser."""
    owner = phone.install(_claimant("vssid", "vssid", verified_links=("vssid.test/auth/vneid/",)))
    assert phone.open_url(url, source="vneid") == LinkResult(True, "browser")
    assert owner.received == []


def test_equal_prefixes_go_to_the_earlier_install(phone: Phone) -> None:
    """Module doc: "Longest prefix wins, then the earlier install" (unlike custom schemes,
    where the latest install wins)."""
    phone.install(_claimant("a", "first", verified_links=("shop.test/auth/",)))
    phone.install(_claimant("b", "second", verified_links=("shop.test/auth/",)))
    assert phone.open_url("https://shop.test/auth/x", source="t").target == "first"
