"""One phone hosted by the phone screen server, and the pump that runs its work on the
driver's thread.

The server answers the browser from its own threads, but the phone, its apps and its trace
belong to the test: a scenario also reaches them directly (``device.phone.open_url``), and the
Allure reporter writes a trace event as a step only on the test's thread. So once a driver
:meth:`PhoneSession.attach`\\ es, the server does not run phone code itself: it queues the work
(:meth:`PhoneSession.run`) and the driver runs it while it waits for its browser
(:meth:`PhoneSession.serve`). Without a driver (a plain HTTP client, the server's tests) the
work runs on the server's thread, under the session's lock.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from starlette.responses import Response

from harness.apps.screens import Screen
from harness.device import BROWSER, Phone
from harness.errors import HarnessError
from harness.web.render import fingerprint

__all__ = ["SERVER_WAIT_SECONDS", "PhoneSession"]

SERVER_WAIT_SECONDS = 60.0
"""How long a request waits for the driver to run its work before it is answered 504."""


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL, lower-cased (``None`` for other URLs)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc.lower()}"


@dataclass
class _Work:
    """A request's phone work, queued for the driver's thread."""

    run: Callable[[], Response]
    future: Future[Response] = field(default_factory=Future)


class PhoneSession:
    """One phone as the server hosts it: its page URLs, its display fingerprint, its browser.

    ``origins`` maps an origin (``https://vneid.test``, ``http://id.vneid.test``) to the
    client through which the phone's browser reaches it; the session owns those clients.
    """

    def __init__(
        self,
        server_url: str,
        phone_id: str,
        phone: Phone,
        origins: Mapping[str, httpx.Client],
        *,
        on_close: Callable[[PhoneSession], None] | None = None,
    ) -> None:
        self.id = phone_id
        self._on_close = on_close
        self.phone = phone
        self.origins = {o.lower(): c for o, c in origins.items()}
        self.lock = threading.RLock()
        self.server_url = server_url
        self.path = f"/phone/{phone_id}"
        self.closed = False
        self._work: queue.Queue[_Work | Future[Any]] | None = None

    # -- addresses -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The page showing the phone's foreground screen."""
        return self.server_url + self.path

    def open_url_for(self, app_id: str) -> str:
        """The page that brings ``app_id`` to the front (the launcher's icon)."""
        return f"{self.url}/open/{app_id}"

    @property
    def browser_prefix(self) -> str:
        """Every page of the phone's browser lives under this URL."""
        return f"{self.url}/web/"

    def proxied(self, url: str, *, absolute: bool = False) -> str | None:
        """Where the phone's browser shows ``url`` (``None``: not a harness provider)."""
        origin = origin_of(url)
        if origin is None or origin not in self.origins:
            return None
        parts = urlsplit(url)
        path = f"{self.path}/web/{parts.scheme}/{parts.netloc.lower()}{parts.path or '/'}"
        if parts.query:
            path += f"?{parts.query}"
        return (self.server_url + path) if absolute else path

    def original_url(self, page_url: str) -> str | None:
        """The URL a browser page of this phone stands for (``None``: not a browser page)."""
        if not page_url.startswith(self.browser_prefix):
            return None
        rest = page_url[len(self.browser_prefix) :]
        scheme, _, rest = rest.partition("/")
        host, _, path = rest.partition("/")
        return f"{scheme}://{host}/{path}"

    # -- the phone -------------------------------------------------------------------------
    def screen(self) -> Screen:
        with self.lock:
            return self.phone.screen()

    def fingerprint(self) -> str:
        """What the display shows now (see :func:`harness.web.render.fingerprint`)."""
        with self.lock:
            return fingerprint(self.phone.foreground, self.phone.screen())

    @property
    def foreground(self) -> str | None:
        return self.phone.foreground

    def keep_typed(
        self, typed: Mapping[str, str], shown: str | None, *, explicit: bool = False
    ) -> None:
        """Type into the foreground app's fields what a page showing fingerprint ``shown``
        holds in them, as the app keeps its fields' text; only when the page still shows
        what the phone shows. From a posted form (``explicit`` false) an empty password
        field means nothing (a password input never carries its value back), while an empty
        text field was erased; ``explicit`` values (a driver's ``type``) are taken as they are,
        an empty one included."""
        with self.lock:
            phone = self.phone
            if phone.foreground in (None, BROWSER, "store"):
                return
            screen = phone.screen()
            if shown != fingerprint(phone.foreground, screen):
                return
            app = phone.foreground_app()
            for element in screen.elements:
                value = typed.get(element.id)
                if element.kind != "field" or value is None:
                    continue
                secret = element.id in getattr(app, "secret_fields", frozenset())
                if not explicit and (value == "" if secret else value == (element.value or "")):
                    continue
                app.type(element.id, value)

    def hand_to_os(self, url: str) -> bool:
        """The browser asked for ``url`` (an app link): the OS routes it as for any link
        (:meth:`harness.device.Phone.open_url`); whether an app took it."""
        with self.lock:
            return self.phone.open_url(url, source=BROWSER).handled

    # -- where phone code runs -------------------------------------------------------------
    def attach(self) -> None:
        """From now on the server queues this phone's work for :meth:`serve`."""
        self._work = queue.Queue()

    def run(self, work: Callable[[], Response]) -> Response:
        """Called by the server's threads: ``work``'s answer, computed on the driver's thread
        when one is attached (else here)."""
        pending = self._work
        if pending is None:
            with self.lock:
                return work()
        item = _Work(work)
        pending.put(item)
        try:
            return item.future.result(timeout=SERVER_WAIT_SECONDS)
        except FutureTimeout:
            raise HarnessError(
                f"the driver of phone {self.id} did not serve this request "
                f"within {SERVER_WAIT_SECONDS} s"
            ) from None

    def is_final(self, response: Response) -> bool:
        """Whether the browser stops at ``response`` (not a redirect to this server)."""
        if not 300 <= response.status_code < 400:
            return True
        location = response.headers.get("location", "")
        return not (location.startswith(self.path) or location.startswith(self.url))

    def serve(self, *, until: Future[Any] | None = None, timeout: float) -> None:
        """Run queued work on this thread: until ``until`` is done, or (without it) until a
        final answer was computed (the page the browser stops at). :class:`HarnessError`
        when nothing comes for ``timeout`` seconds."""
        pending = self._work
        if pending is None:
            raise HarnessError("serve() needs attach() first")
        if until is not None:
            until.add_done_callback(pending.put)
        while True:
            try:
                item = pending.get(timeout=timeout)
            except queue.Empty:
                raise HarnessError(
                    f"the browser of phone {self.id} asked for nothing within {timeout} s"
                ) from None
            if isinstance(item, Future):
                if item is until:
                    return
                continue  # a finished call of an earlier serve()
            final = self._execute(item)
            if until is None and final:
                return

    def _execute(self, item: _Work) -> bool:
        try:
            with self.lock:
                response = item.run()
        except Exception as exc:  # the server renders it (a harness error page)
            item.future.set_exception(exc)
            return True
        except BaseException as exc:
            item.future.set_exception(HarnessError(f"interrupted: {exc!r}"))
            raise
        item.future.set_result(response)
        return self.is_final(response)

    def close(self) -> None:
        """Unregister from the server, fail queued work, close the browser's clients."""
        if self.closed:
            return
        self.closed = True
        if self._on_close is not None:
            self._on_close(self)
        pending, self._work = self._work, None
        while pending is not None and not pending.empty():
            item = pending.get_nowait()
            if isinstance(item, _Work):
                item.future.set_exception(HarnessError(f"phone {self.id} was closed"))
        for client in {id(c): c for c in self.origins.values()}.values():
            client.close()
