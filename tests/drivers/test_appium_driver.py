"""The appium driver on the web renderings (Appium 3's Chromium driver, the shipped
capabilities): a login on an emulated Pixel, a custom-scheme link seen in Chromium's
performance log and handed to the phone's OS, and a closed phone's session serving the next
phone of its platform with nothing of the first left in it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.drivers import Driver
from harness.drivers.appium import AppiumWebDriver
from harness.drivers.runtime import UIRuntime
from harness.flows import login_with_vneid
from harness.targets import Target, embedded_target
from harness.trace import LinkOpened
from harness.world import PersonaPool, make_device
from tests.drivers.half_login import type_then_look_at_vssid

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def runtime() -> Iterator[UIRuntime]:
    with UIRuntime(root=ROOT) as made:
        yield made
    assert made.started == ()


@pytest.fixture
def world() -> Iterator[Target]:
    target = embedded_target(seed="appium-driver")
    yield target
    target.close()


def test_a_citizen_logs_in_through_appium_on_an_emulated_pixel(
    runtime: UIRuntime, world: Target
) -> None:
    citizen = PersonaPool(world, seed="a").new()
    device = make_device(world, "android", driver="appium", runtime=runtime)
    try:
        assert isinstance(device.driver, AppiumWebDriver)
        assert isinstance(device.driver, Driver)
        screen = login_with_vneid(device.driver, citizen)
        assert (screen.app, screen.id) == ("vssid", "vssid-home")
        assert screen.data["bhxh_code"] == citizen.bhxh_code
        remote = device.driver.remote
        assert "Pixel 7" in remote.execute_script("return navigator.userAgent")
        assert runtime.started == ("phone-server", "appium-server")
    finally:
        device.close()


def test_typed_values_stay_in_their_app_across_an_app_switch(
    runtime: UIRuntime, world: Target
) -> None:
    """What was typed into VNeID's fields survives a switch to VssID and back, as in the
    sim and web drivers."""
    citizen = PersonaPool(world, seed="a").new()
    device = make_device(world, "android", driver="appium", runtime=runtime)
    try:
        back = type_then_look_at_vssid(device.driver, citizen)
        assert back.element("vneid-personal-id").value == citizen.personal_id
        assert device.driver.tap("vneid-login-submit").id == "vneid-consent"
    finally:
        device.close()


def test_a_custom_scheme_link_reaches_the_os_through_the_performance_log(
    runtime: UIRuntime, world: Target
) -> None:
    device = make_device(world, "ios", driver="appium", runtime=runtime)
    try:
        assert isinstance(device.driver, AppiumWebDriver)

        def page(request: httpx.Request) -> httpx.Response:
            return httpx.Response(
                200,
                headers={"content-type": "text/html"},
                text=(
                    '<!doctype html><html><body><main data-testid="example-page">'
                    '<a data-testid="open-vneid" href="vneid://authorize?client_id=x">VNeID</a>'
                    "</main></body></html>"
                ),
            )

        device.driver.session.origins["https://example.test"] = httpx.Client(
            base_url="https://example.test", transport=httpx.MockTransport(page)
        )
        device.phone.open_url("https://example.test/", source="test")
        assert device.driver.screen().element("open-vneid").kind == "link"
        after = device.driver.tap("open-vneid")
        assert (after.app, after.id) == ("vneid", "vneid-login")
        opened = [e for e in device.trace.of_type(LinkOpened) if e.source == "browser"]
        assert [(e.target, e.form) for e in opened] == [("vneid", "custom")]
        assert device.driver.open_app("vssid").id == "vssid-login"
    finally:
        device.close()


def test_the_next_phone_of_a_platform_gets_the_closed_phones_session_clean(
    runtime: UIRuntime, world: Target
) -> None:
    first = make_device(world, "android", driver="appium", runtime=runtime)
    try:
        assert isinstance(first.driver, AppiumWebDriver)
        remote = first.driver.remote
        assert first.driver.open_app("vssid").id == "vssid-login"
        remote.execute_script(
            "document.cookie = 'left=behind; path=/'; localStorage.setItem('left', 'behind');"
        )
        assert "left=behind" in remote.execute_script("return document.cookie")
    finally:
        first.close()
    assert runtime.appium_pool().idle("android") >= 1
    second = make_device(world, "android", driver="appium", runtime=runtime)
    try:
        assert isinstance(second.driver, AppiumWebDriver)
        assert second.driver.remote.session_id == remote.session_id, "no new Chromium"
        assert second.driver.open_app("vssid").id == "vssid-login"
        assert second.driver.remote.execute_script("return document.cookie") == ""
        assert second.driver.remote.execute_script("return localStorage.length") == 0
        other = make_device(world, "android", driver="appium", runtime=runtime)
        try:
            assert isinstance(other.driver, AppiumWebDriver)
            assert other.driver.remote.session_id != remote.session_id, (
                "two phones alive at once never share a session"
            )
        finally:
            other.close()
    finally:
        second.close()
