"""PersonaRecord and ClientRecord: validation naming field and clause, redaction (S-5)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc.jwk import ECKey

from harness.protocol import ProtocolError
from harness.protocol.redaction import REDACTED
from mock_providers.vneid import ClientRecord, PersonaRecord

PERSONA = {
    "personal_id": "001099012345",
    "passcode": "123456",
    "level": 2,
    "full_name": "Nguyễn Văn An",
    "birthdate": "1999-05-01",
    "gender": "male",
}


def test_persona_from_json_defaults_to_active_and_redacts_passcode():
    persona = PersonaRecord.from_json(PERSONA)
    assert persona.status == "active"
    assert not persona.locked
    assert persona.to_json() == {**PERSONA, "passcode": REDACTED, "status": "active"}
    assert persona.to_json(redact=False)["passcode"] == "123456"


@pytest.mark.parametrize(
    ("change", "field", "clause"),
    [
        ({"personal_id": "12345"}, "personal_id", "A-4"),
        ({"personal_id": "097099012345"}, "province", "A-4"),
        ({"passcode": ""}, "passcode", "A-4"),
        ({"passcode": 123456}, "passcode", "A-4"),
        ({"level": 3}, "level", "P-2"),
        ({"level": True}, "level", "P-2"),
        ({"level": "2"}, "level", "P-2"),
        ({"full_name": "a\x00b"}, "full_name", "T-3"),
        ({"birthdate": "01/05/1999"}, "birthdate", "T-3"),
        ({"birthdate": "1999-02-30"}, "birthdate", "T-3"),
        ({"gender": "other"}, "gender", "T-3"),
        ({"status": "frozen"}, "status", "A-4"),
        ({"levle": 2}, "levle", "A-4"),
    ],
)
def test_persona_validation_names_field_and_clause(change, field, clause):
    with pytest.raises(ProtocolError) as info:
        PersonaRecord.from_json({**PERSONA, **change})
    assert (info.value.code, info.value.clause) == ("invalid_request", clause)
    assert field in info.value.description


@pytest.mark.parametrize("body", [[], "x", None, {"personal_id": "001099012345"}])
def test_persona_from_json_refuses_non_objects_and_missing_fields(body):
    with pytest.raises(ProtocolError) as info:
        PersonaRecord.from_json(body)
    assert (info.value.code, info.value.status) == ("invalid_request", 400)


def test_client_from_json_and_redaction():
    client = ClientRecord.from_json(
        {
            "client_id": "rp",
            "redirect_uris": ["https://rp.test/cb"],
            "token_endpoint_auth_method": "client_secret_post",
            "client_secret": "s3cret",
        }
    )
    assert client.redirect_uris == ("https://rp.test/cb",)
    assert client.display_name == "rp"
    assert client.to_json()["client_secret"] == REDACTED
    assert client.to_json(redact=False)["client_secret"] == "s3cret"


@pytest.mark.parametrize(
    ("body", "field", "clause"),
    [
        ({"redirect_uris": []}, "redirect_uris", "S-2"),
        ({"redirect_uris": "https://rp.test/cb"}, "redirect_uris", "S-2"),
        ({"redirect_uris": ["https://rp.test/cb#frag"]}, "redirect_uris", "S-2"),
        ({"redirect_uris": ["/relative"]}, "redirect_uris", "S-2"),
        ({"redirect_uris": ["https:///nohost"]}, "redirect_uris", "S-2"),
        ({"token_endpoint_auth_method": "none"}, "token_endpoint_auth_method", "T-1"),
        ({"client_secret": None}, "client_secret", "T-1"),
        ({"token_endpoint_auth_method": "private_key_jwt"}, "jwks", "T-1"),
        ({"token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": []}}, "jwks", "T-1"),
        (
            {
                "token_endpoint_auth_method": "private_key_jwt",
                "jwks_uri": "https://rp.test/jwks",
                "jwks": {"keys": [{"kty": "EC"}]},
            },
            "jwks",
            "T-1",
        ),  # both: RFC 7591 §2 says one
        ({"jwks_uri": "ftp://rp.test/jwks"}, "jwks_uri", "T-1"),
        ({"client_id": ""}, "client_id", "T-1"),
        ({"grant_types": ["x"]}, "grant_types", "T-1"),
    ],
)
def test_client_validation_names_field_and_clause(body, field, clause):
    base = {"client_id": "rp", "redirect_uris": ["https://rp.test/cb"], "client_secret": "s"}
    with pytest.raises(ProtocolError) as info:
        ClientRecord.from_json({**base, **body})
    assert (info.value.code, info.value.clause) == ("invalid_request", clause)
    assert field in info.value.description


def test_private_key_jwt_client_keeps_public_keys_only():
    key = ECKey.import_key(ec.generate_private_key(ec.SECP256R1()), {"kid": "k1"})
    public = {"keys": [key.as_dict(private=False)]}
    client = ClientRecord("rp", ("https://rp.test/cb",), "private_key_jwt", jwks=public)
    assert client.jwks == public
    assert client.client_secret is None
    with pytest.raises(ProtocolError, match="public keys only") as info:
        ClientRecord(
            "rp",
            ("https://rp.test/cb",),
            "private_key_jwt",
            jwks={"keys": [key.as_dict(private=True)]},
        )
    assert info.value.clause == "T-1"
