"""The phone screen server: the simulated phones of the running tests, rendered as web pages.

One server per test session listens on loopback (port picked by the OS) in a background
thread. A phone registers under a random id and gets a :class:`PhoneSession`; a browser shows
it at ``/phone/{id}``. The app logic stays in :mod:`harness.apps` and the OS in
:mod:`harness.device`: the server only renders and forwards input.

Routes (``{id}``: the phone's id)::

    GET  /phone/{id}                  the foreground screen (harness.device.Phone.screen())
    POST /phone/{id}/tap              form: _tap=<element id>, _fingerprint, field values;
                                      the typed values and the tap go through the same app
                                      objects as the sim driver, then 303 to /phone/{id}
    GET  /phone/{id}/open/{app}       the user brings an app to the front (launcher)
    *    /phone/{id}/web/{scheme}/{host}/{path}
                                      the phone's browser: a proxy to the harness's providers
    GET  /health                      {"status": "ok"}

App links never reach the browser as navigations: VssID's hand-off to VNeID and VNeID's
callback to VssID happen server-side, in :meth:`harness.device.Phone.open_url`. When the OS
opens an http(s) link nobody verified, the phone shows its browser: ``/phone/{id}`` redirects
to the proxied page, whose links to the providers are rewritten to stay in the proxy, and a
redirect to a custom scheme (the provider's web login ending at ``vssid://…``) is handed to
the phone's OS here, instead of to Chromium, which would not follow it (TOOLCHAIN.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from html import escape
from urllib.parse import parse_qsl, urlsplit

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from harness.device import BROWSER, Phone
from harness.errors import ConfigError, HarnessError
from harness.web.render import fingerprint, render_screen
from harness.web.session import PhoneSession

__all__ = ["PhoneServer", "PhoneSession"]

HOST = "127.0.0.1"
_NO_STORE = {"Cache-Control": "no-store"}
_FORWARDED_REQUEST_HEADERS = ("content-type", "accept", "accept-language", "user-agent")
_FORWARDED_RESPONSE_HEADERS = ("content-type", "cache-control")
_MAX_FORM = 64 * 1024


class _Uvicorn(uvicorn.Server):
    """uvicorn without signal handlers (it runs in a thread), telling when it is up."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()


class PhoneServer:
    """The phone screen server (a context manager): :meth:`register` a phone, open
    :attr:`PhoneSession.url` in a browser. Started by :meth:`start`, stopped by :meth:`close`
    (the thread joined, the socket closed)."""

    def __init__(self, *, port: int = 0, startup_timeout: float = 10.0) -> None:
        self._port = port
        self._timeout = startup_timeout
        self._sessions: dict[str, PhoneSession] = {}
        self._render_ids = itertools.count(1)
        self._server: _Uvicorn | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self.url = ""
        self.app = Starlette(
            routes=[
                Route("/health", self._health, methods=["GET"]),
                Route("/favicon.ico", self._favicon, methods=["GET"]),
                Route("/phone/{pid}", self._page, methods=["GET"]),
                Route("/phone/{pid}/tap", self._tap, methods=["POST"]),
                Route("/phone/{pid}/open/{app_id}", self._open, methods=["GET"]),
                Route(
                    "/phone/{pid}/web/{scheme}/{host}/{path:path}",
                    self._browse,
                    methods=["GET", "POST"],
                ),
            ],
            exception_handlers={_Refused: _refused_page, HarnessError: _refused_page},
        )

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> PhoneServer:
        if self._thread is not None:
            return self
        from harness.serve import bind_loopback

        self._sock = bind_loopback(self._port, HOST)
        self.url = f"http://{HOST}:{self._sock.getsockname()[1]}"
        server = _Uvicorn(
            uvicorn.Config(
                self.app,
                log_level="warning",
                lifespan="off",
                access_log=False,
                timeout_graceful_shutdown=2,
            )
        )
        sock = self._sock
        self._server = server
        self._thread = threading.Thread(
            target=lambda: asyncio.run(server.serve(sockets=[sock])),
            name="phone-screen-server",
            daemon=True,
        )
        self._thread.start()
        if not server.ready.wait(self._timeout):
            self.close()
            raise ConfigError(
                f"the phone screen server did not start on {self.url} within {self._timeout} s"
            )
        return self

    def close(self) -> None:
        for session in list(self._sessions.values()):
            self.unregister(session)
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._server = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> PhoneServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- phones ----------------------------------------------------------------------------
    def register(
        self, phone: Phone, *, origins: Mapping[str, httpx.Client] | None = None
    ) -> PhoneSession:
        """Host ``phone`` under a fresh random id."""
        if not self.running:
            raise HarnessError("the phone screen server is not running; call start() first")
        session = PhoneSession(
            self.url, secrets.token_urlsafe(9), phone, origins or {}, on_close=self._forget
        )
        self._sessions[session.id] = session
        return session

    def unregister(self, session: PhoneSession) -> None:
        """Stop hosting the phone (the same as :meth:`PhoneSession.close`)."""
        session.close()

    def _forget(self, session: PhoneSession) -> None:
        self._sessions.pop(session.id, None)

    @property
    def sessions(self) -> tuple[PhoneSession, ...]:
        return tuple(self._sessions.values())

    # -- endpoints -------------------------------------------------------------------------
    def _session(self, request: Request) -> PhoneSession:
        session = self._sessions.get(request.path_params["pid"])
        if session is None:
            raise _Refused(404, "no phone is registered under this id (was its device closed?)")
        return session

    async def _health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok", "phones": len(self._sessions)})

    async def _favicon(self, request: Request) -> Response:
        return Response(status_code=204)

    async def _page(self, request: Request) -> Response:
        session = self._session(request)
        return await _served(session, lambda: self._render(session))

    def _render(self, session: PhoneSession) -> Response:
        with session.lock:
            phone = session.phone
            screen = phone.screen()
            if screen.id == BROWSER:
                target = session.proxied(str(screen.data.get("url") or ""))
                if target is not None:
                    return RedirectResponse(target, status_code=303, headers=_NO_STORE)
            secret: frozenset[str] = frozenset()
            if screen.app in phone.installed:
                secret = frozenset(getattr(phone.app(screen.app), "secret_fields", ()))
            html = render_screen(
                screen,
                phone_id=session.id,
                platform=phone.platform,
                tap_url=f"{session.path}/tap",
                fingerprint=fingerprint(phone.foreground, screen),
                render_id=next(self._render_ids),
                secret_fields=secret,
            )
        return HTMLResponse(html, headers=_NO_STORE)

    async def _tap(self, request: Request) -> Response:
        session = self._session(request)
        body = await request.body()
        if len(body) > _MAX_FORM:

            def refuse() -> Response:
                # Refused as the session's work, so a driver waiting for this tap's answer
                # (PhoneSession.serve) gets it at once rather than waiting out its timeout.
                raise _Refused(413, f"a tap carries at most {_MAX_FORM} bytes of form data")

            return await _served(session, refuse)
        values = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        return await _served(session, lambda: self._apply_tap(session, values))

    def _apply_tap(self, session: PhoneSession, form: Mapping[str, str]) -> Response:
        element_id = form.get("_tap", "")
        with session.lock:
            phone = session.phone
            if form.get("_fingerprint") != fingerprint(phone.foreground, phone.screen()):
                raise _Refused(
                    409, "the screen changed since this page was rendered; reload it before tapping"
                )
            if phone.foreground is None:  # the launcher: its icons bring an app to the front
                phone.switch_to(element_id)
            else:
                session.keep_typed(form, form.get("_fingerprint"))
                phone.foreground_app().tap(element_id)
        return RedirectResponse(session.path, status_code=303, headers=_NO_STORE)

    async def _open(self, request: Request) -> Response:
        session = self._session(request)
        app_id = request.path_params["app_id"]

        def switch() -> Response:
            with session.lock:
                session.phone.switch_to(app_id)
            return RedirectResponse(session.path, status_code=303, headers=_NO_STORE)

        return await _served(session, switch)

    async def _browse(self, request: Request) -> Response:
        session = self._session(request)
        params = request.path_params
        origin = f"{params['scheme']}://{str(params['host']).lower()}"
        client = session.origins.get(origin)
        if client is None:
            return _harness_page(
                502,
                f"the phone's browser cannot reach {origin}: it is not "
                "one of the harness's providers",
            )
        path = "/" + str(params["path"])
        if request.url.query:
            path += f"?{request.url.query}"
        headers = {
            k: v for k, v in request.headers.items() if k.lower() in _FORWARDED_REQUEST_HEADERS
        }
        body = await request.body()

        def forward() -> Response:
            try:
                answer = client.request(request.method, path, headers=headers, content=body)
            except httpx.TransportError as exc:
                raise _Refused(502, f"{origin} did not answer: {exc}") from None
            return self._browser_answer(session, origin, answer)

        return await _served(session, forward)

    def _browser_answer(
        self, session: PhoneSession, origin: str, answer: httpx.Response
    ) -> Response:
        headers = {
            k: v for k, v in answer.headers.items() if k.lower() in _FORWARDED_RESPONSE_HEADERS
        }
        location = answer.headers.get("location")
        if location is not None and 300 <= answer.status_code < 400:
            scheme = urlsplit(location).scheme.lower()
            if scheme and scheme not in ("http", "https"):
                # An app link: the browser asks the OS (Chromium would drop it, TOOLCHAIN.md).
                if session.hand_to_os(location):
                    return RedirectResponse(session.path, status_code=303, headers=_NO_STORE)
                return _harness_page(
                    200,
                    f"không mở được liên kết {location}: không có ứng dụng nào nhận nó",
                    testid="browser-page",
                )
            if location.startswith("/") and not location.startswith("//"):
                location = origin + location
            headers["location"] = session.proxied(location) or location
        content = answer.content
        if "text/html" in answer.headers.get("content-type", ""):
            text = answer.text
            for mapped in session.origins:
                prefix = session.proxied(mapped + "/") or ""
                text = text.replace(mapped + "/", prefix).replace(f'"{mapped}"', f'"{prefix}"')
            content = text.encode()
            headers["content-type"] = "text/html; charset=utf-8"
        return Response(content, status_code=answer.status_code, headers=headers)


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _harness_page(status: int, message: str, *, testid: str = "harness-error") -> Response:
    """A page that is not a screen: what went wrong, for the driver (``data-harness-error``)
    and for whoever looks at the screenshot."""
    attr = f' data-harness-error="{escape(message)}"' if testid == "harness-error" else ""
    html = (
        '<!doctype html>\n<html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>vneid-harness</title></head><body{attr}>"
        f'<main data-testid="{testid}"><p>{escape(message)}</p></main></body></html>\n'
    )
    return HTMLResponse(html, status_code=status, headers=_NO_STORE)


async def _refused_page(request: Request, exc: Exception) -> Response:
    """A refusal or a harness error (e.g. tapping what the screen lacks) as a harness page."""
    if isinstance(exc, _Refused):
        return _harness_page(exc.status, exc.message)
    return _harness_page(400, str(exc))


async def _served(session: PhoneSession, work: Callable[[], Response]) -> Response:
    """Run phone code off the event loop (it makes blocking HTTP calls to the providers), on
    the driver's thread when a driver pumps the session (:meth:`PhoneSession.run`)."""
    return await run_in_threadpool(session.run, work)
