"""A login left half-way: the credentials typed into VNeID, then a look at VssID and back
(what the driver tests of typed text share)."""

from __future__ import annotations

from harness.apps.screens import Screen
from harness.drivers import Driver
from harness.flows import start_vneid_login
from harness.personas import Persona


def type_then_look_at_vssid(driver: Driver, citizen: Persona) -> Screen:
    """Start the login, type ``citizen``'s credentials into VNeID, open VssID (its login
    screen), come back to VNeID: VNeID's screen then."""
    start_vneid_login(driver)
    driver.type("vneid-personal-id", citizen.personal_id)
    driver.type("vneid-passcode", citizen.passcode)
    assert driver.open_app("vssid").id == "vssid-login"
    return driver.open_app("vneid")
