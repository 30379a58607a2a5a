"""Headers: credentials keep only their scheme word; URL-valued headers (Location,
Content-Location, Referer) lose their secret parameters (S-5)."""

from __future__ import annotations

from harness.protocol.redaction import REDACTED, redact_headers


def test_url_headers_are_redacted_as_urls() -> None:
    out = redact_headers(
        {
            "Location": "harnessrp://callback?code=abc123&state=s1&iss=http%3A%2F%2Fi",
            "content-location": "https://rp.example/cb#code=abc123&state=s1",
            "Referer": "https://vssid.test/auth/vneid/callback?code=abc123",
            "Authorization": "Bearer tok",
            "X-Other": "code=abc123",
        }
    )
    assert out["Location"] == f"harnessrp://callback?code={REDACTED}&state=s1&iss=http%3A%2F%2Fi"
    assert out["content-location"] == f"https://rp.example/cb#code={REDACTED}&state=s1"
    assert out["Referer"] == f"https://vssid.test/auth/vneid/callback?code={REDACTED}"
    assert out["Authorization"] == f"Bearer {REDACTED}"
    assert out["X-Other"] == "code=abc123"  # not a URL header: kept as it came


def test_a_url_header_without_secrets_is_kept_exactly() -> None:
    headers = {"Location": "/authorize?request_id=r1&ui_locales=vi", "Referer": "http://x/"}
    assert redact_headers(headers) == headers
