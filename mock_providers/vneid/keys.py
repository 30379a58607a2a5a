"""The provider's keys: the ES256 signing key (T-3) and the pairwise subject secret.

Both are drawn from the provider's :class:`~harness.protocol.Entropy`, so a run seeded with
:class:`~harness.protocol.SeededEntropy` signs with the same key and hands out the same ``sub``
values every time (replayable runs); with the default entropy they are fresh per provider.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from joserfc.jwk import ECKey

from harness.protocol import Entropy

__all__ = ["SIGNING_ALG", "PairwiseSubjects", "derive_private_key", "derive_signing_key",
           "public_jwks"]

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


class PairwiseSubjects:
    """T-3: ``sub`` is "stable per person and client" and differs between clients.

    ``sub = BASE64URL(HMAC-SHA256(secret, client_id NUL personal_id))``, so two relying
    parties cannot correlate a citizen by ``sub`` (OIDC Core §8.1, pairwise).
    """

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def sub(self, client_id: str, personal_id: str) -> str:
        mac = hmac.new(self._secret, f"{client_id}\x00{personal_id}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode("ascii")
