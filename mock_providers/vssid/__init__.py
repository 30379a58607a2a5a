"""The mock VssID backend: the OpenID Connect relying party of VNeID and the VssID app API.

Modules, by what they do:

- ``provider``: :class:`VssIDProvider`, the state and the ASGI app;
- ``app``: the app API routes (A-1, A-6; V-3, V-4); ``control``: ``/_harness/`` (§11, S-6);
- ``login``: start and complete, in protocol order; ``callback``: R-1…R-4;
- ``signature``: R-5 (JWKS keys, ES256 only); ``idtoken``: R-6…R-11 and T-3, both pure;
- ``responses``: the issuer's discovery and token answers parsed (T-1, T-2, T-4);
- ``issuer_client``: the calls to the issuer (discovery, JWKS, token, userinfo) with their
  record ``outgoing``; ``transactions``, ``accounts``, ``settings``: state and configuration.

``VssIDSettings(skip_checks=...)`` (names from :data:`SKIPPABLE_CHECKS`) is a test-only knob
that turns the mock into a deliberately broken relying party, to show a plan catches it.
"""

from mock_providers.vssid.accounts import AccountRecord
from mock_providers.vssid.outgoing import OutgoingCall, OutgoingLog
from mock_providers.vssid.provider import VssIDProvider
from mock_providers.vssid.settings import SKIPPABLE_CHECKS, VssIDSettings

__all__ = [
    "SKIPPABLE_CHECKS",
    "AccountRecord",
    "OutgoingCall",
    "OutgoingLog",
    "VssIDProvider",
    "VssIDSettings",
]
