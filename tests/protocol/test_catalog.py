"""§8 error catalog and the clause registry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.protocol import CLAUSES, ERRORS, ProtocolError, clause, validate_clause_ids
from harness.protocol.redaction import REDACTED, redact_headers, redact_json, redact_url

SHARED = Path(__file__).resolve().parents[3] / "shared" / "PROTOCOL.md"


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/PROTOCOL.md is not beside the repo")
def test_registry_covers_every_clause_id_in_protocol_md() -> None:
    ids = set(re.findall(r"\*\*([PVATRS]-\d+)\*\*", SHARED.read_text(encoding="utf-8")))
    assert ids, "no clause ids found in PROTOCOL.md"
    assert ids == set(CLAUSES)


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/PROTOCOL.md is not beside the repo")
def test_catalog_has_every_code_and_status_of_section_8() -> None:
    text = SHARED.read_text(encoding="utf-8").split("## 8. Error codes", 1)[1].split("## 9.")[0]
    for row in text.splitlines():
        cells = [c.strip() for c in row.strip("|").split("|")]
        if len(cells) != 4 or not cells[0].startswith("`"):
            continue
        status = None if cells[2] == "—" else cells[2]
        for code in re.findall(r"`([a-z_0-9]+)`", cells[0]):
            spec = ERRORS[code]
            statuses = [s.strip() for s in (status or "").split("/")]
            assert status is None or str(spec.status) in statuses, code
            if cells[3] != "—":
                assert spec.message_vi == cells[3], code


def test_error_body_carries_code_clause_and_message() -> None:
    err = ProtocolError("state differs", code="state_mismatch")
    assert err.status == 400
    assert err.to_body() == {
        "error": "state_mismatch",
        "error_description": "state differs",
        "clause": "R-1",
        "message": "Phiên đăng nhập không hợp lệ",
    }


def test_unknown_clause_is_refused_with_the_list() -> None:
    with pytest.raises(KeyError, match="R-12"):
        clause("R-99")
    assert validate_clause_ids(["S-1", "T-2"]) == ("S-1", "T-2")


@pytest.mark.clause("S-5")
def test_redaction_hides_secrets_but_keeps_state() -> None:
    url = redact_url("vssid://auth/vneid/callback?code=SECRET&state=abc&iss=x")
    assert "SECRET" not in url
    assert "state=abc" in url
    assert REDACTED in url
    body = redact_json({"passcode": "123456", "nested": [{"access_token": "T"}], "level": 2})
    assert body == {"passcode": REDACTED, "nested": [{"access_token": REDACTED}], "level": 2}
    assert redact_headers({"Authorization": "Bearer XYZ"}) == {
        "Authorization": f"Bearer {REDACTED}"
    }
