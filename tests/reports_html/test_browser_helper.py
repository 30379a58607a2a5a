"""reports.browser: Debian's Chromium found (or a clear error), pages that refuse the
network, and nothing left running after the block."""

from __future__ import annotations

from pathlib import Path

import pytest

from reports.browser import (
    CHROMIUM,
    CHROMIUM_ENV,
    BrowserMissing,
    find_chromium,
    open_browser,
    open_page,
    screenshot,
)


def test_a_missing_chromium_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(BrowserMissing, match=r"make setup.*apt-get install -y chromium"):
        find_chromium(tmp_path / "chromium")
    with pytest.raises(BrowserMissing, match=CHROMIUM_ENV):
        find_chromium(env={CHROMIUM_ENV: str(tmp_path / "nothing")})
    assert find_chromium(env={}) == CHROMIUM


def test_a_page_refuses_the_network_and_everything_is_closed(tmp_path: Path) -> None:
    page_file = tmp_path / "page.html"
    page_file.write_text(
        '<!doctype html><h1 id="t">local</h1><img src="https://example.invalid/tracker.png">',
        encoding="utf-8",
    )
    with open_browser() as browser:
        with open_page(browser, page_file, width=640, height=480) as view:
            view.page.wait_for_load_state("load")
            assert view.page.inner_text("#t") == "local"
            shot = screenshot(view.page, tmp_path / "shots" / "page.png")
            context = view.page.context
        assert view.external_requests == ["https://example.invalid/tracker.png"]
        assert context.pages == [], "the page's context is closed after its block"
        assert browser.is_connected()
    assert not browser.is_connected(), "the browser is closed after its block"
    assert shot.read_bytes()[:4] == b"\x89PNG"


def test_the_browser_is_closed_when_the_block_fails() -> None:
    with pytest.raises(RuntimeError, match="boom"), open_browser() as browser:
        raise RuntimeError("boom")
    assert not browser.is_connected()
