"""PKCE S256 (RFC 7636), through authlib's implementation: S-1, S-4."""

from __future__ import annotations

import re

from authlib.oauth2.rfc7636 import create_s256_code_challenge

__all__ = ["is_valid_code_verifier", "s256_challenge", "verify_s256"]

_VERIFIER_RE = re.compile(r"[A-Za-z0-9\-._~]{43,128}", re.ASCII)


def is_valid_code_verifier(verifier: object) -> bool:
    """RFC 7636 §4.1: 43–128 characters of ``[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"``."""
    return isinstance(verifier, str) and _VERIFIER_RE.fullmatch(verifier) is not None


def s256_challenge(verifier: str) -> str:
    """``BASE64URL(SHA256(verifier))`` (RFC 7636 §4.2)."""
    return str(create_s256_code_challenge(verifier))


def verify_s256(verifier: str, challenge: str) -> bool:
    """Whether ``verifier`` answers ``challenge`` (constant-time compare)."""
    import hmac

    return is_valid_code_verifier(verifier) and hmac.compare_digest(
        s256_challenge(verifier), challenge
    )
