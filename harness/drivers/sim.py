"""The in-process driver: drives a :class:`~harness.device.Phone` by automation ids."""

from __future__ import annotations

from harness.apps.screens import Screen
from harness.device import Phone
from harness.errors import HarnessError

__all__ = ["SimDriver"]


class SimDriver:
    """:class:`~harness.drivers.Driver` over a simulated phone (fast, the default)."""

    name = "sim"

    def __init__(self, phone: Phone) -> None:
        self.phone = phone
        self._closed = False

    def _check(self) -> None:
        if self._closed:
            raise HarnessError("this SimDriver was closed; create a new one")

    def open_app(self, app_id: str) -> Screen:
        self._check()
        self.phone.switch_to(app_id)
        return self.phone.screen()

    def tap(self, automation_id: str) -> Screen:
        self._check()
        screen = self.phone.screen()
        if screen.id == "launcher":  # the launcher's icons bring an app to the front
            screen.actionable(automation_id, ("button",))
            self.phone.switch_to(automation_id)
        else:
            self.phone.foreground_app().tap(automation_id)
        return self.phone.screen()

    def type(self, automation_id: str, text: str) -> None:
        self._check()
        self.phone.foreground_app().type(automation_id, text)

    def screen(self) -> Screen:
        self._check()
        return self.phone.screen()

    def current_app(self) -> str | None:
        return self.phone.foreground

    def close(self) -> None:
        self._closed = True
