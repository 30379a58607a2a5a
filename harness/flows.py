"""User journeys over any :class:`~harness.drivers.Driver`, by automation ids only (§9).

:func:`login_with_vneid` runs the whole login of §4 as a user does it; the step functions let
a scenario stop half-way (e.g. kill VssID after the hand-off, or deliver a callback twice).
"""

from __future__ import annotations

from typing import Literal

from harness.apps.screens import (
    VNEID_APPROVE,
    VNEID_CONSENT,
    VNEID_DENY,
    VNEID_LOGIN,
    VNEID_LOGIN_SUBMIT,
    VNEID_PASSCODE,
    VNEID_PERSONAL_ID,
    VSSID_LOGIN,
    VSSID_LOGIN_VNEID,
    Screen,
)
from harness.apps.vssid import VssIDApp
from harness.device import Phone
from harness.drivers import Driver
from harness.errors import ConfigError, NoSuchElement
from harness.personas import Persona

__all__ = ["Decision", "decide", "enter_credentials", "login_with_vneid", "start_vneid_login"]

Decision = Literal["approve", "deny"]
_DECISIONS = ("approve", "deny")


_DRIVER_TYPES: set[type] = set()
"""Types already found to be drivers (a protocol check costs ~10 µs; a login makes four)."""


def _check_driver(driver: object, step: str) -> None:
    if type(driver) in _DRIVER_TYPES:
        return
    if isinstance(driver, Driver):
        _DRIVER_TYPES.add(type(driver))
        return
    hint = " (a phone: give phone.driver)" if hasattr(driver, "driver") else ""
    raise ConfigError(
        f"{step}: the first argument is a driver{hint}, not {type(driver).__name__} {driver!r:.40}"
    )


def _check_persona(persona: object, step: str) -> None:
    if not isinstance(persona, Persona):
        raise ConfigError(
            f"{step}: the persona is a harness.personas.Persona (from the personas fixture, "
            f"personas.new(...) or personas.from_file(...)), not {type(persona).__name__}"
        )


def _check_decision(decision: object, step: str) -> None:
    if decision not in _DECISIONS:
        raise ConfigError(f"{step}: decision={decision!r:.40} is 'approve' or 'deny'")


def _simulated_vssid(driver: Driver) -> VssIDApp | None:
    """The simulated VssID app behind ``driver``: the sim driver's phone, or the web and
    Appium-web drivers' (``driver.session.phone``); ``None`` for a real device's app."""
    phone = getattr(driver, "phone", None) or getattr(
        getattr(driver, "session", None), "phone", None
    )
    if not isinstance(phone, Phone) or "vssid" not in phone.installed:
        return None
    app = phone.app("vssid")
    return app if isinstance(app, VssIDApp) else None


def _below_minimum(driver: Driver) -> str:
    """Why VssID shows no VNeID entry (V-6), with the minimum of the protocol profile the app
    runs with (``--protocol-profile``; 1.6.7 by PROTOCOL.md's defaults)."""
    app = _simulated_vssid(driver)
    if app is None:  # a real device: its app knows its minimum, the harness does not
        return (
            "a VssID app below its minimum version (V-6: 1.6.7 by PROTOCOL.md's "
            "defaults; the real app's own otherwise) has none"
        )
    minimum = app.profile.vssid_min_version
    return (
        f"VssID {app.version} is below the minimum version of the protocol profile in "
        f"force (V-6: {minimum}) and has none"
    )


def start_vneid_login(driver: Driver) -> Screen:
    """A-1, A-3: open VssID and tap "Đăng nhập bằng tài khoản định danh điện tử"."""
    _check_driver(driver, "start_vneid_login")
    screen = driver.open_app("vssid")
    if screen.app == "vssid" and screen.id == VSSID_LOGIN and not screen.has(VSSID_LOGIN_VNEID):
        raise NoSuchElement(
            f"VssID's login screen shows no VNeID entry ({VSSID_LOGIN_VNEID}): "
            f"{_below_minimum(driver)}, so there is no VNeID login to start; to "
            f"test that, open the app (driver.open_app('vssid')) and assert the screen has "
            f"no {VSSID_LOGIN_VNEID}"
        )
    return driver.tap(VSSID_LOGIN_VNEID)


def enter_credentials(
    driver: Driver, persona: Persona, *, personal_id: str | None = None, passcode: str | None = None
) -> Screen:
    """A-4: type the persona's id and passcode into VNeID (or the given ones) and submit."""
    _check_driver(driver, "enter_credentials")
    _check_persona(persona, "enter_credentials")
    driver.type(VNEID_PERSONAL_ID, personal_id if personal_id is not None else persona.personal_id)
    driver.type(VNEID_PASSCODE, passcode if passcode is not None else persona.passcode)
    return driver.tap(VNEID_LOGIN_SUBMIT)


def decide(driver: Driver, decision: Decision = "approve") -> Screen:
    """A-5: approve or deny on VNeID's consent screen; the screen the OS lands on."""
    _check_driver(driver, "decide")
    _check_decision(decision, "decide")
    return driver.tap(VNEID_APPROVE if decision == "approve" else VNEID_DENY)


def login_with_vneid(driver: Driver, persona: Persona, *, decision: Decision = "approve") -> Screen:
    """The whole journey of §4; returns the final screen (``vssid-home`` on success)."""
    _check_driver(driver, "login_with_vneid")
    _check_persona(persona, "login_with_vneid")
    _check_decision(decision, "login_with_vneid")
    screen = start_vneid_login(driver)
    if screen.id == VNEID_LOGIN:
        screen = enter_credentials(driver, persona)
    if screen.id == VNEID_CONSENT:
        screen = decide(driver, decision)
    return screen
