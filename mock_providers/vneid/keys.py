"""The provider's keys: the ES256 signing key (T-3, :mod:`harness.protocol.keys`) and the
pairwise subject secret.

Both are drawn from the provider's :class:`~harness.protocol.Entropy`, so a run seeded with
:class:`~harness.protocol.SeededEntropy` signs with the same key and hands out the same ``sub``
values every time (replayable runs); with the default entropy they are fresh per provider.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from harness.protocol.keys import SIGNING_ALG, derive_private_key, derive_signing_key, public_jwks

__all__ = [
    "SIGNING_ALG",
    "PairwiseSubjects",
    "derive_private_key",
    "derive_signing_key",
    "public_jwks",
]


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
