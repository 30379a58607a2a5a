"""S-5 without a crash: JSON nested deeper than a Python walk goes (``json.loads`` reads
deeper) is redacted to a placeholder, or, held as text in a string, redacted as text; it
raised ``RecursionError`` out of ``redact_json`` (a failed control call's message, a token
result's repr, a vendor's 3 KB answer)."""

from __future__ import annotations

import json

from harness.protocol.redaction import REDACTED, redact_json
from harness.rp import TokenResult
from harness.targets import ControlError

TOO_DEEP = "[too deeply nested JSON]"


def _nested(levels: int) -> object:
    return json.loads('{"a":' * levels + '{"code": "S3CRET"}' + "}" * levels)


def test_a_value_nested_too_deep_to_walk_is_a_placeholder() -> None:
    assert redact_json(_nested(50)) == json.loads(
        '{"a":' * 50 + f'{{"code": "{REDACTED}"}}' + "}" * 50
    )
    assert redact_json(_nested(900)) == TOO_DEEP
    assert redact_json([_nested(900), {"code": "S3CRET"}]) == TOO_DEEP
    assert "S3CRET" not in str(ControlError("resetting the provider", 400, _nested(900)))


def test_json_text_too_deep_to_walk_in_a_string_is_redacted_as_text() -> None:
    text = "[" * 600 + '"code=S3CRET"' + "]" * 600
    body = {"error": "invalid_grant", "error_description": text, "access_token": "S3CRET2"}
    clean = redact_json(body)
    assert clean == {
        "error": "invalid_grant",
        "error_description": "[" * 600 + f'"code={REDACTED}"' + "]" * 600,
        "access_token": REDACTED,
    }
    assert "S3CRET" not in repr(TokenResult(400, body))
