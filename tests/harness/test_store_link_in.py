"""V-4, V-5 name no field for the store link a 426 carries: the apps read the mock's
``store_url``, else the first link in the answer."""

from __future__ import annotations

from typing import Any

import pytest

from harness.apps.base import store_link_in

APPLE = "https://apps.apple.com/vn/app/vssid/id1"


@pytest.mark.parametrize(
    ("body", "link"),
    [
        ({"error": "app_update_required", "store_url": APPLE}, APPLE),
        ({"error": "app_update_required", "update_url": APPLE}, APPLE),
        (
            {"error": "x", "links": {"store": "market://details?id=vn.gov.vssid"}},
            "market://details?id=vn.gov.vssid",
        ),
        (
            {"error": "x", "stores": [{"ios": "itms-apps://apps.apple.com/app/id1"}]},
            "itms-apps://apps.apple.com/app/id1",
        ),
        ({"error": "x", "store_url": None, "update_url": APPLE}, APPLE),
        ({"error": "x", "error_description": "update the app from its store"}, None),
        ({"error": "x", "store_url": 5}, None),
        ([], None),
    ],
)
def test_the_store_link_is_found_in_any_field(body: Any, link: str | None) -> None:
    assert store_link_in(body) == link


def test_the_phones_own_store_is_preferred() -> None:
    """An answer listing both stores opens the phone's own; without one of its own, the
    first link."""
    google = "https://play.google.com/store/apps/details?id=vn.gov.vssid"
    body = {"error": "app_update_required", "links": [APPLE, google]}
    assert store_link_in(body, "https://play.google.com/") == google
    assert store_link_in(body, "https://apps.apple.com/") == APPLE
    assert (
        store_link_in({"store_url": APPLE, "other": google}, "https://play.google.com/") == google
    )
    assert store_link_in({"links": [APPLE]}, "https://play.google.com/") == APPLE
