"""The Driver interface and SimDriver: UI-shaped, automation ids only."""

from __future__ import annotations

from typing import Any

import pytest

from harness.drivers import Driver
from harness.drivers.sim import SimDriver
from harness.errors import HarnessError


def test_sim_driver_is_a_driver(world: Any) -> None:
    driver = world.driver()
    assert isinstance(driver, Driver)
    assert driver.name == "sim"


def test_open_app_and_screen(world: Any) -> None:
    driver = world.driver()
    assert driver.current_app() is None
    assert driver.screen().id == "launcher"
    assert driver.open_app("vssid").id == "vssid-login"
    assert driver.current_app() == "vssid"
    assert driver.screen().id == "vssid-login"


def test_tap_returns_the_foreground_screen(world: Any) -> None:
    driver = world.driver(vneid=None)
    driver.open_app("vssid")
    screen = driver.tap("vssid-login-vneid")
    assert driver.current_app() == "store"
    assert screen.id == "store"


def test_on_the_launcher_only_its_icons_can_be_tapped(world: Any) -> None:
    driver = world.driver()
    with pytest.raises(
        HarnessError,
        match="screen 'launcher' has no element 'vssid-login-vneid'; present: vssid, vneid",
    ):
        driver.tap("vssid-login-vneid")
    assert driver.tap("vssid").id == "vssid-login"


def test_unknown_element_names_screen_and_elements(world: Any) -> None:
    driver = world.driver()
    driver.open_app("vssid")
    with pytest.raises(
        HarnessError, match="screen 'vssid-login' has no element 'nope'; present: vssid-login-vneid"
    ):
        driver.tap("nope")


def test_open_app_not_installed(world: Any) -> None:
    with pytest.raises(HarnessError, match="not installed"):
        world.driver(vneid=None).open_app("vneid")


def test_closed_driver_refuses(world: Any) -> None:
    driver: SimDriver = world.driver()
    driver.close()
    for act in (
        driver.screen,
        lambda: driver.open_app("vssid"),
        lambda: driver.tap("vssid-login-vneid"),
        lambda: driver.type("vneid-personal-id", "1"),
    ):
        with pytest.raises(HarnessError, match="closed"):
            act()
