"""A scenario that misuses the harness's API gets a ConfigError saying what to do, never a
bare ValueError or AttributeError from deep inside (a QA review's findings)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from harness.errors import ConfigError
from harness.personas import PersonaFactory
from harness.targets import Target, embedded_target
from harness.world import make_device


@pytest.fixture
def target() -> Iterator[Target]:
    made = embedded_target(seed="misuse")
    yield made
    made.close()


@pytest.mark.parametrize("offset", [float("nan"), float("inf"), "60", None, True])
def test_a_clock_offset_is_a_finite_number(target: Target, offset: Any) -> None:
    for handle in (target.vneid, target.vssid):
        with pytest.raises(ConfigError, match="the offset is a finite number of seconds"):
            handle.set_clock(offset)
    assert target.vneid.set_clock(-30.5)["offset_seconds"] == -30.5


def test_a_birthdate_is_a_date_or_iso_text() -> None:
    factory = PersonaFactory("misuse")
    assert factory.new(birthdate="1990-01-02").birthdate == dt.date(1990, 1, 2)
    assert factory.new(birthdate=dt.datetime(2001, 5, 6, 7, 8)).birthdate == dt.date(2001, 5, 6)
    with pytest.raises(ConfigError, match="birthdate '2 Jan 1990' is not a date"):
        factory.new(birthdate="2 Jan 1990")
    with pytest.raises(ConfigError, match=r"birthdate must be a datetime\.date or "
                                          r"'YYYY-MM-DD', got int"):
        factory.new(birthdate=1990)
    for year in (1850, 2150):
        with pytest.raises(ConfigError, match="encodes births in 1900-2099 only"):
            factory.new(birthdate=dt.date(year, 1, 1))


@pytest.mark.parametrize("app", ["vneid", "vssid"])
def test_installing_no_version_says_how_to_uninstall(target: Target, app: str) -> None:
    device = make_device(target, "ios")
    try:
        with pytest.raises(ConfigError, match=rf"device.phone.uninstall\('{app}'\)"):
            getattr(device, f"install_{app}")(None)
    finally:
        device.close()
