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
    VSSID_LOGIN_VNEID,
    Screen,
)
from harness.drivers import Driver
from harness.personas import Persona

__all__ = ["Decision", "decide", "enter_credentials", "login_with_vneid", "start_vneid_login"]

Decision = Literal["approve", "deny"]


def start_vneid_login(driver: Driver) -> Screen:
    """A-1, A-3: open VssID and tap "Đăng nhập bằng tài khoản định danh điện tử"."""
    driver.open_app("vssid")
    return driver.tap(VSSID_LOGIN_VNEID)


def enter_credentials(driver: Driver, persona: Persona, *, personal_id: str | None = None,
                      passcode: str | None = None) -> Screen:
    """A-4: type the persona's id and passcode into VNeID (or the given ones) and submit."""
    driver.type(VNEID_PERSONAL_ID, personal_id if personal_id is not None
                else persona.personal_id)
    driver.type(VNEID_PASSCODE, passcode if passcode is not None else persona.passcode)
    return driver.tap(VNEID_LOGIN_SUBMIT)


def decide(driver: Driver, decision: Decision = "approve") -> Screen:
    """A-5: approve or deny on VNeID's consent screen; the screen the OS lands on."""
    return driver.tap(VNEID_APPROVE if decision == "approve" else VNEID_DENY)


def login_with_vneid(driver: Driver, persona: Persona, *,
                     decision: Decision = "approve") -> Screen:
    """The whole journey of §4; returns the final screen (``vssid-home`` on success)."""
    screen = start_vneid_login(driver)
    if screen.id == VNEID_LOGIN:
        screen = enter_credentials(driver, persona)
    if screen.id == VNEID_CONSENT:
        screen = decide(driver, decision)
    return screen
