"""Look at a report the way a person does: open it in headless Chromium and take screenshots.

Debian's Chromium (``/usr/bin/chromium``, installed by ``make setup``) is driven through
Playwright; ``playwright install`` cannot download browsers on these machines. Everything
started here is stopped when the ``with`` block ends, also on failure::

    with open_browser() as browser, open_page(browser, Path("report/index.html")) as page:
        page.page.get_by_text("Passed").wait_for()
        screenshot(page.page, Path("reports/out/screenshots/overview.png"))
        assert page.external_requests == []          # it opened offline, from disk

Used for the Allure report (:mod:`reports.allure_html`) and, later, the conformance report.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, Page, Route, sync_playwright

from reports.errors import ReportError

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ENV",
    "LAUNCH_ARGS",
    "BrowserMissing",
    "LocalPage",
    "find_chromium",
    "open_browser",
    "open_page",
    "screenshot",
]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ENV = "VNEID_HARNESS_CHROMIUM"
"""Environment variable naming another Chromium executable."""
LAUNCH_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
)
_LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")


class BrowserMissing(ReportError):
    """No Chromium to drive; the message says how to install it."""


@dataclass
class LocalPage:
    """A page showing a local file, with the network requests it tried to make (which are
    refused: a report must work offline)."""

    page: Page
    external_requests: list[str] = field(default_factory=list)


def find_chromium(explicit: Path | None = None, env: Mapping[str, str] | None = None) -> Path:
    """``explicit``, else ``$VNEID_HARNESS_CHROMIUM``, else ``/usr/bin/chromium``; raises
    :class:`BrowserMissing` with the fix."""
    env = os.environ if env is None else env
    candidate = explicit or (Path(env[CHROMIUM_ENV]) if env.get(CHROMIUM_ENV) else CHROMIUM)
    if not candidate.is_file() or not os.access(candidate, os.X_OK):
        installer = "apt-get install -y chromium chromium-driver"
        raise BrowserMissing(
            f"no Chromium at {candidate}: run `make setup` in the harness's checkout (it runs "
            f"`{installer}` on Debian when /usr/bin/chromium is missing), or `{installer}` "
            f"yourself as root, or point {CHROMIUM_ENV} at a Chromium "
            "executable (`playwright install` cannot download browsers here)"
        )
    return candidate


@contextmanager
def open_browser(executable: Path | None = None) -> Iterator[Browser]:
    """Headless Chromium, closed (with Playwright's driver process) when the block ends."""
    path = find_chromium(executable)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(path), headless=True, args=list(LAUNCH_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def open_page(
    browser: Browser,
    target: Path | str,
    *,
    width: int = 1400,
    height: int = 1000,
    timeout_ms: float = 30_000,
) -> Iterator[LocalPage]:
    """A new page (in its own context, closed afterwards) showing ``target``: a local file
    (opened as ``file://``) or a URL. Requests to the network are refused and recorded in
    :attr:`LocalPage.external_requests`."""
    url = target.resolve().as_uri() if isinstance(target, Path) else target
    context = browser.new_context(
        viewport={"width": width, "height": height}, reduced_motion="reduce"
    )
    try:
        context.set_default_timeout(timeout_ms)
        result = LocalPage(context.new_page())

        def refuse_network(route: Route) -> None:
            if route.request.url.startswith(_LOCAL_SCHEMES):
                route.continue_()
            else:
                result.external_requests.append(route.request.url)
                route.abort()

        context.route("**/*", refuse_network)
        result.page.goto(url)
        yield result
    finally:
        context.close()


def screenshot(page: Page, path: Path, *, full_page: bool = False) -> Path:
    """Save a PNG of what the page shows (its parent folders are created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=full_page)
    return path
