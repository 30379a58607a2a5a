"""Fixtures for the mock providers' unit tests.

VNeID (``vneid_``-prefixed): a provider on a manual clock with seeded entropy, an in-process
``httpx.Client`` for it, a level-2 citizen, and :class:`VNeIDFlow`, the few protocol steps the
tests repeat (log in, authorize, redeem).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.embedded import SyncASGITransport
from harness.protocol import (
    DEFAULT_PROFILE,
    AuthorizationRequest,
    Callback,
    LinkForm,
    ManualClock,
    SeededEntropy,
    parse_callback,
    s256_challenge,
)
from mock_providers.defaults import DEFAULT_VSSID_CLIENT_SECRET
from mock_providers.vneid import PersonaRecord, VNeIDProvider, VNeIDSettings

VNEID_HEADERS = {"X-VNeID-App-Version": "2.1.0", "X-Device-Platform": "android"}
VNEID_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636 Appendix B
VNEID_CALLBACK = "vssid://auth/vneid/callback"


class VNeIDFlow:
    """The steps of A-4, A-5 and T-1 against one provider, with overridable parts."""

    def __init__(self, provider: VNeIDProvider, http: httpx.Client, persona: PersonaRecord) -> None:
        self.provider, self.http, self.persona = provider, http, persona
        self.headers = dict(VNEID_HEADERS)
        self.verifier = VNEID_VERIFIER

    def session(self, persona: PersonaRecord | None = None) -> str:
        who = persona or self.persona
        r = self.http.post(
            "/api/app/v1/sessions",
            headers=self.headers,
            json={"personal_id": who.personal_id, "passcode": who.passcode},
        )
        assert r.status_code == 200, r.text
        return str(r.json()["session_token"])

    def request(self, **changes: Any) -> AuthorizationRequest:
        fields: dict[str, Any] = {
            "client_id": "vssid",
            "redirect_uri": VNEID_CALLBACK,
            "state": "state-123",
            "nonce": "nonce-456",
            "code_challenge": s256_challenge(self.verifier),
        }
        fields.update(changes)
        return AuthorizationRequest(**fields)

    def authorize(
        self, link: str, decision: str = "approve", *, session: str | None = None
    ) -> httpx.Response:
        token = session or self.session()
        return self.http.post(
            "/api/app/v1/authorizations",
            headers={**self.headers, "Authorization": f"Bearer {token}"},
            json={"link": link, "decision": decision},
        )

    def callback(
        self,
        request: AuthorizationRequest | None = None,
        form: LinkForm = LinkForm.CUSTOM_SCHEME,
        **kw: Any,
    ) -> Callback:
        r = self.authorize((request or self.request()).to_link(form), **kw)
        assert r.status_code == 200, r.text
        return parse_callback(r.json()["redirect_to"])

    def code(self, request: AuthorizationRequest | None = None, **kw: Any) -> str:
        cb = self.callback(request, **kw)
        assert cb.code, cb.params
        return cb.code

    def redeem(
        self, code: str, /, *, auth: tuple[str, str] | None = None, **form: str | None
    ) -> httpx.Response:
        """POST /token for ``code``; a ``form`` value of ``None`` drops that parameter."""
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": VNEID_CALLBACK,
            "code_verifier": self.verifier,
            **form,
        }
        data = {k: v for k, v in data.items() if v is not None}
        return self.http.post(
            "/token", data=data, auth=auth or ("vssid", DEFAULT_VSSID_CLIENT_SECRET)
        )


@pytest.fixture
def vneid_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def vneid_provider(request: pytest.FixtureRequest, vneid_clock: ManualClock) -> VNeIDProvider:
    """The provider, with the default profile or the one an indirect parametrization gives."""
    profile = getattr(request, "param", DEFAULT_PROFILE)
    return VNeIDProvider(
        VNeIDSettings(profile=profile), clock=vneid_clock, entropy=SeededEntropy("vneid-unit-tests")
    )


@pytest.fixture
def vneid_http(vneid_provider: VNeIDProvider) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=SyncASGITransport(vneid_provider.app), base_url=vneid_provider.issuer
    ) as client:
        yield client


@pytest.fixture
def vneid_persona(vneid_provider: VNeIDProvider) -> PersonaRecord:
    return vneid_provider.add_persona(
        PersonaRecord("001099012345", "123456", 2, "Nguyễn Văn An", "1999-05-01", "male")
    )


@pytest.fixture
def vneid_level1_persona(vneid_provider: VNeIDProvider) -> PersonaRecord:
    return vneid_provider.add_persona(
        PersonaRecord("079301000042", "654321", 1, "Trần Thị Bình", "2001-02-03", "female")
    )


@pytest.fixture
def vneid_flow(
    vneid_provider: VNeIDProvider, vneid_http: httpx.Client, vneid_persona: PersonaRecord
) -> VNeIDFlow:
    return VNeIDFlow(vneid_provider, vneid_http, vneid_persona)
