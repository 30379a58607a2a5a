"""Drivers: one UI-shaped interface over the simulated phone, a browser or a real device.

A scenario sees only automation ids (§9) and screens; it never reaches into an app or a
provider. Three implementations of the :class:`Driver` protocol (``--driver``):

- ``sim`` — :class:`~harness.drivers.sim.SimDriver` drives the in-process phone (the default,
  fast);
- ``web`` — :class:`~harness.drivers.web.PlaywrightDriver`: Playwright and Debian's Chromium,
  emulating an iPhone or a Pixel, on the phone screen server's renderings
  (:mod:`harness.web`);
- ``appium`` — :mod:`harness.drivers.appium`: appium-python-client against an Appium 3 server,
  on the same renderings (Chromium driver) or, by the capabilities file, on the real apps of a
  device or a device farm.

The browser drivers share :class:`~harness.drivers.rendered.RenderedPhoneDriver`; their
session resources live in :class:`~harness.drivers.runtime.UIRuntime`. docs/drivers.md has
the design.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from harness.apps.screens import Screen

__all__ = ["Driver"]


@runtime_checkable
class Driver(Protocol):
    """What a scenario can do with a phone: open apps, tap, type, read the screen."""

    name: str

    def open_app(self, app_id: str) -> Screen:
        """Bring ``app_id`` to the front (launching it if needed); its screen."""
        ...

    def tap(self, automation_id: str) -> Screen:
        """Tap an element of the foreground screen; the foreground screen afterwards."""
        ...

    def type(self, automation_id: str, text: str) -> None:
        """Type ``text`` into a field of the foreground screen."""
        ...

    def screen(self) -> Screen:
        """The foreground screen."""
        ...

    def current_app(self) -> str | None:
        """The foreground app id, ``"store"``, ``"browser"`` or ``None``."""
        ...

    def close(self) -> None:
        """Release what the driver holds (sessions, browsers)."""
        ...
