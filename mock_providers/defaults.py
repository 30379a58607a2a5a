"""Defaults shared by both mock providers and the harness that starts them (§11)."""

from __future__ import annotations

__all__ = [
    "DEFAULT_VSSID_CLIENT_SECRET",
    "EMBEDDED_VNEID_ISSUER",
    "EMBEDDED_VSSID_BASE_URL",
]

EMBEDDED_VNEID_ISSUER = "http://id.vneid.test"
"""The VNeID issuer when it runs in-process (no socket; the ``.test`` TLD, RFC 2606)."""

EMBEDDED_VSSID_BASE_URL = "http://api.vssid.test"
"""The VssID backend's base URL when it runs in-process."""

DEFAULT_VSSID_CLIENT_SECRET = "vssid-harness-client-secret"
"""The secret of the pre-registered ``vssid`` client. Test-only; override it in settings."""
