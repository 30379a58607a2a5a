"""The VNeID app: the user's authenticator (A-4, A-5, A-6, V-5, V-6).

Below ``profile.vneid_min_version`` it does not understand the authorize link and shows its
update screen with the store link, without calling the server (V-6). Otherwise it keeps the
link exactly as received, logs the user in at level 2 (``POST /api/app/v1/sessions``), asks
for consent and forwards the link with the decision (``POST /api/app/v1/authorizations``);
the ``redirect_to`` it gets back is opened through the OS. A refusal that must not redirect
(S-3) stays on VNeID's error screen. The session is persisted in ``storage`` until it expires
on the phone's clock; the link being handled is in memory only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Literal

import httpx

from harness.apps.base import App, Reply
from harness.apps.screens import (
    VNEID_APPROVE,
    VNEID_CONSENT,
    VNEID_DENY,
    VNEID_HOME,
    VNEID_LOGIN,
    VNEID_LOGIN_SUBMIT,
    VNEID_LOGIN_TITLE,
    VNEID_PASSCODE,
    VNEID_PERSONAL_ID,
    Element,
    Screen,
)
from harness.protocol import (
    DEFAULT_PROFILE,
    LinkError,
    Profile,
    finite_number,
    parse_authorize_link,
    paths,
)

if TYPE_CHECKING:
    from harness.device import StoreName

__all__ = ["SERVER", "SERVICE_NAMES", "VNeIDApp"]

SERVER = "vneid-server"
SESSIONS_PATH = paths.APP_SESSIONS
AUTHORIZATIONS_PATH = paths.APP_AUTHORIZATIONS
SESSION_KEY = "session"
SERVICE_NAMES: Mapping[str, str] = {"vssid": "VssID"}
"""Display names of the relying parties VNeID knows, by ``client_id`` (besides the profile's
VssID client, ``Profile.vssid_client_id``, always shown as "VssID")."""

Decision = Literal["approve", "deny"]


class VNeIDApp(App):
    """VNeID ``version`` talking to the identity server's app API through ``server``."""

    secret_fields = frozenset({VNEID_PASSCODE})

    def __init__(
        self,
        version: str,
        server: httpx.Client,
        *,
        profile: Profile = DEFAULT_PROFILE,
        store: StoreName | None = None,
    ) -> None:
        super().__init__(
            "vneid",
            version,
            claims_schemes={profile.vneid_scheme},
            verified_links=(f"{profile.vneid_link_host}{profile.authorize_path}",),
            profile=profile,
            store=store,
        )
        self.server = server
        self._link: str | None = None
        self._refused_login: Screen | None = None
        """The error screen a refused login showed (A-4), while it is the one shown."""

    def http_clients(self) -> Mapping[str, httpx.Client]:
        return {SERVER: self.server}

    def forget(self) -> None:
        self._link = None

    @property
    def pending_link(self) -> str | None:
        """The authorize link being handled, exactly as received."""
        return self._link

    def _headers(self) -> dict[str, str]:
        return {"X-VNeID-App-Version": self.version, "X-Device-Platform": self.phone.platform}

    def _session_token(self) -> str | None:
        session = self.storage.get(SESSION_KEY)
        if not isinstance(session, dict):
            return None
        if float(session.get("expires_at", 0)) <= self.phone.clock.now():
            self.storage.pop(SESSION_KEY, None)
            return None
        token = session.get("token")
        return token if isinstance(token, str) else None

    # -- screens -------------------------------------------------------------------------
    def launch_screen(self) -> Screen:
        return Screen(app=self.app_id, id=VNEID_HOME, texts=("VNeID",))

    def _login_screen(self) -> Screen:
        return Screen(
            app=self.app_id,
            id=VNEID_LOGIN,
            texts=(VNEID_LOGIN_TITLE,),
            elements=(
                Element(VNEID_PERSONAL_ID, "field", "Số định danh cá nhân"),
                Element(VNEID_PASSCODE, "field", "Mật khẩu"),
                Element(VNEID_LOGIN_SUBMIT, "button", "Đăng nhập"),
            ),
        )

    def _consent_screen(self) -> Screen:
        client_id = None
        try:
            _, parsed = parse_authorize_link(self._link, self.profile)
            client_id = parsed.params.get("client_id")
        except LinkError:
            pass
        service = (
            "VssID"
            if client_id == self.profile.vssid_client_id
            else SERVICE_NAMES.get(client_id or "", client_id or "(không rõ)")
        )
        prompt = f"{service} yêu cầu đăng nhập bằng tài khoản định danh điện tử của bạn"
        return Screen(
            app=self.app_id,
            id=VNEID_CONSENT,
            texts=(service, prompt),
            elements=(
                Element("vneid-consent-service", "text", service),
                Element(VNEID_APPROVE, "button", "Đồng ý"),
                Element(VNEID_DENY, "button", "Từ chối"),
            ),
            data={"service": service, "client_id": client_id},
        )

    # -- V-6 and the authorize link ------------------------------------------------------
    def handle_link(self, url: str) -> None:
        if not self.version_at_least(self.profile.vneid_min_version):
            self.show_update(self.profile.store_link("vneid", self.phone.platform))
            return
        self._link = url
        if self._session_token() and self._wants_new_login(url):
            self.storage.pop(SESSION_KEY, None)  # prompt=login or max_age: log in again
        self.show(self._consent_screen() if self._session_token() else self._login_screen())

    def _wants_new_login(self, url: str) -> bool:
        """Whether the link asks for a newer login than the stored session's (OpenID Connect
        Core §3.1.2.1: ``prompt=login``, or ``max_age`` seconds since the passcode)."""
        try:
            _, parsed = parse_authorize_link(url, self.profile, allow_repeated=True)
        except LinkError:
            return False  # the server refuses the link; nothing to log in for
        if "login" in parsed.params.get("prompt", "").split(" "):
            return True
        max_age = parsed.params.get("max_age", "")
        session = self.storage.get(SESSION_KEY)
        logged_in_at = (
            finite_number(session.get("logged_in_at")) if isinstance(session, dict) else None
        )
        if max_age == "0":  # "equivalent to prompt=login"
            return True
        # A max_age of more digits than any age has (Python refuses to read 4,301 of them)
        # asks for no newer login than any other very large one.
        return (
            max_age.isascii()
            and max_age.isdigit()
            and len(max_age) <= 18
            and logged_in_at is not None
            and self.phone.clock.now() - logged_in_at > int(max_age)
        )

    def actions(self) -> Mapping[str, Callable[[], None]]:
        return {
            **super().actions(),
            VNEID_LOGIN_SUBMIT: self.submit_login,
            VNEID_APPROVE: lambda: self.decide("approve"),
            VNEID_DENY: lambda: self.decide("deny"),
        }

    # -- A-4 -------------------------------------------------------------------------------
    def submit_login(self) -> None:
        body = {
            "personal_id": self._inputs.get(VNEID_PERSONAL_ID, ""),
            "passcode": self._inputs.pop(VNEID_PASSCODE, ""),
        }
        reply = self.request(self.server, "POST", SESSIONS_PATH, headers=self._headers(), json=body)
        if self._shows_update_for(reply):
            return
        problem = reply if not reply.ok else self.missing(reply, "session_token")
        if problem is not None:
            self._refused_login = self.show_error(problem)
            return
        given = finite_number(reply.body.get("expires_in"))  # NaN or 10**400: the default
        ttl = given if given is not None else self.profile.vneid_session_ttl
        self.storage[SESSION_KEY] = {
            "token": str(reply.body["session_token"]),
            "level": reply.body.get("level"),
            "expires_at": self.phone.clock.now() + float(ttl),
            "logged_in_at": self.phone.clock.now(),
        }
        self.show(self._consent_screen() if self._link else self.launch_screen())

    def close_error(self) -> None:
        """The error screen's "Đóng": after a refused login (a wrong passcode, a locked
        account, the server out of reach) with an authorize link pending, the login screen
        again, the link kept, so the user can try once more (A-4); otherwise VNeID's home."""
        if self._link is not None and self.current_screen() is self._refused_login:
            self.show(self._login_screen())
        else:
            super().close_error()
        self._refused_login = None

    def _shows_update_for(self, reply: Reply) -> bool:
        """V-5: a 426 from any app-API call shows the update screen (:meth:`update_screen_for`)."""
        update = self.update_screen_for(reply)
        if update is not None:
            self.show(update)
        return update is not None

    # -- A-5, A-6 --------------------------------------------------------------------------
    def decide(self, decision: Decision) -> None:
        token = self._session_token()
        link = self._link
        if link is None:
            self.show_error(
                Reply(
                    400,
                    {
                        "error": "invalid_request",
                        "clause": "A-5",
                        "error_description": "no authorize link to answer",
                    },
                )
            )
            return
        reply = self.request(
            self.server,
            "POST",
            AUTHORIZATIONS_PATH,
            headers=self._headers(),
            json={"link": link, "decision": decision},
            bearer=token,
        )
        if reply.status == 401 and reply.error in ("login_required", "invalid_token"):
            # the server wants a newer login, or no longer knows the session (it expired or
            # was revoked before the app's own clock said so): ask for the passcode again,
            # keeping the link
            self.storage.pop(SESSION_KEY, None)
            self.show(self._login_screen())
            return
        if reply.status == 401:
            self.storage.pop(SESSION_KEY, None)
        if self._shows_update_for(reply):  # V-5: too old by now (the minimum went up)
            return
        problem = reply if not reply.ok else self.missing(reply, "redirect_to")
        if problem is not None:
            self.show_error(problem)
            return
        self._link = None
        self.show(self.launch_screen())
        self.phone.open_url(str(reply.body["redirect_to"]), source=self.app_id)
