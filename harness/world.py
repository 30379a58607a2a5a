"""The world a scenario runs in: personas registered with the providers, and phones.

:class:`PersonaPool` makes synthetic citizens and registers them with the target's providers
through their control API (§11). :func:`make_device` builds a phone with the two apps
installed at the given versions, each app talking to its provider over its own HTTP client,
and a driver for it; everything it does lands in one :class:`~harness.trace.Trace`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from harness.apps import RECEIVER_SCREEN, HijackerApp, VNeIDApp, VssIDApp
from harness.apps.screens import Screen
from harness.device import Phone
from harness.drivers import Driver
from harness.errors import ConfigError
from harness.personas import Persona, PersonaFactory, load_personas
from harness.protocol import PLATFORMS, AppId, Platform, Profile
from harness.targets import Target
from harness.trace import Trace

if TYPE_CHECKING:
    from harness.drivers.runtime import UIRuntime

__all__ = ["MINIMUM", "Device", "DeviceFactory", "FreshWorld", "PersonaPool", "make_device"]


class PersonaPool:
    """Citizens for one test: ``new(...)`` makes and registers one; ``from_file`` offers the
    ``--personas`` file's citizens (registered on first use)."""

    def __init__(
        self,
        target: Target,
        *,
        seed: int | str,
        file: Path | None = None,
        citizens: Sequence[Persona] | None = None,
    ) -> None:
        self.target = target
        self.factory = PersonaFactory(seed)
        self._file = file
        self._citizens = citizens
        """The file's citizens when the caller read it already (the pytest plugin, once)."""
        self._from_file: list[Persona] | None = None
        self.registered: list[Persona] = []
        self.made: list[Persona] = []
        """Every citizen this pool made or registered, registered or not: their passcodes
        are secrets the reports scrub (S-5)."""

    def register(self, persona: Persona) -> Persona:
        """Add ``persona`` to VNeID and, when it has one, its account to VssID."""
        if not isinstance(persona, Persona):
            raise ConfigError(
                f"personas.register: give a Persona (personas.new(register=False, ...) or "
                f"harness.personas.PersonaFactory), not {type(persona).__name__}; to add raw "
                "JSON, use vneid.add_persona(...) and vssid.add_account(...)"
            )
        self._made(persona)
        self.target.vneid.add_persona(persona.to_vneid_json())
        account = persona.to_vssid_account_json()
        if not self.target.vssid.is_embedded:  # fresh for each test: nothing left over
            self.target.vssid.keep_only_account(
                persona.personal_id, account["bhxh_code"] if account is not None else None
            )
        if account is not None:
            self.target.vssid.add_account(account)
        self.registered.append(persona)
        return persona

    def new(self, *, register: bool = True, **kwargs: Any) -> Persona:
        """A fresh citizen (level 2 with an active VssID account unless told otherwise)."""
        persona = self._made(self.factory.new(**kwargs))
        return self.register(persona) if register else persona

    def _made(self, persona: Persona) -> Persona:
        if not any(p is persona for p in self.made):
            self.made.append(persona)
        return persona

    def from_file(self) -> list[Persona]:
        """The citizens of the ``--personas`` file, registered with the providers."""
        if self._file is None:
            raise ConfigError("no persona file was given; pass --personas FILE")
        if self._from_file is None:
            people = self._citizens if self._citizens is not None else load_personas(self._file)
            self._from_file = [self.register(p) for p in people]
        return list(self._from_file)


MINIMUM = "minimum"
"""A version that stands for the run's profile's minimum of the app (``Profile.min_version``:
2.1.0 for VNeID and 1.6.7 for VssID by PROTOCOL.md's defaults)."""


def _version(version: str, profile: Profile, app: AppId) -> str:
    if not isinstance(version, str):
        raise ConfigError(
            f"install_{app}({version!r}): a version is a str such as '2.1.0' (or "
            f"MINIMUM); to have no {app} app on the phone, uninstall it: "
            f"device.phone.uninstall({app!r})"
        )
    return str(profile.min_version(app)) if version == MINIMUM else version


@dataclass
class Device:
    """A phone under test: the simulated OS, its apps, the driver and the recorded trace."""

    phone: Phone
    driver: Driver
    trace: Trace
    target: Target
    _clients: list[httpx.Client] = field(default_factory=list)

    @property
    def platform(self) -> str:
        return self.phone.platform

    def screen(self) -> Screen:
        return self.driver.screen()

    def install_vssid(self, version: str = MINIMUM) -> VssIDApp:
        """VssID at ``version`` (:data:`MINIMUM`: the profile's minimum, V-6)."""
        self.phone.check_open("installing 'vssid'")
        client = self._client(self.target.vssid.client(traced=False))
        profile = self.target.profile
        return self.phone.install(
            VssIDApp(_version(version, profile, "vssid"), client, profile=profile)
        )

    def install_vneid(self, version: str = MINIMUM) -> VNeIDApp:
        """VNeID at ``version`` (:data:`MINIMUM`: the profile's minimum, V-6)."""
        self.phone.check_open("installing 'vneid'")
        client = self._client(self.target.vneid.client(traced=False))
        profile = self.target.profile
        return self.phone.install(
            VNeIDApp(_version(version, profile, "vneid"), client, profile=profile)
        )

    def install_hijacker(self, scheme: str | None = None) -> HijackerApp:
        """A malicious app that claims ``scheme://`` (default: VssID's, from the profile)
        after the real apps (S-4)."""
        if scheme is not None and (not isinstance(scheme, str) or not scheme):
            raise ConfigError(
                f"install_hijacker({scheme!r:.40}): the scheme is text such as "
                "'vssid' (None: VssID's own, from the profile)"
            )
        return self.phone.install(HijackerApp(scheme or self.target.profile.vssid_scheme))

    def install_receiver(self, scheme: str, app_id: str = "harness-rp") -> HijackerApp:
        """An app of the harness's own relying party claiming ``scheme://`` (see
        :mod:`harness.rp`); it keeps every callback it receives."""
        return self.phone.install(
            HijackerApp(scheme, app_id=app_id, screen_id=RECEIVER_SCREEN, title="Harness RP")
        )

    @property
    def vssid_app(self) -> VssIDApp:
        app = self.phone.app("vssid")
        assert isinstance(app, VssIDApp)
        return app

    @property
    def vneid_app(self) -> VNeIDApp:
        app = self.phone.app("vneid")
        assert isinstance(app, VNeIDApp)
        return app

    def last_link_to(self, prefix: str | tuple[str, ...]) -> str:
        """The newest link the OS delivered whose URL starts with ``prefix`` (or any of the
        prefixes: the custom-scheme and claimed https forms of one link, say); unredacted
        links are kept by the apps, the trace has them redacted."""
        for url in reversed(self.delivered_links()):
            if url.startswith(prefix):
                return url
        raise AssertionError(
            f"no link starting with {prefix!r} was delivered{self._shown_instead()}"
        )

    def _shown_instead(self) -> str:
        """What the phone shows when an expected link never came: the error the login
        stopped on (a provider's 404 to ``POST /api/app/v1/sessions``, a refusal of the
        authorization request), so the failure says why, not only what is missing."""
        try:
            screen = self.screen()
        except Exception:  # a message's extra: a driver already closed shows nothing
            return ""
        return f"; the phone shows {screen.describe()}"

    def delivered_links(self) -> list[str]:
        return list(self.phone.delivered)

    def _client(self, client: httpx.Client) -> httpx.Client:
        self._clients.append(client)
        return client

    def close(self) -> None:
        self.driver.close()
        self.phone.close()
        for client in self._clients:
            client.close()


def _driver_for(
    name: str, phone: Phone, target: Target, runtime: UIRuntime | None = None
) -> Driver:
    if name == "sim":
        from harness.drivers.sim import SimDriver

        return SimDriver(phone)
    if name in ("web", "appium"):
        if runtime is None:
            raise ConfigError(
                f"the {name} driver needs the session's browser and servers: "
                "use the pytest plugin's device fixture, or pass "
                "runtime=harness.drivers.runtime.UIRuntime(...)"
            )
        return runtime.driver(name, phone, target)
    raise ConfigError(f"unknown driver {name!r}; available: sim, web, appium")


DeviceFactory = Callable[..., Device]
"""What the ``device`` fixture gives: ``device(platform, vssid=…, vneid=…)`` → a phone."""


def make_device(
    target: Target,
    platform: str = "ios",
    *,
    vssid: str | None = MINIMUM,
    vneid: str | None = MINIMUM,
    driver: str = "sim",
    runtime: UIRuntime | None = None,
) -> Device:
    """A phone on ``platform`` with VssID and VNeID at these versions (``None``: not
    installed; :data:`MINIMUM`, the default: the profile's minimum versions), driven by
    ``driver`` (``web`` and ``appium`` take their browser and servers from ``runtime``)."""
    if not isinstance(target, Target):
        raise ConfigError(
            f"make_device: the first argument is a Target (the target fixture, "
            f"or harness.targets.embedded_target()), not {type(target).__name__}"
        )
    if platform not in PLATFORMS:
        raise ConfigError(f"platform must be one of {', '.join(PLATFORMS)}, got {platform!r}")
    for app, version in (("vssid", vssid), ("vneid", vneid)):
        if version is not None and not isinstance(version, str):
            raise ConfigError(
                f"device({platform!r}, {app}={version!r}): a version is a str "
                "such as '2.1.0', MINIMUM (the run profile's minimum, the "
                f"default) or None (no {app} app on the phone)"
            )
    plat: Platform = "ios" if platform == "ios" else "android"
    phone = Phone(plat, profile=target.profile)  # with a phone's trace of its own
    device = Device(phone, _driver_for(driver, phone, target, runtime), phone.trace, target)
    if vssid is not None:
        device.install_vssid(vssid)
    if vneid is not None:
        device.install_vneid(vneid)
    return device


@dataclass
class FreshWorld:
    """One Hypothesis example's world (the ``fresh_world`` fixture): embedded providers,
    citizens and phones of its own, their traces counted as the test's (Allure steps,
    evidence, secrets scrubbed from failure text). Closed at the end of its ``with`` block."""

    target: Target
    personas: PersonaPool
    adopt: Callable[[Trace], object]
    """What makes a trace the test's (the ``adopt_trace`` fixture's function)."""
    on_device: Callable[[Device], object] | None = None
    """Told of each phone made (the pytest plugin: its Allure tags and parameters, as the
    ``device`` fixture's phones have)."""
    devices: list[Device] = field(default_factory=list)

    def device(
        self, platform: str = "ios", *, vssid: str | None = MINIMUM, vneid: str | None = MINIMUM
    ) -> Device:
        """A simulated phone of this world (:func:`make_device`), its trace adopted and,
        in Allure, its platform and app versions tagged."""
        made = make_device(self.target, platform, vssid=vssid, vneid=vneid)
        self.devices.append(made)
        self.adopt(made.trace)
        if self.on_device is not None:
            self.on_device(made)
        return made

    def close(self) -> None:
        try:
            for made in self.devices:
                made.close()
        finally:
            self.target.close()
