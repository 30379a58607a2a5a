"""The apps' screens as web pages: the renderer and the phone screen server.

:func:`render_screen` turns a §9 :class:`~harness.apps.screens.Screen` into a phone-sized
Vietnamese page whose elements carry their automation ids; :class:`PhoneServer` hosts the
simulated phones of a test session on loopback so that a real browser (the ``web`` driver,
Playwright) or Appium's Chromium driver (the ``appium`` driver) can show and drive them.
The app logic and the OS stay in :mod:`harness.apps` and :mod:`harness.device`.
"""

from harness.web.render import SCREEN_TITLES, fingerprint, render_screen, screen_from_json
from harness.web.server import PhoneServer, PhoneSession

__all__ = [
    # rendering
    "SCREEN_TITLES",
    "fingerprint",
    "render_screen",
    "screen_from_json",
    # serving
    "PhoneServer",
    "PhoneSession",
]
