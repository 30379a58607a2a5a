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


@pytest.mark.parametrize("offset", [float("nan"), float("inf"), "60", None, True, 10**400])
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
    for other_iso in ("19900102", "1990-W01-2"):  # fromisoformat's, not the files' YYYY-MM-DD
        with pytest.raises(ConfigError, match=rf"birthdate '{other_iso}' is not a date"):
            factory.new(birthdate=other_iso)
    with pytest.raises(
        ConfigError,
        match=r"birthdate must be a datetime\.date or "
        r"'YYYY-MM-DD', got int",
    ):
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


def test_flows_refuse_what_is_not_a_driver_persona_or_decision(target: Target) -> None:
    from harness.flows import decide, enter_credentials, login_with_vneid, start_vneid_login
    from harness.personas import PersonaFactory

    device = make_device(target, "android")
    persona = PersonaFactory("flows").new()
    try:
        with pytest.raises(
            ConfigError,
            match=r"a driver \(a phone: give phone.driver\), "
            r"not Device",
        ):
            login_with_vneid(device, persona)  # type: ignore[arg-type]
        for bad in ({"personal_id": "1"}, None):
            with pytest.raises(ConfigError, match=r"the persona is a harness\.personas\.Persona"):
                login_with_vneid(device.driver, bad)  # type: ignore[arg-type]
            with pytest.raises(ConfigError, match="enter_credentials: the persona"):
                enter_credentials(device.driver, bad)  # type: ignore[arg-type]
        for decision in ("Approve", "cancel", None):
            with pytest.raises(ConfigError, match=r"decision=.* is 'approve' or 'deny'"):
                login_with_vneid(device.driver, persona, decision=decision)  # type: ignore[arg-type]
            with pytest.raises(ConfigError, match="decide: decision="):
                decide(device.driver, decision)  # type: ignore[arg-type]
        with pytest.raises(ConfigError, match="start_vneid_login: the first argument"):
            start_vneid_login("ios")  # type: ignore[arg-type]
        # nothing above touched the phone: the login still runs as the docs show
        assert device.screen().id == "launcher"
    finally:
        device.close()


def test_request_log_filters_are_named_and_checked(target: Target) -> None:
    with pytest.raises(TypeError):  # a misspelt filter is no longer sent as a query and ignored
        target.vneid.requests(paths="/token")  # type: ignore[call-arg]
    with pytest.raises(ConfigError, match="only the vssid provider keeps two logs"):
        target.vneid.requests(direction="outgoing")
    with pytest.raises(ConfigError, match="direction='incoming'"):
        target.vssid.requests(direction="out")
    with pytest.raises(ConfigError, match="path is text or None"):
        target.vneid.requests(path=b"/token")  # type: ignore[arg-type]
    assert target.vssid.requests(direction="outgoing") == []
    target.vneid.health()
    assert [r["path"] for r in target.vneid.requests(method="GET")] == ["/_harness/health"]


def test_wrong_objects_in_the_world_api_are_config_errors(target: Target) -> None:
    from harness.world import PersonaPool

    with pytest.raises(ConfigError, match=r"make_device: the first argument is a Target"):
        make_device(None, "ios")  # type: ignore[arg-type]
    pool = PersonaPool(target, seed="world")
    with pytest.raises(ConfigError, match=r"personas\.register: give a Persona"):
        pool.register({"personal_id": "001090000001"})  # type: ignore[arg-type]
    assert pool.registered == []
    device = make_device(target, "ios")
    try:
        for scheme in (123, ""):
            with pytest.raises(ConfigError, match=r"install_hijacker\(.*\): the scheme is text"):
                device.install_hijacker(scheme)  # type: ignore[arg-type]
        assert device.install_hijacker().app_id not in ("vssid", "vneid")
    finally:
        device.close()


def test_a_closed_phone_runs_nothing(target: Target) -> None:
    from harness.errors import HarnessError

    device = make_device(target, "ios")
    device.driver.open_app("vssid")
    device.close()
    for act in (
        lambda: device.phone.open_url("vssid://x", source="test"),
        lambda: device.phone.switch_to("vneid"),
        lambda: device.phone.restart("vssid"),
        lambda: device.install_vneid(),
    ):
        with pytest.raises(HarnessError, match="this ios phone was closed"):
            act()
    assert device.phone.screen().app == "vssid"  # what it showed stays readable


def test_a_registered_client_can_be_removed_through_the_handle(target: Target) -> None:
    target.vneid.register_client(
        {
            "client_id": "rp/ci 1",
            "client_secret": "s",
            "redirect_uris": ["https://rp.test/cb"],
            "token_endpoint_auth_method": "client_secret_post",
        }
    )
    assert target.vneid.remove_client("rp/ci 1") == {"deleted": "rp/ci 1"}
    from harness.targets import ControlError

    with pytest.raises(ControlError, match="HTTP 404"):
        target.vneid.remove_client("rp/ci 1")


@pytest.mark.parametrize("app", ["vneid", "vssid"])
def test_a_device_with_a_version_that_is_no_string_says_none_means_no_app(
    target: Target, app: str
) -> None:
    """``device("android", vneid=2.1)`` told the user to uninstall the app through
    ``device.phone``, a call they never made; ``None`` is what the factory takes."""
    with pytest.raises(
        ConfigError,
        match=rf"device\('android', {app}=2\.1\): a version is a "
        rf"str such as '2\.1\.0', MINIMUM .* or None \(no "
        rf"{app} app on the phone\)",
    ):
        make_device(target, "android", **{app: 2.1})  # type: ignore[arg-type]
