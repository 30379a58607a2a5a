"""Reading an Allure 3 Awesome report the way a person does, through its ``data-testid``
attributes (Allure 3.18): the tree of tests, one test's steps and attachments, the trend."""

from __future__ import annotations

from playwright.sync_api import Locator, Page

__all__ = [
    "attachment_names",
    "expand_tree",
    "listed_tests",
    "open_image_attachment",
    "open_test",
    "step_titles",
    "trend_runs",
]

# a tree section whose subtree is shown is followed by it; a collapsed one is alone
_COLLAPSED = "[data-testid=tree-section]:last-child"


def expand_tree(page: Page, max_clicks: int = 200) -> None:
    """Open every section of the results tree (suites, sub-suites)."""
    page.get_by_test_id("tree-content").first.wait_for()
    for _ in range(max_clicks):
        collapsed = page.locator(_COLLAPSED)
        if collapsed.count() == 0:
            return
        collapsed.first.get_by_test_id("tree-section-title").click()
    raise AssertionError(f"the results tree still has collapsed sections after {max_clicks} clicks")


def listed_tests(page: Page) -> list[str]:
    """The names of the tests listed in the (expanded) results tree."""
    expand_tree(page)
    return page.get_by_test_id("tree-leaf-title").all_inner_texts()


def open_test(page: Page, name: str) -> None:
    """Click the test called ``name`` in the tree and wait for its page."""
    expand_tree(page)
    page.get_by_test_id("tree-leaf-title").get_by_text(name, exact=True).click()
    page.get_by_test_id("test-result-info-title").get_by_text(name, exact=True).wait_for()


def _body(page: Page) -> Locator:
    return page.get_by_test_id("test-result-steps-root")


def step_titles(page: Page) -> list[str]:
    """Titles of the steps in the open test's body (not its fixtures' set-up); ``[]`` when
    the test has no body steps."""
    page.get_by_test_id("test-result-steps-root").or_(
        page.get_by_test_id("test-result-setup-dropdown")
    ).first.wait_for()
    return _body(page).get_by_test_id("test-result-step-title").all_inner_texts()


def attachment_names(page: Page) -> list[str]:
    """Names of the attachments in the open test's body."""
    headers = _body(page).get_by_test_id("test-result-attachment-header")
    names = []
    for text in headers.all_inner_texts():  # "3\nSequence diagram\nimage/svg+xml\n124 B"
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        names += [line for line in lines if not line.isdigit()][:1]
    return names


def open_image_attachment(page: Page, name: str) -> Locator:
    """Unfold the open test's attachment called exactly ``name``; its ``<img>``."""
    attachment = (
        _body(page)
        .get_by_test_id("test-result-attachment")
        .filter(
            has=page.get_by_test_id("test-result-attachment-header").filter(
                has=page.get_by_text(name, exact=True)
            )
        )
    )
    attachment.get_by_test_id("test-result-attachment-header").click()
    image = attachment.get_by_test_id("image-attachment-content").locator("img")
    image.wait_for()
    return image


def trend_runs(page: Page) -> int:
    """How many runs the "Status dynamics" chart of the Graphs page shows (one bar group
    each)."""
    widget = page.locator("[data-drop-shadow]", has=page.get_by_text("Status dynamics", exact=True))
    widget.wait_for()
    return widget.locator("[data-testid=group]").count()
