"""The phone screen server over plain HTTP: render, tap and type, the launcher, the browser
proxy with its custom-scheme redirect handed to the OS, refusals, start and stop."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from harness.drivers.runtime import browser_origins
from harness.protocol import LinkForm
from harness.rp import RP_SCHEME, TestRelyingParty
from harness.targets import Target, embedded_target
from harness.trace import HttpExchange, LinkOpened
from harness.web import PhoneServer, PhoneSession
from harness.world import Device, PersonaPool, make_device
from tests.drivers.page_probe import Page, read_page


@pytest.fixture(scope="module")
def server() -> Iterator[PhoneServer]:
    with PhoneServer() as running:
        yield running


@pytest.fixture
def world() -> Iterator[Target]:
    target = embedded_target(seed="phone-server")
    yield target
    target.close()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def host(server: PhoneServer, target: Target, **kwargs: object) -> tuple[Device, PhoneSession]:
    device = make_device(target, "android", **kwargs)  # type: ignore[arg-type]
    session = server.register(device.phone, origins=browser_origins(device.phone, target))
    return device, session


def tap(
    http: httpx.Client, session: PhoneSession, page: Page, element: str, **fields: str
) -> httpx.Response:
    form = {"_tap": element, "_fingerprint": page.body["data-fingerprint"], **fields}
    return http.post(session.url + "/tap", data=form)


def test_tap_and_type_round_trip_through_the_apps(
    server: PhoneServer, world: Target, http: httpx.Client
) -> None:
    citizen = PersonaPool(world, seed="s").new()
    device, session = host(server, world)
    opened = http.get(session.open_url_for("vssid"))
    assert opened.status_code == 303
    assert opened.headers["location"] == session.path
    page = read_page(http.get(session.url).text)
    assert page.body["data-screen"] == "vssid-login"
    answer = tap(http, session, page, "vssid-login-vneid")
    assert (answer.status_code, answer.headers["location"]) == (303, session.path)
    login = read_page(http.get(session.url).text)
    assert (login.body["data-app"], login.body["data-screen"]) == ("vneid", "vneid-login")
    tap(
        http,
        session,
        login,
        "vneid-login-submit",
        **{"vneid-personal-id": citizen.personal_id, "vneid-passcode": citizen.passcode},
    )
    consent = read_page(http.get(session.url).text)
    assert consent.body["data-screen"] == "vneid-consent"
    tap(http, session, consent, "vneid-approve")
    home = read_page(http.get(session.url).text)
    assert home.body["data-screen"] == "vssid-home"
    assert home.testids["vssid-home-name"].text == citizen.full_name
    assert device.phone.foreground == "vssid"
    assert citizen.passcode not in repr(device.trace.to_json())
    server.unregister(session)
    device.close()


def test_a_stale_page_cannot_tap(server: PhoneServer, world: Target, http: httpx.Client) -> None:
    device, session = host(server, world)
    http.get(session.open_url_for("vssid"))
    page = read_page(http.get(session.url).text)
    device.phone.open_store("vneid")  # the phone changed behind the page
    answer = tap(http, session, page, "vssid-login-vneid")
    assert answer.status_code == 409
    assert "the screen changed" in read_page(answer.text).body["data-harness-error"]
    assert device.phone.foreground == "store"
    store = read_page(http.get(session.url).text)
    assert store.testids["store-url"].text.startswith("https://play.google.com/")
    server.unregister(session)
    device.close()


def test_typed_values_are_kept_only_for_the_screen_the_page_showed(
    server: PhoneServer, world: Target, http: httpx.Client
) -> None:
    device, session = host(server, world)
    http.get(session.open_url_for("vssid"))
    tap(http, session, read_page(http.get(session.url).text), "vssid-login-vneid")
    shown = read_page(http.get(session.url).text).body["data-fingerprint"]
    session.keep_typed({"vneid-personal-id": "001200000001", "vneid-passcode": "123456"}, shown)
    session.keep_typed({"vneid-personal-id": "001200000001", "vneid-passcode": ""}, shown)
    screen = device.phone.screen()
    assert screen.element("vneid-personal-id").value == "001200000001"
    assert screen.element("vneid-passcode").value == "••••••", (
        "a posted empty password field means nothing (it never carries its value back)"
    )
    session.keep_typed({"vneid-passcode": ""}, shown, explicit=True)
    assert device.phone.screen().element("vneid-passcode").value == "", "a driver erased it"
    session.keep_typed({"vneid-personal-id": ""}, shown)
    assert device.phone.screen().element("vneid-personal-id").value == "", (
        "an empty text field was erased"
    )
    session.keep_typed({"vneid-personal-id": "001200000001"}, shown)
    session.keep_typed({"vneid-personal-id": "079300000002"}, "another-screen")
    assert device.phone.screen().element("vneid-personal-id").value == "001200000001", (
        "a page of another screen types nothing"
    )
    device.phone.open_store("vneid")
    on_the_store = read_page(http.get(session.url).text).body["data-fingerprint"]
    session.keep_typed({"vneid-personal-id": "079300000002"}, on_the_store)  # nothing
    assert device.phone.foreground == "store"
    assert (
        device.phone.app("vneid").current_screen().element("vneid-personal-id").value
        == "001200000001"
    ), "the store has no fields to type into"
    server.unregister(session)
    device.close()


def test_refusals_are_harness_pages(server: PhoneServer, world: Target, http: httpx.Client) -> None:
    device, session = host(server, world, vneid=None)
    missing = http.get(session.open_url_for("vneid"))
    assert missing.status_code == 400
    assert "'vneid' is not installed" in read_page(missing.text).body["data-harness-error"]
    http.get(session.open_url_for("vssid"))
    page = read_page(http.get(session.url).text)
    absent = tap(http, session, page, "vneid-approve")
    assert absent.status_code == 400
    assert "has no element 'vneid-approve'" in read_page(absent.text).body["data-harness-error"]
    unknown = http.get(f"{server.url}/phone/nobody")
    assert unknown.status_code == 404
    server.unregister(session)
    gone = http.get(session.url)
    assert gone.status_code == 404
    device.close()


def test_launcher_icons_open_apps(server: PhoneServer, world: Target, http: httpx.Client) -> None:
    device, session = host(server, world)
    launcher = read_page(http.get(session.url).text)
    assert launcher.body["data-screen"] == "launcher"
    tap(http, session, launcher, "vneid")
    assert read_page(http.get(session.url).text).body["data-screen"] == "vneid-home"
    server.unregister(session)
    device.close()


def test_the_browser_shows_the_providers_web_login_and_hands_the_callback_to_the_os(
    server: PhoneServer, world: Target, http: httpx.Client
) -> None:
    """No VNeID app: the claimed https authorize link opens the phone's browser on the
    provider's web login (§9 ids, through the proxy); its final 302 to the relying party's
    custom scheme goes to the receiving app through the phone's OS, never to the browser."""
    citizen = PersonaPool(world, seed="s").new()
    device, session = host(server, world, vneid=None)
    receiver = device.install_receiver(RP_SCHEME)
    with TestRelyingParty(world.vneid, world.profile).register() as rp:
        login = rp.login(form=LinkForm.CLAIMED_HTTPS)
        assert device.phone.open_url(login.link, source="harness-rp").target == "browser"
        shown = http.get(session.url)
        assert shown.status_code == 303
        proxied = shown.headers["location"]
        assert proxied.startswith(f"{session.path}/web/https/vneid.test/authorize?")
        page = http.get(server.url + proxied)
        assert read_page(page.text).testids["vneid-login"].tag == "main"
        action = _form_action(page.text)
        assert action.startswith(f"{session.path}/web/http/id.vneid.test/")
        request_id = _hidden(page.text, "request_id")
        consent = http.post(
            server.url + action,
            data={
                "request_id": request_id,
                "personal_id": citizen.personal_id,
                "passcode": citizen.passcode,
            },
        )
        assert read_page(consent.text).testids["vneid-approve"].tag == "button"
        done = http.post(
            server.url + _form_action(consent.text),
            data={"request_id": request_id, "decision": "approve"},
        )
        assert (done.status_code, done.headers["location"]) == (303, session.path)
        assert device.phone.foreground == receiver.app_id
        assert len(receiver.received) == 1
        token = rp.redeem(rp.code_from(receiver.received[0]), login.code_verifier)
        assert token.status == 200, token.body
    links = [e for e in device.trace.of_type(LinkOpened) if e.source == "browser"]
    assert [urlsplit(e.url).scheme for e in links] == [RP_SCHEME]
    browser_calls = [e for e in device.trace.of_type(HttpExchange) if e.actor == "browser"]
    assert [urlsplit(e.url).path for e in browser_calls] == [
        "/authorize",
        "/authorize/login",
        "/authorize/decision",
    ]
    server.unregister(session)
    device.close()


def _form_action(html: str) -> str:
    found = re.search(r'<form method="post" action="([^"]+)"', html)
    assert found is not None, html[:500]
    return found.group(1)


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert found is not None, html[:500]
    return found.group(1)


def test_stop_closes_the_port_and_the_thread() -> None:
    server = PhoneServer().start()
    port = urlsplit(server.url).port
    assert port is not None
    assert httpx.get(f"{server.url}/health").json()["status"] == "ok"
    server.close()
    assert not server.running
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
