"""Keys drawn from an :class:`~harness.protocol.Entropy`: ES256 (P-256) keys for signing ID
tokens (T-3) and client assertions (T-1, ``private_key_jwt``), and the JWK Set that publishes
them. A run seeded with :class:`~harness.protocol.SeededEntropy` gets the same keys every
time (replayable runs); pure, no I/O. The mock VNeID signs with them, the harness's own
relying party authenticates with them.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from joserfc.jwk import ECKey

from harness.protocol.runtime import Entropy

__all__ = ["SIGNING_ALG", "derive_private_key", "derive_signing_key", "public_jwks"]

SIGNING_ALG = "ES256"
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _derived(entropy: Entropy) -> ec.EllipticCurvePrivateKey:
    # 40 bytes reduced modulo the order: the bias is below 2**-64.
    scalar = int.from_bytes(entropy.randbytes(40), "big") % (_P256_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def derive_private_key(entropy: Entropy, kid: str | None = None) -> ECKey:
    """A P-256 private key whose scalar comes from ``entropy`` (a seeded one replays it),
    with this ``kid`` (none for ``None``)."""
    return ECKey.import_key(_derived(entropy), {"kid": kid} if kid else None)


def derive_signing_key(entropy: Entropy) -> ECKey:
    """A P-256 key whose scalar comes from ``entropy``; ``kid`` is its RFC 7638 thumbprint.

    T-3: "The ID token is a JWS signed ES256 (key published at jwks_uri, kid set)".
    """
    private = _derived(entropy)
    kid = ECKey.import_key(private).thumbprint()
    return ECKey.import_key(private, {"kid": kid, "use": "sig", "alg": SIGNING_ALG})


def public_jwks(*keys: ECKey) -> dict[str, Any]:
    """The JWK Set published at ``jwks_uri``: public members only."""
    return {"keys": [key.as_dict(private=False) for key in keys]}
