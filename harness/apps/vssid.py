"""The VssID app: the relying party's front end (A-1, A-3, A-6, V-4, V-6).

It talks only to its backend, with ``X-VssID-App-Version`` and ``X-Device-Platform`` on every
call. It never parses or checks the callback: it forwards the link exactly as delivered and
the backend decides (R-1…R-4). The login transaction id is persisted in ``storage`` so a
restart between hand-off and return still completes (the transaction lives on the backend).
The id is kept after ``complete`` so that a callback delivered twice reaches the backend,
which must refuse it (R-1), instead of being swallowed by the app.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import httpx

from harness.apps.base import App, Reply
from harness.apps.screens import (
    VSSID_HOME,
    VSSID_LOGIN,
    VSSID_LOGIN_VNEID,
    VSSID_LOGIN_VNEID_LABEL,
    Element,
    Screen,
)
from harness.protocol import DEFAULT_PROFILE, ERRORS, Profile, paths

if TYPE_CHECKING:
    from harness.device import StoreName

__all__ = ["BACKEND", "VssIDApp"]

BACKEND = "vssid-backend"
START_PATH = paths.VSSID_START
COMPLETE_PATH = paths.VSSID_COMPLETE
ME_PATH = paths.VSSID_ME
TRANSACTION_KEY = "transaction_id"
SESSION_KEY = "session_token"


class VssIDApp(App):
    """VssID ``version`` talking to its backend through ``backend`` (base URL set on it)."""

    def __init__(
        self,
        version: str,
        backend: httpx.Client,
        *,
        profile: Profile = DEFAULT_PROFILE,
        store: StoreName | None = None,
    ) -> None:
        callback_dir = profile.callback_path.rsplit("/", 1)[0] + "/"
        super().__init__(
            "vssid",
            version,
            claims_schemes={profile.vssid_scheme},
            verified_links=(f"{profile.vssid_link_host}{callback_dir}",),
            profile=profile,
            store=store,
        )
        self.backend = backend

    def http_clients(self) -> Mapping[str, httpx.Client]:
        return {BACKEND: self.backend}

    @property
    def offers_vneid_login(self) -> bool:
        """V-6: the VNeID entry exists only from ``profile.vssid_min_version`` on."""
        return self.version_at_least(self.profile.vssid_min_version)

    def _headers(self) -> dict[str, str]:
        return {"X-VssID-App-Version": self.version, "X-Device-Platform": self.phone.platform}

    # -- screens -------------------------------------------------------------------------
    def launch_screen(self) -> Screen:
        token = self.storage.get(SESSION_KEY)
        if token is None:
            return self._login_screen()
        reply = self.request(self.backend, "GET", ME_PATH, headers=self._headers(), bearer=token)
        if reply.status == 401:
            self.storage.pop(SESSION_KEY, None)
            return self._login_screen()
        return self._home_or_error(reply)

    def _login_screen(self) -> Screen:
        elements: tuple[Element, ...] = ()
        if self.offers_vneid_login:
            elements = (Element(VSSID_LOGIN_VNEID, "button", VSSID_LOGIN_VNEID_LABEL),)
        return Screen(
            app=self.app_id, id=VSSID_LOGIN, texts=("VssID - BHXH số",), elements=elements
        )

    def _home_or_error(self, reply: Reply) -> Screen:
        update = self.update_screen_for(reply)
        if update is not None:
            return update
        problem = reply if not reply.ok else self.missing(reply, "bhxh_code", "full_name")
        if problem is not None:
            return self.error_screen_for(problem)
        body = reply.body
        return Screen(
            app=self.app_id,
            id=VSSID_HOME,
            texts=(str(body["full_name"]), str(body["bhxh_code"])),
            elements=(
                Element("vssid-home-name", "text", str(body["full_name"])),
                Element("vssid-home-bhxh-code", "text", str(body["bhxh_code"])),
            ),
            data={
                "bhxh_code": body.get("bhxh_code"),
                "full_name": body.get("full_name"),
                "personal_id": body.get("personal_id"),
            },
        )

    # -- hand-off to VNeID -------------------------------------------------------
    def actions(self) -> Mapping[str, Callable[[], None]]:
        return {**super().actions(), VSSID_LOGIN_VNEID: self.start_vneid_login}

    def start_vneid_login(self) -> None:
        reply = self.request(self.backend, "POST", START_PATH, headers=self._headers(), json={})
        update = self.update_screen_for(reply)
        if update is not None:
            self.show(update)
            return
        problem = reply if not reply.ok else self.missing(reply, "transaction_id", "authorize_url")
        if problem is not None:
            self.show_error(problem)
            return
        self.storage[TRANSACTION_KEY] = reply.body["transaction_id"]
        # only the VNeID app may take the link (an https one must not fall through to
        # the browser); when no app does, VNeID's store listing.
        result = self.phone.open_url(
            str(reply.body["authorize_url"]), source=self.app_id, app_only=True
        )
        if not result.handled:
            self.phone.open_store("vneid")

    # -- the callback -----------------------------------------------------------------
    def handle_link(self, url: str) -> None:
        transaction_id = self.storage.get(TRANSACTION_KEY)
        if transaction_id is None:
            self.show_error(
                Reply(
                    404,
                    {
                        "error": "transaction_not_found",
                        "clause": ERRORS["transaction_not_found"].clause,
                        "error_description": (
                            "a callback arrived but no login was started on this app"
                        ),
                    },
                )
            )
            return
        reply = self.request(
            self.backend,
            "POST",
            COMPLETE_PATH,
            headers=self._headers(),
            json={"transaction_id": transaction_id, "callback_url": url},
        )
        update = self.update_screen_for(reply)
        if update is not None:
            self.show(update)
            return
        problem = reply if not reply.ok else self.missing(reply, "session_token")
        if problem is not None:
            self.show_error(problem)
            return
        token = str(reply.body["session_token"])
        self.storage[SESSION_KEY] = token
        me = self.request(self.backend, "GET", ME_PATH, headers=self._headers(), bearer=token)
        self.show(self._home_or_error(me))
