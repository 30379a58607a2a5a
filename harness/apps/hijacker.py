"""A malicious app that claims a custom scheme and keeps every link it receives (S-4).

Installed after VssID, it wins ``vssid://`` links (the phone gives a custom scheme to the most
recently installed claimant), so the authorization response — with its ``code`` — lands here.
Scenarios then check that the code is useless without VssID's PKCE verifier (S-4) and that
the claimed https form of the callback cannot be taken this way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from harness.apps.base import App
from harness.apps.screens import Element, Screen
from harness.protocol.redaction import redact_url

if TYPE_CHECKING:
    from harness.device import StoreName

__all__ = ["HIJACKER_SCREEN", "RECEIVER_SCREEN", "HijackerApp"]

HIJACKER_SCREEN = "hijacker"
RECEIVER_SCREEN = "harness-rp-callback"
"""The screen of the harness relying party's own app (``Device.install_receiver``), which
receives its callbacks as a hijacker would but is no attacker: a report reading ``hijacker``
in a plain token-endpoint test was taken for an interception (S-4)."""


class HijackerApp(App):
    """Claims ``scheme``; ``received`` lists every link delivered to it, oldest first. Its
    screen is ``screen_id`` headed ``title`` (another app that only receives links, such as
    the harness relying party's, names itself)."""

    def __init__(
        self,
        scheme: str = "vssid",
        version: str = "1.0.0",
        *,
        app_id: str = "hijacker",
        verified_links: Iterable[str] = (),
        store: StoreName | None = None,
        screen_id: str = HIJACKER_SCREEN,
        title: str = "Hijacker",
    ) -> None:
        super().__init__(
            app_id, version, claims_schemes={scheme}, verified_links=verified_links, store=store
        )
        self.received: list[str] = []
        self._screen_id = screen_id
        self._title = title

    def launch_screen(self) -> Screen:
        return self._screen_for(None)

    def handle_link(self, url: str) -> None:
        self.received.append(url)
        self.show(self._screen_for(url))

    def _screen_for(self, url: str | None) -> Screen:
        # The stolen link is shown with its secrets redacted: screenshots reach reports (S-5);
        # the link itself is in ``received`` for the scenario to use.
        texts = (self._title,) if url is None else (self._title, redact_url(url))
        return Screen(
            app=self.app_id,
            id=self._screen_id,
            texts=texts,
            elements=(Element(f"{self._screen_id}-received", "text", str(len(self.received))),),
            data={"received": tuple(self.received), "last": url},
        )
