"""S-5: a URL held in a parameter's value, itself holding one, and so on (``?next=…?next=…``)
is redacted level by level up to a bound, and whole past it: never a ``RecursionError``."""

from __future__ import annotations

import pytest

from harness.protocol.redaction import (
    REDACTED,
    redact_headers,
    redact_json,
    redact_text_body,
    redact_url,
)


def test_secrets_in_a_few_nested_urls_are_redacted_level_by_level() -> None:
    url = "/x?next=vssid://cb?next=vssid://cb?next=/cb?code=S3CRET&state=s&y=1"
    assert (
        redact_url(url)
        == f"/x?next=vssid://cb?next=vssid://cb?next=/cb?code={REDACTED}&state=s&y=1"
    )


@pytest.mark.parametrize("levels", [20, 300, 3000])
def test_urls_nested_past_the_bound_are_redacted_whole_not_a_recursion_error(
    levels: int,
) -> None:
    """``/x?a=?a=?a=…``: each level was a Python frame, ``RecursionError`` at about 200
    levels (a 600-character query), out of every recorder."""
    url = "/x?a=" + "?a=" * levels + "S3CRET"
    assert redact_url(url) == "/x?a=" + "?a=" * 7 + REDACTED
    assert redact_headers({"Location": url}) == {"Location": redact_url(url)}
    assert redact_json({"u": url}) == {"u": redact_url(url)}
    assert redact_text_body(url) == redact_url(url)
