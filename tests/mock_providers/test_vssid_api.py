"""The Python API of the VssID provider that the rest of the harness codes against."""

from __future__ import annotations

import pytest

import mock_providers.vssid as vssid
from harness.protocol import (
    DEFAULT_PROFILE,
    LinkForm,
    ManualClock,
    OffsetClock,
    ProtocolError,
    SeededEntropy,
)
from mock_providers.defaults import (
    DEFAULT_VSSID_CLIENT_SECRET,
    EMBEDDED_VNEID_ISSUER,
    EMBEDDED_VSSID_BASE_URL,
)
from mock_providers.vssid import AccountRecord, VssIDProvider, VssIDSettings
from tests.mock_providers.vssid_fixtures import BHXH_CODE, PERSONAL_ID


def test_exported_members() -> None:
    assert sorted(vssid.__all__) == [
        "AccountRecord",
        "OutgoingCall",
        "OutgoingLog",
        "SKIPPABLE_CHECKS",
        "VssIDProvider",
        "VssIDSettings",
    ]
    for name in vssid.__all__:
        if name.isupper():  # a constant
            continue
        assert getattr(vssid, name).__module__.startswith("mock_providers.vssid.")
    assert vssid.SKIPPABLE_CHECKS is vssid.settings.SKIPPABLE_CHECKS


def test_settings_defaults_are_the_embedded_world() -> None:
    settings = VssIDSettings()
    assert settings == VssIDSettings(
        issuer=EMBEDDED_VNEID_ISSUER,
        client_id="vssid",
        client_secret=DEFAULT_VSSID_CLIENT_SECRET,
        redirect_uri=DEFAULT_PROFILE.callback_custom,
        link_form=LinkForm.CUSTOM_SCHEME,
        token_endpoint_auth_method="client_secret_basic",
        profile=DEFAULT_PROFILE,
        admin_token=None,
        base_url=EMBEDDED_VSSID_BASE_URL,
        fetch_userinfo=True,
    )
    assert DEFAULT_VSSID_CLIENT_SECRET not in repr(settings)
    assert VssIDSettings(link_form="https").link_form is LinkForm.CLAIMED_HTTPS  # type: ignore[arg-type]


def test_settings_follow_their_profile_unless_given() -> None:
    """The client id and callback VNeID registers under a profile are the relying party's
    own under it, however the settings are built; given ones stand."""
    profile = DEFAULT_PROFILE.evolve(
        vssid_client_id="bank-client", vssid_scheme="bank", callback_path="/oauth/return"
    )
    settings = VssIDSettings(profile=profile)
    assert (settings.client_id, settings.redirect_uri) == ("bank-client", "bank://oauth/return")
    given = VssIDSettings(profile=profile, client_id="other", redirect_uri="bank://x/y")
    assert (given.client_id, given.redirect_uri) == ("other", "bank://x/y")
    provider = VssIDProvider(settings)
    with pytest.raises(ProtocolError):  # the control API refuses an empty one
        provider.configure(client_id="")
    assert provider.settings.client_id == "bank-client"


@pytest.mark.parametrize(
    ("changes", "clause"),
    [
        ({"issuer": "id.vneid.test"}, "R-2"),
        ({"client_secret": ""}, "T-1"),
        ({"token_endpoint_auth_method": "private_key_jwt"}, "T-1"),
        ({"admin_token": ""}, "S-6"),
        ({"issuer_timeout": 0}, "A-6"),
        ({"issuer_timeout": 10**400}, "A-6"),  # no float holds it: refused, not OverflowError
        ({"issuer_timeout": float("nan")}, "A-6"),
        ({"link_form": "sideways"}, "A-1"),
    ],
)
def test_settings_are_validated(changes: dict[str, object], clause: str) -> None:
    with pytest.raises(ProtocolError) as info:
        VssIDSettings().evolve(**changes)
    assert (info.value.code, info.value.clause) == ("invalid_request", clause)


def test_provider_clock_entropy_and_accounts() -> None:
    base = ManualClock(1000.0)
    provider = VssIDProvider(VssIDSettings(), clock=base, entropy=SeededEntropy(1))
    assert isinstance(provider.clock, OffsetClock)
    assert provider.clock.base is base
    provider.clock.offset = 5
    assert provider.clock.now() == 1005.0
    own = OffsetClock(base, 7)
    assert VssIDProvider(clock=own).clock is own
    record = provider.add_account(AccountRecord(BHXH_CODE, PERSONAL_ID, "A"))
    assert provider.accounts() == [record]
    renamed = provider.add_account(AccountRecord(BHXH_CODE, PERSONAL_ID, "B"))
    assert provider.accounts() == [renamed]
    with pytest.raises(ProtocolError, match="already linked"):
        provider.add_account(AccountRecord("9999999999", PERSONAL_ID, "C"))
    assert provider.remove_account(BHXH_CODE)
    assert not provider.remove_account(BHXH_CODE)


def test_configure_is_partial_and_validated() -> None:
    provider = VssIDProvider()
    provider.configure(client_id="vssid-2")
    assert provider.settings.client_id == "vssid-2"
    assert provider.settings.issuer == EMBEDDED_VNEID_ISSUER
    with pytest.raises(ProtocolError) as info:
        provider.configure(redirect_uri="vssid://cb#fragment")
    assert info.value.clause == "R-4"
    assert provider.settings.redirect_uri == DEFAULT_PROFILE.callback_custom
