"""The web driver in a real Chromium (Debian's, through Playwright): logins, the store, the
display following the phone, typed values, custom-scheme links, screenshots, traces."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.drivers import Driver, rendered
from harness.drivers.runtime import UIRuntime
from harness.drivers.sim import SimDriver
from harness.drivers.web import CHROMIUM_ENV, PlaywrightDriver, chromium_executable
from harness.errors import ConfigError, HarnessError
from harness.flows import enter_credentials, login_with_vneid, start_vneid_login
from harness.protocol import parse_callback
from harness.targets import Target, embedded_target
from harness.trace import LinkOpened
from harness.world import Device, DeviceFactory, PersonaPool, make_device
from tests.drivers.half_login import type_then_look_at_vssid

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def runtime() -> Iterator[UIRuntime]:
    with UIRuntime(root=ROOT) as made:
        yield made


@pytest.fixture
def world() -> Iterator[Target]:
    target = embedded_target(seed="web-driver")
    yield target
    target.close()


@pytest.fixture
def phone(runtime: UIRuntime, world: Target) -> Iterator[DeviceFactory]:
    made: list[Device] = []

    def make(platform: str = "ios", **kwargs: Any) -> Device:
        device = make_device(world, platform, driver="web", runtime=runtime, **kwargs)
        made.append(device)
        return device

    yield make
    for device in made:
        device.close()


def web(device: Device) -> PlaywrightDriver:
    assert isinstance(device.driver, PlaywrightDriver)
    return device.driver


def test_a_citizen_logs_in_on_an_emulated_iphone(
    phone: DeviceFactory, world: Target, runtime: UIRuntime
) -> None:
    citizen = PersonaPool(world, seed="w").new()
    device = phone("ios")
    assert isinstance(device.driver, Driver)
    screen = login_with_vneid(device.driver, citizen)
    assert (screen.app, screen.id) == ("vssid", "vssid-home")
    assert (screen.data["full_name"], screen.data["bhxh_code"]) == (
        citizen.full_name,
        citizen.bhxh_code,
    )
    assert citizen.full_name in screen.texts
    page = web(device).page
    assert "iPhone" in page.evaluate("navigator.userAgent")
    assert page.evaluate("window.innerWidth") == 390
    assert page.locator('[data-testid="vssid-home-name"]').inner_text() == citizen.full_name
    assert device.driver.current_app() == "vssid"
    session = web(device).session
    assert session in runtime.phone_server().sessions
    device.close()
    assert session not in runtime.phone_server().sessions


def test_missing_vneid_opens_its_store_page_on_a_pixel(phone: DeviceFactory, world: Target) -> None:
    device = phone("android", vneid=None)
    screen = start_vneid_login(device.driver)
    assert (screen.app, screen.id) == ("store", "store")
    assert screen.data["url"] == world.profile.store_link("vneid", "android")
    assert device.driver.current_app() == "store"
    page = web(device).page
    assert "Pixel 7" in page.evaluate("navigator.userAgent")
    assert page.locator('[data-testid="store-url"]').inner_text() == screen.data["url"]


def test_typed_values_read_back_and_the_passcode_stays_masked(
    phone: DeviceFactory, world: Target
) -> None:
    citizen = PersonaPool(world, seed="w").new()
    device = phone("android")
    start_vneid_login(device.driver)
    device.driver.type("vneid-personal-id", citizen.personal_id)
    device.driver.type("vneid-passcode", citizen.passcode)
    screen = device.driver.screen()
    assert screen.element("vneid-personal-id").value == citizen.personal_id
    assert screen.element("vneid-passcode").value == "•" * len(citizen.passcode)
    assert device.vneid_app.storage.get("session") is None  # nothing sent before the tap
    assert device.driver.tap("vneid-login-submit").id == "vneid-consent"


def test_typed_values_stay_in_their_app_across_an_app_switch(
    phone: DeviceFactory, world: Target
) -> None:
    """As on a phone (and in the sim driver), an app the user switches away from keeps what
    was typed into its fields: back in VNeID, the login goes on with it."""
    citizen = PersonaPool(world, seed="w").new()
    device = phone("ios")
    back = type_then_look_at_vssid(device.driver, citizen)
    assert back.element("vneid-personal-id").value == citizen.personal_id
    assert back.element("vneid-passcode").value == "•" * len(citizen.passcode)
    assert device.driver.tap("vneid-login-submit").id == "vneid-consent"


def test_an_erased_field_is_empty_as_in_the_sim_driver(phone: DeviceFactory, world: Target) -> None:
    citizen = PersonaPool(world, seed="w").new()
    device = phone("ios")
    type_then_look_at_vssid(device.driver, citizen)
    device.driver.type("vneid-passcode", "")
    device.driver.type("vneid-personal-id", "")
    assert device.driver.screen().element("vneid-personal-id").value in (None, "")
    refused = device.driver.tap("vneid-login-submit")
    assert (refused.id, refused.error) == ("app-error", "invalid_request"), refused


def test_the_display_follows_the_phone_when_it_changes_behind_the_page(
    phone: DeviceFactory, world: Target
) -> None:
    citizen = PersonaPool(world, seed="w").new()
    device = phone("ios")
    start_vneid_login(device.driver)
    assert enter_credentials(device.driver, citizen).id == "vneid-consent"
    device.phone.restart("vneid")  # VNeID killed in front: relaunched on its home screen
    assert device.driver.screen().id == "vneid-home"
    device.phone.open_store("vssid")
    assert device.driver.current_app() == "store"
    with pytest.raises(HarnessError, match="screen 'store' has no element 'vneid-approve'"):
        device.driver.tap("vneid-approve")


def test_a_custom_scheme_link_tapped_in_the_browser_goes_to_the_os(phone: DeviceFactory) -> None:
    """Chromium does not follow vssid://…; the driver sees the request, hands it to the
    phone's OS and goes on in a fresh page, where taps work again."""
    device = phone("android")
    session = web(device).session

    def example(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            headers={"content-type": "text/html"},
            text=(
                '<!doctype html><html><body><main data-testid="example-page">'
                '<a data-testid="open-vssid" href="vssid://auth/vneid/callback?code=c&state=s">'
                "Mở VssID</a></main></body></html>"
            ),
        )

    session.origins["https://example.test"] = httpx.Client(
        base_url="https://example.test", transport=httpx.MockTransport(example)
    )
    assert device.phone.open_url("https://example.test/start", source="test").target == "browser"
    screen = device.driver.screen()
    assert (screen.app, screen.id) == ("browser", "browser")
    assert screen.data["url"] == "https://example.test/start"
    assert screen.element("open-vssid").kind == "link"
    after = device.driver.tap("open-vssid")
    assert (after.app, after.id, after.error) == ("vssid", "app-error", "transaction_not_found")
    opened = [e for e in device.trace.of_type(LinkOpened) if e.source == "browser"]
    assert [(e.target, e.form) for e in opened] == [("vssid", "custom")]
    assert device.driver.open_app("vneid").id == "vneid-home"


def test_a_tap_on_what_the_screen_lacks_fails_like_the_sim_driver(phone: DeviceFactory) -> None:
    device = phone("ios")
    device.driver.open_app("vssid")
    with pytest.raises(HarnessError, match="screen 'vssid-login' has no element 'nope'"):
        device.driver.tap("nope")
    with pytest.raises(HarnessError, match="'vssid-login-vneid' on 'vssid-login' is a button"):
        device.driver.type("vssid-login-vneid", "x")
    with pytest.raises(HarnessError, match="'hijacker' is not installed"):
        device.driver.open_app("hijacker")
    for driver in (device.driver, SimDriver(device.phone)):
        with pytest.raises(HarnessError, match=r"takes the text to type \(a str\), got NoneType"):
            driver.type("vneid-personal-id", None)  # type: ignore[arg-type]
        # a browser's field drops a line break, Appium types it as Enter: refused alike
        for text in ("0010900\n12345", "a\tb", "x\x7f", "y\x85"):
            with pytest.raises(HarnessError, match="holds the control character"):
                driver.type("vneid-personal-id", text)


def test_a_launcher_icon_opens_its_app_in_both_drivers(phone: DeviceFactory) -> None:
    web_phone, sim_phone = phone("ios"), phone("ios")
    for driver in (web_phone.driver, SimDriver(sim_phone.phone)):
        launcher = driver.screen()
        assert (launcher.id, launcher.element_ids) == ("launcher", ("vssid", "vneid"))
        assert driver.tap("vneid").id == "vneid-home", driver.name
        assert driver.current_app() == "vneid"
    with pytest.raises(HarnessError, match="screen 'launcher' has no element 'nope'"):
        SimDriver(phone("ios").phone).tap("nope")


def test_each_new_screen_is_attached_as_a_screenshot_when_allure_records(
    phone: DeviceFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    shots: list[tuple[str, bytes]] = []
    monkeypatch.setattr(rendered, "allure_recording", lambda: True)
    monkeypatch.setattr(rendered, "attach_png", lambda png, name: shots.append((name, png)))
    device = phone("android", vneid=None)
    start_vneid_login(device.driver)
    device.driver.screen()  # the same page: no second screenshot
    assert [name for name, _ in shots] == ["vssid · vssid-login", "store · store"]
    assert all(png.startswith(b"\x89PNG") for _, png in shots)


def test_no_screenshot_is_taken_when_allure_does_not_record(
    phone: DeviceFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    def forbidden(self: PlaywrightDriver) -> bytes:
        raise AssertionError("a screenshot was taken")

    monkeypatch.setattr(PlaywrightDriver, "_screenshot", forbidden)
    assert not rendered.allure_recording()
    device = phone("ios")
    assert device.driver.open_app("vssid").id == "vssid-login"


def test_a_failed_test_keeps_the_trace_and_the_last_screen(
    phone: DeviceFactory, tmp_path: Path
) -> None:
    device = phone("ios")
    device.driver.open_app("vssid")
    kept = web(device).keep_artifacts(tmp_path, "failed-test")
    assert sorted(p.name for p in kept) == ["failed-test.png", "failed-test.trace.zip"]
    assert (tmp_path / "failed-test.png").read_bytes().startswith(b"\x89PNG")
    with zipfile.ZipFile(tmp_path / "failed-test.trace.zip") as trace:
        assert any(name.endswith(".trace") for name in trace.namelist())


@pytest.mark.clause("S-5")
def test_the_kept_trace_holds_no_passcode_and_no_code(
    phone: DeviceFactory, world: Target, tmp_path: Path
) -> None:
    """Playwright records what was typed (the passcode as the fill's value and in the DOM
    snapshots) and every request (the callback with its code): the kept trace is scrubbed."""
    device = phone("android")
    citizen = PersonaPool(world, seed="trace-scrub").new()
    assert login_with_vneid(device.driver, citizen).id == "vssid-home"
    code = parse_callback(device.last_link_to("vssid://")).code  # the raw link, in memory
    assert code
    kept = web(device).keep_artifacts(tmp_path, "after-login")
    with zipfile.ZipFile(next(p for p in kept if p.suffix == ".zip")) as trace:
        members = {n: trace.read(n) for n in trace.namelist() if not n.endswith((".jpeg", ".png"))}
    text = b"".join(members.values())
    assert citizen.passcode.encode() not in text
    assert code.encode() not in text
    assert b"[REDACTED]" in text
    for name, data in members.items():  # the JSON-lines members are still JSON
        if name.endswith((".trace", ".network")):
            for line in data.decode().splitlines():
                if line.strip():
                    json.loads(line)


@pytest.mark.clause("S-5")
def test_a_passcode_typed_and_not_sent_stays_out_of_the_kept_trace(
    phone: DeviceFactory, world: Target, tmp_path: Path
) -> None:
    """A test failing between typing the passcode and sending it: no provider's exchange
    held the passcode, so the phone's trace did not know it, and the kept Playwright trace
    had it five times (the fill's value, the DOM snapshots, the read script's result)."""
    device = phone("ios")
    citizen = PersonaPool(world, seed="typed-not-sent").new()
    start_vneid_login(device.driver)
    device.driver.type("vneid-personal-id", citizen.personal_id)
    device.driver.type("vneid-passcode", citizen.passcode)
    shown = device.driver.screen()
    assert shown.element("vneid-passcode").value == "•" * len(citizen.passcode)
    kept = web(device).keep_artifacts(tmp_path, "typed-not-sent")
    with zipfile.ZipFile(next(p for p in kept if p.suffix == ".zip")) as trace:
        text = b"".join(
            trace.read(n) for n in trace.namelist() if not n.endswith((".jpeg", ".png"))
        )
    assert citizen.passcode.encode() not in text
    assert citizen.personal_id.encode() in text, "what is no secret is kept"


def test_a_tap_the_server_refuses_is_an_error_at_once(phone: DeviceFactory) -> None:
    """A tap whose form is over the server's limit is refused as the tap's answer, not left
    for the driver to wait out its timeout (which raised "asked for nothing within 10.0 s")."""
    device = phone("android")
    start_vneid_login(device.driver)
    device.driver.type("vneid-personal-id", "1" * 70_000)
    with pytest.raises(HarnessError, match="a tap carries at most 65536 bytes"):
        device.driver.tap("vneid-login-submit")


def scrub_secret(text: str) -> str:
    return text.replace("S3CRET-PASSCODE", "[REDACTED]")


def test_scrubbing_a_trace_keeps_images_and_rewrites_text(tmp_path: Path) -> None:
    from harness.drivers.web import scrub_trace_zip

    path = tmp_path / "t.trace.zip"
    image = b"\x89PNG S3CRET-PASSCODE"  # not text: left as it is
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            "trace.trace",
            '{"type":"fill","value":"S3CRET-PASSCODE","t":5}\n'
            '{"html":"<a href=\\"/x?code=C0DE1234\\u0026s=1\\">"}\n',
        )
        z.writestr("trace.network", '{"url":"vssid://cb?code=C0DE1234&state=s"}\n')
        z.writestr("resources/page.html", "<p>S3CRET-PASSCODE</p>")
        z.writestr("resources/page@1.png", image)
    scrub_trace_zip(path, scrub_secret)
    with zipfile.ZipFile(path) as z:
        lines = [json.loads(line) for line in z.read("trace.trace").decode().splitlines()]
        assert lines[0] == {"type": "fill", "value": "[REDACTED]", "t": 5}
        assert "C0DE1234" not in lines[1]["html"]
        assert b"C0DE1234" not in z.read("trace.network")
        assert z.read("resources/page.html") == b"<p>[REDACTED]</p>"
        assert z.read("resources/page@1.png") == image
    assert not list(tmp_path.glob("*.partial"))


def test_a_missing_chromium_names_make_setup(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(CHROMIUM_ENV, str(tmp_path / "no-chromium"))
    with pytest.raises(ConfigError, match=r"Chromium is missing at .*run `make setup`"):
        chromium_executable()
    monkeypatch.delenv(CHROMIUM_ENV)
    assert chromium_executable() == Path("/usr/bin/chromium")


def test_a_failing_test_keeps_its_trace_and_the_session_closes_chromium(
    pytester: pytest.Pytester,
) -> None:
    """The browser processes are gone once the session ends (checked inside the run, before
    the process exits and takes Playwright's children with it)."""
    chromium_executable()
    pids, alive_after = pytester.path / "pids.json", pytester.path / "alive.json"
    pytester.makeconftest(f"""
        import json, os

        def _alive(pid):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return False
            state = open(f"/proc/{{pid}}/stat").read().rsplit(")", 1)[1].split()[0]
            return state != "Z"

        def pytest_unconfigure(config):
            tree = json.loads(open({str(pids)!r}).read())
            json.dump([pid for pid, _ in tree if _alive(pid)], open({str(alive_after)!r}, "w"))
    """)
    pytester.makepyfile(f"""
        import json, os
        from harness.drivers.appium_server import descendants

        def test_fails_with_chromium_running(device):
            phone = device("android")
            assert phone.driver.open_app("vssid").id == "vssid-login"
            tree = [(pid, open(f"/proc/{{pid}}/comm").read().strip())
                    for pid in descendants(os.getpid())]
            json.dump(tree, open({str(pids)!r}, "w"))
            assert False, "this test fails on purpose"
    """)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--driver", "web", f"--rootdir={pytester.path}"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ui artifacts*", "*-0-android.trace.zip"])
    names = [name for _, name in json.loads(pids.read_text())]
    assert any("chrom" in name for name in names), names
    assert json.loads(alive_after.read_text()) == []
    traces = list((pytester.path / "reports" / "out" / "traces").glob("*.trace.zip"))
    assert len(traces) == 1


def test_a_ui_driver_without_its_runtime_or_an_unknown_driver_is_a_config_error(
    world: Target,
) -> None:
    with pytest.raises(ConfigError, match="the web driver needs the session's browser"):
        make_device(world, "ios", driver="web")
    with pytest.raises(ConfigError, match="unknown driver 'robot'; available: sim, web, appium"):
        make_device(world, "ios", driver="robot")


def test_a_teardown_error_of_a_live_browser_is_still_raised(
    runtime: UIRuntime, world: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.sync_api import Error

    device = make_device(world, "android", driver="web", runtime=runtime)
    context = web(device).context
    real_close = context.close

    def failing_close(*args: Any, **kwargs: Any) -> None:
        raise Error("the context would not close")

    monkeypatch.setattr(context, "close", failing_close)
    with pytest.raises(Error, match="the context would not close"):
        device.close()
    monkeypatch.undo()
    real_close()
