"""S-5: a token result printed by pytest (a failure's explanation) keeps no token."""

from __future__ import annotations

from harness.rp import TokenResult


def test_a_token_results_repr_keeps_no_token() -> None:
    """pytest shortens a long repr in the middle: the end of an ID token stayed, which no
    scrub recognises (a vendor's review)."""
    shown = repr(
        TokenResult(
            200,
            {
                "access_token": "AT-0123456789",
                "token_type": "Bearer",
                "id_token": "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnX3Rh",
            },
        )
    )
    assert "0123456789" not in shown
    assert "c2lnX3Rh" not in shown
    assert shown.startswith("TokenResult(status=200, body={'access_token': '[REDACTED]'")
    assert "'token_type': 'Bearer'" in shown
