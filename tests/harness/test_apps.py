"""The simulated apps: §9 screens, V-6 gating, §4 headers, errors shown where they belong."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from harness.apps import VNeIDApp, VssIDApp
from harness.apps.vssid import SESSION_KEY
from harness.device import Phone
from harness.errors import HarnessError
from harness.protocol import DEFAULT_PROFILE, AuthorizationRequest, parse_version
from harness.trace import LinkOpened, StoreOpened

LINK = AuthorizationRequest(
    client_id="vssid",
    redirect_uri="vssid://auth/vneid/callback",
    state="s" * 22,
    nonce="n" * 22,
    code_challenge="c" * 43,
).to_link()


def _logged_in_to_vneid(world: Any) -> tuple[Any, Any]:
    """A phone whose VNeID app received :data:`LINK` and logged a citizen in (A-4): it shows
    the consent screen and keeps the session."""
    persona = world.persona()
    phone = world.phone()
    phone.open_url(LINK, source="vssid")
    vneid = phone.app("vneid")
    vneid.type("vneid-personal-id", persona.personal_id)
    vneid.type("vneid-passcode", persona.passcode)
    vneid.tap("vneid-login-submit")
    assert phone.screen().id == "vneid-consent"
    return phone, vneid


class TestVssID:
    @pytest.mark.parametrize(
        ("version", "offered"),
        [
            ("1.6.6", False),
            ("1.6.7-rc.1", False),
            ("v1.6.7", False),
            ("", False),
            ("1.6.7", True),
            ("1.6.7+build.5", True),
            ("1.10", True),
        ],
    )
    def test_vneid_entry_only_from_the_minimum_version(
        self, world: Any, version: str, offered: bool
    ) -> None:
        """V-6: VssID below 1.6.7 does not show "Đăng nhập bằng tài khoản định danh điện tử"."""
        phone = world.phone(vssid=version)
        phone.switch_to("vssid")
        screen = phone.screen()
        assert screen.id == "vssid-login"
        assert screen.has("vssid-login-vneid") is offered
        if offered:
            assert screen.element("vssid-login-vneid").label == (
                "Đăng nhập bằng tài khoản định danh điện tử"
            )

    def test_minimum_is_configuration(self, world: Any) -> None:
        profile = DEFAULT_PROFILE.evolve(vssid_min_version="1.5")
        app = VssIDApp("1.6.6", world.client(world.vssid, "http://api.vssid.test"), profile=profile)
        phone = world.phone(vssid=None)
        phone.install(app)
        phone.switch_to("vssid")
        assert phone.screen().has("vssid-login-vneid")

    def test_tapping_a_missing_entry_is_a_test_bug(self, world: Any) -> None:
        phone = world.phone(vssid="1.6.6")
        phone.switch_to("vssid")
        with pytest.raises(
            HarnessError,
            match="screen 'vssid-login' has no element 'vssid-login-vneid'; present: \\(none\\)",
        ):
            phone.app("vssid").tap("vssid-login-vneid")

    def test_426_shows_update_with_the_backends_store_link(self, world: Any) -> None:
        """V-4: the backend refuses the version; the app shows app-update and its store link."""
        world.vssid.min_version = parse_version("9.0")
        world.vssid.store_url = "https://store.test/vssid"
        phone = world.phone("android")
        phone.switch_to("vssid")
        phone.app("vssid").tap("vssid-login-vneid")
        screen = phone.screen()
        assert screen.id == "app-update"
        assert screen.app == "vssid"
        assert screen.element("app-update-store").value == "https://store.test/vssid"
        phone.app("vssid").tap("app-update-store")
        [store] = phone.trace.of_type(StoreOpened)
        assert (store.app_id, store.url) == ("vssid", "https://store.test/vssid")
        assert phone.foreground == "store"

    def test_backend_error_on_start_is_shown(self, world: Any) -> None:
        phone = world.phone(vssid="1.6.7")
        phone.switch_to("vssid")  # the entry is on screen...
        phone.app("vssid").version = "01.6.7"  # ...then the header turns malformed (V-3)
        phone.app("vssid").tap("vssid-login-vneid")
        screen = phone.screen()
        assert screen.id == "app-error"
        assert screen.error == "app_version_invalid"
        assert screen.texts[0] == "Phiên bản ứng dụng không hợp lệ"
        assert screen.data["status"] == 400
        assert screen.data["clause"] == "V-3"

    def test_a_session_its_backend_forgot_leads_back_to_the_login(self, world: Any) -> None:
        """A VssID session the backend no longer knows (401 at ``/me``): the app drops the
        token and shows its login screen; kept, every launch showed an error for good."""
        persona = world.persona()
        phone = world.phone()
        phone.switch_to("vssid")
        phone.app("vssid").tap("vssid-login-vneid")
        vneid = phone.app("vneid")
        vneid.type("vneid-personal-id", persona.personal_id)
        vneid.type("vneid-passcode", persona.passcode)
        vneid.tap("vneid-login-submit")
        vneid.tap("vneid-approve")
        assert phone.screen().id == "vssid-home"
        assert SESSION_KEY in phone.app("vssid").storage
        world.vssid.sessions.clear()
        phone.restart("vssid")
        assert phone.screen().id == "vssid-login"
        assert SESSION_KEY not in phone.app("vssid").storage

    def test_callback_without_a_transaction(self, world: Any) -> None:
        phone = world.phone()
        phone.open_url("vssid://auth/vneid/callback?code=x&state=y", source="test")
        screen = phone.screen()
        assert (screen.app, screen.id, screen.error) == (
            "vssid",
            "app-error",
            "transaction_not_found",
        )
        assert world.vssid.received == []

    def test_start_keeps_the_transaction_and_opens_vneid(self, world: Any) -> None:
        phone = world.phone()
        phone.switch_to("vssid")
        phone.app("vssid").tap("vssid-login-vneid")
        assert phone.app("vssid").storage["transaction_id"] in world.vssid.transactions
        assert phone.foreground == "vneid"
        link = phone.trace.of_type(LinkOpened)[-1]
        assert (link.source, link.target) == ("vssid", "vneid")
        [start] = world.vssid.received
        assert (start.method, start.url.path, start.content) == (
            "POST",
            "/api/v1/auth/vneid/start",
            b"{}",
        )


class TestVNeID:
    @pytest.mark.parametrize(
        ("platform", "version"),
        [("ios", "2.0.9"), ("android", "2.0.9"), ("ios", "2.1.0-beta"), ("android", "abc")],
    )
    def test_old_vneid_shows_update_without_calling_the_server(
        self, world: Any, platform: str, version: str
    ) -> None:
        """V-6: below 2.1.0 (or unreadable) the link is not understood: update screen."""
        phone = world.phone(platform, vneid=version)
        phone.switch_to("vssid")
        phone.app("vssid").tap("vssid-login-vneid")
        screen = phone.screen()
        expected = DEFAULT_PROFILE.store_link("vneid", platform)
        assert (screen.app, screen.id) == ("vneid", "app-update")
        assert screen.texts == ("Vui lòng cập nhật ứng dụng lên phiên bản mới nhất",)
        assert screen.element("app-update-store").value == expected
        assert world.vneid.received == []
        phone.app("vneid").tap("app-update-store")
        assert phone.trace.of_type(StoreOpened)[-1].url == expected

    def test_login_screen_and_consent_name_vssid(self, world: Any) -> None:
        persona = world.persona()
        phone = world.phone()
        phone.open_url(LINK, source="vssid")
        login = phone.screen()
        assert login.id == "vneid-login"
        assert login.texts == ("Đăng nhập tài khoản định danh điện tử mức 2",)
        assert {"vneid-personal-id", "vneid-passcode", "vneid-login-submit"} <= set(
            login.element_ids
        )
        vneid = phone.app("vneid")
        vneid.type("vneid-personal-id", persona.personal_id)
        vneid.type("vneid-passcode", persona.passcode)
        assert phone.screen().element("vneid-passcode").value == "••••••"
        vneid.tap("vneid-login-submit")
        consent = phone.screen()
        assert consent.id == "vneid-consent"
        assert "VssID" in consent.texts
        assert consent.has("vneid-approve")
        assert consent.has("vneid-deny")
        assert vneid.pending_link == LINK  # kept exactly as received

    @pytest.mark.parametrize(
        ("extra", "minutes", "login_again"),
        [
            ((("max_age", "60"),), 2, True),
            ((("max_age", "600"),), 2, False),
            ((("prompt", "login"),), 0, True),
            ((("prompt", "consent"),), 2, False),
            ((("max_age", "sixty"),), 2, False),
            ((("max_age", "²"),), 2, False),
            ((("max_age", "0"),), 0, True),
            # the boundary: a session exactly max_age old is still fresh enough (it re-
            # authenticates only when the elapsed time is *more* than max_age, as the server)
            ((("max_age", "120"),), 2, False),
        ],
    )
    def test_a_link_asking_for_a_newer_login_shows_the_login_screen(
        self, world: Any, extra: tuple[tuple[str, str], ...], minutes: int, login_again: bool
    ) -> None:
        """OpenID Connect Core §3.1.2.1: ``prompt=login`` or a ``max_age`` its session is
        older than makes the app ask for the passcode again, although it has a session."""
        phone, _ = _logged_in_to_vneid(world)
        world.clock.advance(60 * minutes)
        again = AuthorizationRequest(
            client_id="vssid",
            redirect_uri="vssid://auth/vneid/callback",
            state="t" * 22,
            nonce="m" * 22,
            code_challenge="d" * 43,
            extra=extra,
        ).to_link()
        phone.open_url(again, source="vssid")
        assert phone.screen().id == ("vneid-login" if login_again else "vneid-consent")

    @pytest.mark.parametrize("decision", ["vneid-approve", "vneid-deny"])
    def test_the_answered_link_is_no_longer_pending(self, world: Any, decision: str) -> None:
        """A-5: once forwarded with a decision, the link is done with; a later login in
        VNeID must not bring back the consent screen of a request already answered."""
        _, vneid = _logged_in_to_vneid(world)
        vneid.tap(decision)
        assert vneid.pending_link is None

    def test_a_session_the_server_no_longer_knows_asks_for_the_login_again(
        self, world: Any
    ) -> None:
        """A-4, A-5: the server answers 401 ``invalid_token`` (the session expired on its
        clock or was revoked, while the app's own clock still counts it live): the app drops
        it and shows its login screen, the link kept, instead of an error the user cannot get
        past."""
        phone, vneid = _logged_in_to_vneid(world)
        persona_id = next(iter(world.vneid.sessions.values()))
        passcode = world.vneid.personas[persona_id].passcode
        world.vneid.sessions.clear()
        vneid.tap("vneid-approve")
        assert phone.screen().id == "vneid-login"
        assert "session" not in vneid.storage
        assert vneid.pending_link == LINK
        vneid.type("vneid-personal-id", persona_id)
        vneid.type("vneid-passcode", passcode)
        vneid.tap("vneid-login-submit")
        assert phone.screen().id == "vneid-consent"

    @pytest.mark.parametrize("expires_in", [float("nan"), float("inf"), 10**400, "soon", None])
    def test_a_session_lifetime_that_is_not_a_number_means_the_default(
        self, world: Any, expires_in: object
    ) -> None:
        """A server answering ``expires_in`` NaN or 10**400 (no float holds it) does not crash
        the app: it keeps the session for the profile's lifetime."""
        world.vneid.session_expires_in = expires_in
        phone, vneid = _logged_in_to_vneid(world)
        session = vneid.storage["session"]
        assert session["expires_at"] == phone.clock.now() + DEFAULT_PROFILE.vneid_session_ttl

    @pytest.mark.parametrize(
        ("status", "code", "message"),
        [
            ("active", "invalid_credentials", "Sai thông tin đăng nhập"),
            ("locked", "account_locked", "Tài khoản đã bị khoá"),
        ],
    )
    def test_refused_login_stays_in_vneid(
        self, world: Any, status: str, code: str, message: str
    ) -> None:
        persona = world.persona(status=status)
        phone = world.phone()
        phone.open_url(LINK, source="vssid")
        vneid = phone.app("vneid")
        vneid.type("vneid-personal-id", persona.personal_id)
        wrong = "000000" if persona.passcode != "000000" else "111111"
        vneid.type("vneid-passcode", wrong if status == "active" else persona.passcode)
        vneid.tap("vneid-login-submit")
        screen = phone.screen()
        assert (screen.app, screen.id, screen.error) == ("vneid", "app-error", code)
        assert screen.texts == (message, code)
        assert phone.foreground == "vneid"

    @staticmethod
    def _log_in(world: Any, platform: str) -> Phone:
        """A phone whose VNeID got the authorize link and submitted a citizen's login."""
        persona = world.persona()
        phone: Phone = world.phone(platform)
        phone.open_url(LINK, source="vssid")
        vneid = phone.app("vneid")
        vneid.type("vneid-personal-id", persona.personal_id)
        vneid.type("vneid-passcode", persona.passcode)
        vneid.tap("vneid-login-submit")
        return phone

    def test_server_426_shows_update(self, world: Any) -> None:
        world.vneid.min_version = parse_version("3.0.0")
        phone = self._log_in(world, "android")
        screen = phone.screen()
        assert screen.id == "app-update"
        assert screen.data["store_url"] == DEFAULT_PROFILE.store_link("vneid", "android")

    def test_server_426_at_the_decision_shows_update_too(self, world: Any) -> None:
        """V-5: the provider's minimum went up while VNeID held a session: the consent's
        answer (/authorizations) is refused 426, and the app shows its update screen."""
        phone = self._log_in(world, "ios")
        assert phone.screen().id == "vneid-consent"
        world.vneid.min_version = parse_version("3.0.0")
        phone.app("vneid").tap("vneid-approve")
        screen = phone.screen()
        assert (screen.app, screen.id) == ("vneid", "app-update")
        assert screen.data["store_url"] == DEFAULT_PROFILE.store_link("vneid", "ios")

    def test_refusal_that_must_not_redirect_stays_in_vneid(self, world: Any) -> None:
        """S-3: an unknown client gets an error screen in VNeID, nothing goes back."""
        persona = world.persona()
        phone = world.phone()
        evil = AuthorizationRequest(
            client_id="evil",
            redirect_uri="vssid://auth/vneid/callback",
            state="s",
            nonce="n",
            code_challenge="c" * 43,
        ).to_link()
        phone.open_url(evil, source="evil")
        vneid = phone.app("vneid")
        vneid.type("vneid-personal-id", persona.personal_id)
        vneid.type("vneid-passcode", persona.passcode)
        vneid.tap("vneid-login-submit")
        vneid.tap("vneid-approve")
        screen = phone.screen()
        assert (screen.app, screen.id, screen.error) == ("vneid", "app-error", "invalid_client")
        assert screen.texts[0] == "Yêu cầu đăng nhập không hợp lệ"
        assert [e.source for e in phone.trace.of_type(LinkOpened)] == ["evil"]

    def test_live_session_skips_login_until_it_expires(self, world: Any) -> None:
        phone, _ = _logged_in_to_vneid(world)
        phone.open_url(LINK, source="vssid")
        assert phone.screen().id == "vneid-consent"
        phone.restart("vneid")  # the session is persisted
        phone.open_url(LINK, source="vssid")
        assert phone.screen().id == "vneid-consent"
        world.clock.advance(901)
        phone.open_url(LINK, source="vssid")
        assert phone.screen().id == "vneid-login"

    def test_launch_shows_home(self, world: Any) -> None:
        phone = world.phone()
        phone.switch_to("vneid")
        assert phone.screen().id == "vneid-home"

    def test_typing_into_a_button_is_a_test_bug(self, world: Any) -> None:
        phone = world.phone()
        phone.open_url(LINK, source="vssid")
        with pytest.raises(HarnessError, match="is a button, not a field"):
            phone.app("vneid").type("vneid-login-submit", "x")


def test_every_call_carries_version_and_platform_headers(world: Any) -> None:
    """V-4, V-5, A-4: X-*-App-Version and X-Device-Platform on every app API call."""
    from harness import flows
    from harness.drivers.sim import SimDriver

    persona = world.persona()
    phone = world.phone("android", vssid="1.7.2", vneid="2.3.0")
    assert flows.login_with_vneid(SimDriver(phone), persona).id == "vssid-home"
    assert len(world.vssid.received) == 3
    assert len(world.vneid.received) == 2
    for request in world.vssid.received:
        assert request.headers["X-VssID-App-Version"] == "1.7.2"
        assert request.headers["X-Device-Platform"] == "android"
    for request in world.vneid.received:
        assert request.headers["X-VNeID-App-Version"] == "2.3.0"
        assert request.headers["X-Device-Platform"] == "android"
    assert [r.url.path for r in world.vneid.received] == [
        "/api/app/v1/sessions",
        "/api/app/v1/authorizations",
    ]
    assert [r.url.path for r in world.vssid.received] == [
        "/api/v1/auth/vneid/start",
        "/api/v1/auth/vneid/complete",
        "/api/v1/me",
    ]
    assert world.vssid.received[2].headers["Authorization"].startswith("Bearer ")
    assert world.vneid.received[1].headers["Authorization"].startswith("Bearer ")


def test_apps_accept_a_store_of_origin(world: Any) -> None:
    app = VNeIDApp("2.1.0", world.client(world.vneid, "http://id.vneid.test"), store="app_store")
    assert app.store == "app_store"
    assert app.claims_schemes == {"vneid"}
    assert app.verified_links == ("vneid.test/authorize",)
    with pytest.raises(HarnessError, match="not installed"):
        _ = app.phone


def _broken(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/start"):
        raise httpx.ConnectError("connection refused", request=request)
    return httpx.Response(500, text="<html>oops</html>")


def _tap_login_with(world: Any, client: httpx.Client) -> Any:
    """A phone whose VssID app talks through ``client``, after the user taps "log in with
    VNeID"; returns the phone."""
    phone = world.phone(vssid=None)
    phone.install(VssIDApp("1.6.7", client))
    phone.switch_to("vssid")
    phone.app("vssid").tap("vssid-login-vneid")
    return phone


def test_unreachable_backend_is_an_error_screen_not_a_crash(world: Any) -> None:
    with httpx.Client(
        base_url="http://api.vssid.test", transport=httpx.MockTransport(_broken)
    ) as client:
        phone = _tap_login_with(world, client)
        assert phone.screen().error == "provider_unavailable"
        phone.app("vssid").storage["transaction_id"] = "t"
        phone.open_url("vssid://auth/vneid/callback?code=x", source="t")
        screen = phone.screen()
        assert screen.error == "server_error"
        assert screen.data["status"] == 500


def test_a_transport_error_quoting_a_credential_is_redacted_on_the_screen(world: Any) -> None:
    """S-5: h11 refuses a header value with a control character by quoting the whole header
    (``Bearer <session token>``); the error screen showed the credential as it was."""
    secret = "leaked-session-token-0123456789abcdefghij"

    def quoting(request: httpx.Request) -> httpx.Response:
        raise httpx.LocalProtocolError(f"Illegal header value b'Bearer {secret}\\n'")

    with httpx.Client(
        base_url="http://api.vssid.test", transport=httpx.MockTransport(quoting)
    ) as client:
        screen = _tap_login_with(world, client).screen()
        assert screen.error == "provider_unavailable"
        assert "Bearer [REDACTED]" in str(screen.data)
        assert secret not in str(screen.data)


def _cut_short(status: int) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            status,
            content=b'{"transaction_id": "t-1", "authorize_u',
            headers={"content-type": "application/json"},
        )

    return answer


@pytest.mark.parametrize("status", [200, 400])
def test_an_answer_cut_short_says_so_on_the_error_screen(world: Any, status: int) -> None:
    """A vendor's backend whose answer was cut mid-body: a 2xx showed as "the answer lacks
    'transaction_id'", a 4xx as a refusal of ``invalid_request`` with no word of why, and
    the suite's failure named neither the call nor the broken body (a review)."""
    with httpx.Client(
        base_url="http://api.vssid.test", transport=httpx.MockTransport(_cut_short(status))
    ) as client:
        screen = _tap_login_with(world, client).screen()
    said = screen.data["error_description"]
    assert said == (
        f"POST /api/v1/auth/vneid/start answered {status} with a body that is not JSON (38 bytes)"
    )
    assert screen.error == ("server_error" if status == 200 else "invalid_request")


def test_json_that_is_not_an_object_says_so(world: Any) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=["t-1"]))
    with httpx.Client(base_url="http://api.vssid.test", transport=transport) as client:
        screen = _tap_login_with(world, client).screen()
    assert screen.error == "server_error"
    assert screen.data["error_description"] == (
        "POST /api/v1/auth/vneid/start answered 200 with JSON that is not an object (a list)"
    )


@pytest.mark.parametrize(
    ("value", "kind"),
    [(True, "a boolean"), ([], "an array"), ({"t": "x"}, "an object"), (1.5, "a number")],
)
def test_a_field_that_is_not_text_says_what_it_is(world: Any, value: Any, kind: str) -> None:
    """``true`` passed as a field (Python's bool is an int) and was kept as "True"; the rest
    were "the answer lacks 'transaction_id'", though the answer has it."""
    answer = {"transaction_id": value, "authorize_url": "vneid://x", "expires_in": 300}
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=answer))
    with httpx.Client(base_url="http://api.vssid.test", transport=transport) as client:
        screen = _tap_login_with(world, client).screen()
    assert screen.error == "server_error"
    assert screen.data["error_description"] == f"the answer's 'transaction_id' is {kind}, not text"


def test_a_relying_party_that_dropped_the_connection_did_not_refuse(world: Any) -> None:
    """A callback the relying party never answered (its connection dropped at ``complete``)
    is an error screen the app makes itself (``provider_unavailable``, with §8's clause
    filled in): ``assert_error_screen(code=None)``, what a vendor's relying party is held to
    for a callback to another redirect_uri (R-4), took it for a §8 refusal, and the test
    passed against a relying party that died on that callback."""
    from scenarios.support import assert_error_screen

    def dropped(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/complete"):
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        return httpx.Response(
            200,
            json={"transaction_id": "t-1", "authorize_url": "vneid://authorize?x=1"},
        )

    with httpx.Client(
        base_url="http://api.vssid.test", transport=httpx.MockTransport(dropped)
    ) as client:
        phone = _tap_login_with(world, client)
        phone.open_url("vssid://auth/vneid/callback?code=x&state=y", source="t")
        screen = phone.screen()
        assert screen.error == "provider_unavailable"
        with pytest.raises(AssertionError, match=r"expected vssid's server to refuse.*no answer"):
            assert_error_screen(screen, app="vssid", code=None)
