"""Authorization requests holding a parameter whose percent-encoding is not UTF-8.

Decoded with replacement, such a ``state`` would go back to the client as another value
(RFC 6749 §4.1.2: "the exact value received"). The request is refused as ``invalid_request``,
the way RFC 6749 §4.1.2.1 and A-7 want: by redirect once the client and its ``redirect_uri``
are known good (with ``state`` when it decoded), shown and never redirected when it is the
``client_id`` or ``redirect_uri`` that does not decode (S-3, S-2).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import suppress

from harness.protocol import ProtocolError
from harness.protocol.links import UndecodableParameter
from mock_providers.vneid.authorize import (
    RedirectedError,
    VerifiedRequest,
    error_redirect,
    verify_request,
)
from mock_providers.vneid.records import ClientRecord

__all__ = ["verify_decodable"]

_NEVER_REDIRECTED = {"client_id": "S-3", "redirect_uri": "S-2"}


def verify_decodable(
    params: Mapping[str, str],
    undecodable: Sequence[str],
    clients: Mapping[str, ClientRecord],
    issuer: str,
    repeated: Collection[str] = (),
    skip: frozenset[str] = frozenset(),
) -> VerifiedRequest:
    """:func:`verify_request` for a request whose ``undecodable`` parameters were left out of
    ``params``; any such parameter is refused as above."""
    if not undecodable:
        return verify_request(params, clients, issuer, repeated, skip)
    name = undecodable[0]
    said = str(UndecodableParameter(name))
    if name in _NEVER_REDIRECTED:
        raise ProtocolError(said, code="invalid_request", clause=_NEVER_REDIRECTED[name])
    # the client and redirect_uri checks come first and raise without a redirect; a
    # refusal by redirect means both are good: this one goes back the same way
    with suppress(RedirectedError):
        verify_request(params, clients, issuer, repeated, skip)
    error = ProtocolError(said, code="invalid_request", clause="A-2")
    raise RedirectedError(
        error_redirect(params["redirect_uri"], issuer, params.get("state"), error), error
    )
