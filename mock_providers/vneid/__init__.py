"""The mock VNeID identity provider (OpenID Provider) of PROTOCOL.md.

    from mock_providers.vneid import VNeIDProvider, VNeIDSettings, PersonaRecord, ClientRecord

    provider = VNeIDProvider(VNeIDSettings(issuer="http://id.vneid.test"))
    provider.add_persona(PersonaRecord("001099012345", "123456", 2, "Nguyễn Văn An",
                                       "1999-05-01", "male"))
    provider.app        # the Starlette ASGI app

Discovery, JWKS, token and userinfo (§5), the app API (A-4, A-5), the web form flow (§9) and
the test-control API (§11), including the relying-party faults of :mod:`.faults`
(``provider.arm_fault("vssid", "id_token_nonce_invalid")``).
"""

from mock_providers.vneid.provider import VNeIDProvider
from mock_providers.vneid.records import ClientRecord, PersonaRecord
from mock_providers.vneid.settings import VNeIDSettings

__all__ = ["ClientRecord", "PersonaRecord", "VNeIDProvider", "VNeIDSettings"]
