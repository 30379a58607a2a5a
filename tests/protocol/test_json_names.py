"""Error messages name JSON values as JSON does (a review found ``got NoneType``, ``got dict``
and Python's own advice for a 5,000-digit number in answers to JSON callers)."""

from __future__ import annotations

import pytest

from harness.protocol.json_names import json_kind, json_shown


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (3, "a number"),
        (2.5, "a number"),
        ("x", "a string"),
        ([1], "an array"),
        ({"a": 1}, "an object"),
    ],
)
def test_json_kinds(value: object, kind: str) -> None:
    assert json_kind(value) == kind


def test_json_shown_is_json_text_cut_short() -> None:
    assert json_shown(True) == "true"
    assert json_shown(None) == "null"
    assert json_shown("é" * 50, limit=10) == '"ééééééééé…'
