"""PKCE S256 (RFC 7636): S-1, S-4."""

from __future__ import annotations

import pytest

from harness.protocol import s256_challenge, verify_s256

pytestmark = pytest.mark.clause("S-1", "S-4")


@pytest.mark.parametrize("verifier", ["v" * 42, "v" * 129, "v" * 42 + "+"])
def test_verify_s256_refuses_a_malformed_verifier_even_if_it_hashes_right(verifier: str) -> None:
    """RFC 7636 §4.1: 43-128 unreserved characters; the hash matching is not enough."""
    assert not verify_s256(verifier, s256_challenge(verifier))


def test_verify_s256_compares_the_challenge_exactly() -> None:
    verifier = "v" * 43
    challenge = s256_challenge(verifier)
    assert verify_s256(verifier, challenge)
    assert not verify_s256(verifier, challenge + "=")  # BASE64URL without padding (§4.2)
    assert not verify_s256(verifier, challenge.upper())
