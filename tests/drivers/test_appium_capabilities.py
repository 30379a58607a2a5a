"""The appium driver's capabilities file: the shipped one, the worked example, bad files,
and reading a native app's screen by its automation ids (against a fake device)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from harness.drivers import Driver
from harness.drivers.appium import AppiumNativeDriver, open_remote
from harness.drivers.appium_config import (
    DEFAULT_CAPABILITIES,
    AppiumConfig,
    Locator,
    load_capabilities,
)
from harness.drivers.appium_server import check_server
from harness.drivers.runtime import UIRuntime
from harness.errors import ConfigError, HarnessError, NoSuchElement
from harness.processes import free_port

EXAMPLE = DEFAULT_CAPABILITIES.with_name("uiautomator2-example.yaml")


def test_the_shipped_file_drives_the_web_renderings_in_chromium() -> None:
    config = load_capabilities()
    assert (config.server, config.mode) == ("local", "web")
    assert config.locator.of("vssid-login-vneid") == (
        "css selector",
        '[data-testid="vssid-login-vneid"]',
    )
    android = config.capabilities_for("android")
    ios = config.capabilities_for("ios")
    assert android["appium:automationName"] == "Chromium"
    assert android["goog:chromeOptions"]["mobileEmulation"] == {"deviceName": "Pixel 7"}
    assert "iPhone" in ios["goog:chromeOptions"]["mobileEmulation"]["userAgent"]
    assert ios["goog:chromeOptions"]["binary"] == "/usr/bin/chromium"
    assert "--headless=new" in ios["goog:chromeOptions"]["args"]
    ports = {android["appium:chromedriverPort"], ios["appium:chromedriverPort"]}
    assert len(ports) == 2
    assert all(isinstance(p, int) and p > 0 for p in ports)
    assert "mobileEmulation" not in config.capabilities["goog:chromeOptions"], (
        "the per-platform merge must not leak into the shared capabilities"
    )


def test_the_worked_example_is_a_native_uiautomator2_setup() -> None:
    config = load_capabilities(EXAMPLE)
    assert config.mode == "native"
    assert config.server == "http://127.0.0.1:4723"
    assert config.locator.of("vneid-approve") == ("accessibility id", "vneid-approve")
    android = config.capabilities_for("android")
    assert android["appium:automationName"] == "UiAutomator2"
    assert isinstance(android["appium:systemPort"], int)
    assert android["appium:noReset"] is True
    assert config.capabilities_for("ios")["appium:automationName"] == "XCUITest"


BAD = [
    ("mode: web\nlocatr: {}\n", r"unknown key\(s\) locatr"),
    ("server: ftp://x\n", r"server must be 'local' or an http\(s\) URL"),
    # the value is shown redacted (S-5): it was echoed with its password
    ("server: ftp://u:hunter2@x/\n", r"got 'ftp://u:%5BREDACTED%5D@x/'"),
    ("mode: robot\n", r"mode must be 'web' .* or 'native'"),
    (
        "locator: {strategy: css selector, value: '[data-testid=x]'}\n",
        r"locator.value must contain \{id\}",
    ),
    ("locator: {value: '{id}'}\n", "locator.strategy must name an Appium locator strategy"),
    (
        "mode: native\nlocator: {strategy: accessibility id, value: '{id}'}\napps: {vssid: a.b}\n",
        r"mode native needs apps.vneid",
    ),
    (
        "locator: {strategy: xpath, value: '{id}'}\ncommand_timeout: 0\n",
        "command_timeout must be a positive number",
    ),
    (
        "locator: {strategy: xpath, value: '{id}'}\nplatforms: {windows: {}}\n",
        r"platforms has unknown section\(s\) windows",
    ),
    (
        "locator: {strategy: xpath, value: '{id}'}\ncapabilities: [1, 2]\n",
        "capabilities must be a mapping",
    ),
    ("- just\n- a list\n", "the file must be a mapping"),
    ("locator: {strategy: [\n", "is not valid YAML"),
    (
        "mode: native\nlocator: {strategy: accessibility id, value: '{id}'}\n"
        "apps: {vssid: , vneid: x}\n",
        r"mode native needs apps.vssid",
    ),
    (
        "mode: native\nlocator: {strategy: id, value: '{id}'}\napps: {vssid: [a], vneid: x}\n",
        r"apps.vssid must be the app id",
    ),
    (
        "locator: {strategy: id, value: '{id}'}\n",
        r"locator.strategy 'id' does not work in "
        r"mode web",
    ),
    (
        "locator: {strategy: accessibility id, value: '{id}'}\n",
        r"locator.strategy 'accessibility id' does not work in mode web",
    ),
]


BAD_IDS = [
    "unknown-key",
    "server",
    "server-with-password",
    "mode",
    "locator-without-id",
    "locator-without-strategy",
    "native-without-apps",
    "timeout",
    "platform",
    "capabilities-list",
    "list",
    "yaml",
    "native-null-app",
    "native-list-app",
    "web-id-strategy",
    "web-accessibility-id",
]


def test_a_bad_file_stops_the_run_before_any_test(pytester: pytest.Pytester) -> None:
    """It was read at the first phone: each UI test failed on its own, the failures filed
    under the scenarios' clauses (P-1, A-6) though the mistake was the file."""
    caps = pytester.path / "caps.yaml"
    caps.write_text("locator: {value: '{id}'}\n")
    pytester.makepyfile("def test_nothing():\n    pass\n")
    done = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--driver", "appium", "--appium-capabilities", str(caps)
    )
    assert done.ret == pytest.ExitCode.USAGE_ERROR
    done.stderr.fnmatch_lines(["*--appium-capabilities: *locator.strategy must name*"])


@pytest.mark.parametrize(("text", "message"), BAD, ids=BAD_IDS)
def test_a_bad_file_is_refused_naming_the_file_and_the_key(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "caps.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as refused:
        load_capabilities(path)
    assert str(path) in str(refused.value)


@pytest.mark.parametrize("timeout", [".nan", ".inf", "1.0e+999", "3601", "1" + "0" * 400])
def test_a_timeout_no_clock_takes_is_refused(tmp_path: Path, timeout: str) -> None:
    """YAML's .nan and .inf passed "positive": the server check then stopped the run with a
    ValueError or an OverflowError (a timeout of 10**400 with an OverflowError at once)."""
    path = tmp_path / "caps.yaml"
    path.write_text(f"locator: {{strategy: xpath, value: '{{id}}'}}\ncommand_timeout: {timeout}\n")
    with pytest.raises(
        ConfigError,
        match="command_timeout must be a positive number of seconds, at most 3600, got ",
    ):
        load_capabilities(path)


def test_a_command_timeout_under_a_second_is_kept_not_made_0(tmp_path: Path) -> None:
    """``int(command_timeout)`` made 0.5 a client timeout of 0, which urllib3 refuses: with
    an Appium server up, every session was "refused … with the capabilities of FILE:
    Attempted to set connect timeout to 0" (and 2.9 was 2)."""
    path = caps_with_server(tmp_path, f"http://127.0.0.1:{free_port()}")  # nothing there
    path.write_text(
        path.read_text(encoding="utf-8").replace("command_timeout: 30", "command_timeout: 0.5"),
        encoding="utf-8",
    )
    config = load_capabilities(path)
    assert config.command_timeout == 0.5
    with pytest.raises(HarnessError) as failed:
        open_remote(config.server, config, "android")
    assert "no Appium server answers at" in str(failed.value), failed.value
    assert "Attempted to set" not in str(failed.value)


@pytest.mark.parametrize("port", ["\uff14\uff17\uff12\uff13", "+4723", "99999"])
def test_a_server_port_that_is_no_port_is_refused(tmp_path: Path, port: str) -> None:
    """httpx took "４７２３" for 4723; with nothing there, the message's own urlsplit raised
    ValueError (a traceback instead of "no Appium server answers")."""
    path = tmp_path / "caps.yaml"
    path.write_text(
        f"server: 'http://u:s3cret@127.0.0.1:{port}'\n"
        "locator: {strategy: xpath, value: '{id}'}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="has a port that is not a number") as refused:
        load_capabilities(path)
    assert "s3cret" not in str(refused.value)  # S-5


def test_a_server_url_with_an_unclosed_bracket_is_not_said_to_have_a_bad_port(
    tmp_path: Path,
) -> None:
    """urlsplit refuses ``[::1:4723`` as no IPv6 URL: the port is not what is wrong, and the
    URL, which redact_url cannot take apart, is shown as '[REDACTED]' whole."""
    path = tmp_path / "caps.yaml"
    path.write_text("server: 'http://[::1:4723/wd/hub'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"not a usable URL \(Invalid IPv6 URL\)") as refused:
        load_capabilities(path)
    assert "port that is not" not in str(refused.value)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read the Appium capabilities file .*nope"):
        load_capabilities(tmp_path / "nope.yaml")


class FakeElement:
    def __init__(self, text: str, enabled: bool = True) -> None:
        self.text = text
        self.enabled = enabled
        self.clicked = 0
        self.keys: list[str] = []

    def is_enabled(self) -> bool:
        return self.enabled

    def click(self) -> None:
        self.clicked += 1

    def clear(self) -> None:
        self.keys.clear()

    def send_keys(self, text: str) -> None:
        self.keys.append(text)


class FakeDevice:
    """What AppiumNativeDriver needs of a WebDriver: elements by accessibility id."""

    def __init__(self, shown: dict[str, FakeElement]) -> None:
        self.shown = shown
        self.activated: list[str] = []
        self.quit_calls = 0
        self.current_package = "com.example.vssid"

    def find_elements(self, strategy: str, value: str) -> list[FakeElement]:
        assert strategy == "accessibility id"
        return [self.shown[value]] if value in self.shown else []

    def activate_app(self, app_id: str) -> None:
        self.activated.append(app_id)

    def quit(self) -> None:
        self.quit_calls += 1


def native_config() -> AppiumConfig:
    return AppiumConfig(
        source=Path("device.yaml"),
        server="http://127.0.0.1:4723",
        mode="native",
        locator=Locator("accessibility id", "{id}"),
        apps={"vssid": "com.example.vssid", "vneid": "com.example.vneid"},
    )


def test_a_native_screen_is_read_by_its_automation_ids() -> None:
    login = FakeElement("")
    device = FakeDevice({"vssid-login": FakeElement(""), "vssid-login-vneid": login})
    driver = AppiumNativeDriver(device, native_config())
    assert isinstance(driver, Driver)
    screen = driver.open_app("vssid")
    assert device.activated == ["com.example.vssid"]
    assert (screen.app, screen.id, screen.element_ids) == (
        "vssid",
        "vssid-login",
        ("vssid-login-vneid",),
    )
    driver.tap("vssid-login-vneid")
    assert login.clicked == 1
    # as the other drivers say it: the screen, and what is on it
    with pytest.raises(
        NoSuchElement,
        match=r"screen 'vssid-login' of 'vssid' has no element "
        r"'vneid-approve'; present: vssid-login-vneid$",
    ):
        driver.tap("vneid-approve")
    with pytest.raises(NoSuchElement, match="has no element 'vneid-passcode'"):
        driver.type("vneid-passcode", "1")
    driver.close()
    driver.close()
    assert device.quit_calls == 1


def test_a_native_error_screen_carries_its_code_and_home_its_person() -> None:
    error = FakeDevice(
        {
            "app-error": FakeElement(""),
            "app-error-message": FakeElement("Bạn đã huỷ đăng nhập"),
            "app-error-code": FakeElement("access_denied"),
        }
    )
    screen = AppiumNativeDriver(error, native_config()).screen()
    assert (screen.app, screen.id, screen.error) == ("vssid", "app-error", "access_denied")
    assert "Bạn đã huỷ đăng nhập" in screen.texts
    home = FakeDevice(
        {
            "vssid-home": FakeElement(""),
            "vssid-home-name": FakeElement("Trần Văn An"),
            "vssid-home-bhxh-code": FakeElement("0123456789"),
        }
    )
    data: dict[str, Any] = dict(AppiumNativeDriver(home, native_config()).screen().data)
    assert data == {"full_name": "Trần Văn An", "bhxh_code": "0123456789"}


def test_a_native_field_is_typed_into() -> None:
    field = FakeElement("")
    device = FakeDevice({"vneid-login": FakeElement(""), "vneid-personal-id": field})
    driver = AppiumNativeDriver(device, native_config())
    driver.type("vneid-personal-id", "001190123456")
    assert field.keys == ["001190123456"]
    assert driver.current_app() == "vneid"
    assert AppiumNativeDriver(FakeDevice({}), native_config()).current_app() is None


def caps_with_server(folder: Path, server: str) -> Path:
    """The shipped capabilities file, with ``server`` replaced."""
    text = DEFAULT_CAPABILITIES.read_text(encoding="utf-8")
    assert "\nserver: local\n" in text
    path = folder / "caps.yaml"
    path.write_text(text.replace("\nserver: local\n", f"\nserver: {server}\n"), encoding="utf-8")
    return path


def test_no_appium_at_the_files_url_stops_the_run_before_any_test(
    pytester: pytest.Pytester,
) -> None:
    """Each UI test failed on its own ("Appium at URL refused a ios session … Connection
    refused", with urllib3's retry warnings), ~25 s for 9 tests, exit 1 (a review)."""
    port = free_port()  # nothing listens there
    caps = caps_with_server(pytester.path, f"http://127.0.0.1:{port}")
    pytester.makepyfile("def test_phone(device):\n    device('ios')\n")
    done = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--driver", "appium", "--appium-capabilities", str(caps)
    )
    assert done.ret == pytest.ExitCode.USAGE_ERROR
    done.stderr.fnmatch_lines(
        [
            f"*--appium-capabilities: no Appium server answers at http://127.0.0.1:{port} (the "
            f"`server` key of {caps}): *start one with `appium --address 127.0.0.1 --port {port}`*"
            "`server: local`*"
        ]
    )
    assert "Traceback" not in done.stderr.str() + done.stdout.str()


class _NotAppium(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><title>a web app</title>"
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def web_app() -> Iterator[str]:
    """The URL of an HTTP server that is no Appium (it answers every GET with a page)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotAppium)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_server_that_is_not_appium_is_named_so(web_app: str, tmp_path: Path) -> None:
    source = tmp_path / "caps.yaml"
    with pytest.raises(
        ConfigError,
        match=r"the server at http://127.0.0.1:\d+ \(the `server` "
        r"key of .*caps.yaml\) is not Appium: GET /status answered HTTP 200 "
        r"\(text/html\), not a WebDriver status",
    ):
        check_server(web_app, source)


def test_a_hubs_credentials_are_in_no_message(web_app: str, tmp_path: Path) -> None:
    """docs/drivers.md has a device farm's hub URL carry its credentials in ``server``; the
    server check printed them in both of its messages (a re-read of the change). A hub
    elsewhere is not told to start a local Appium."""
    source = tmp_path / "caps.yaml"
    with pytest.raises(ConfigError) as not_appium:
        check_server(web_app.replace("http://", "http://alice:S3CRETKEY@"), source)
    port = free_port()
    with pytest.raises(ConfigError) as nothing:
        check_server(f"http://alice:S3CRETKEY@127.0.0.1:{port}/wd/hub", source)
    with pytest.raises(ConfigError) as remote:
        check_server("http://alice:S3CRETKEY@hub.invalid/wd/hub", source, timeout=2)
    for said in (str(not_appium.value), str(nothing.value), str(remote.value)):
        assert "S3CRETKEY" not in said
        assert "alice:%5BREDACTED%5D@" in said, said
    assert f"`appium --address 127.0.0.1 --port {port}`" in str(nothing.value)
    assert "appium --address" not in str(remote.value)
    assert "check that the server runs and the URL" in str(remote.value)


def test_the_runtime_checks_the_files_server_once_at_first_use(tmp_path: Path) -> None:
    port = free_port()
    runtime = UIRuntime(
        root=tmp_path, appium_capabilities=caps_with_server(tmp_path, f"http://127.0.0.1:{port}")
    )
    with pytest.raises(ConfigError, match=f"no Appium server answers at http://127.0.0.1:{port}"):
        runtime.appium_url()
    assert runtime.started == ()
