"""The docs' example suites run as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_teams_property_tests_of_the_docs_pass() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p",
         "no:schemathesis", str(ROOT / "docs" / "examples" / "team_properties")],
        capture_output=True, text=True, check=False, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\b3 passed\b", done.stdout), done.stdout


def test_a_fresh_worlds_secrets_are_scrubbed_and_its_example_replays(
        pytester: pytest.Pytester) -> None:
    """A world a Hypothesis test built by hand printed its citizen's passcode in the failure
    (a team's review): ``fresh_world`` wires it as the fixtures are. The same seed and salt
    give the same citizen."""
    pytester.makepyfile("""
        from hypothesis import HealthCheck, given, settings, strategies as st

        @settings(max_examples=3, deadline=None, database=None, derandomize=True,
                  suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(salt=st.integers(0, 5))
        def test_leaky(fresh_world, salt):
            with fresh_world(salt) as world:
                citizen = world.personas.new()
                print("CITIZEN", salt, citizen.personal_id)
                assert citizen.passcode == "never", f"passcode {citizen.passcode}"
    """)
    first = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:schemathesis",
                                          "--seed", "9")
    again = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:schemathesis",
                                          "--seed", "9")
    first.assert_outcomes(failed=1)
    said = first.stdout.str()
    assert "passcode [REDACTED]" in said, said
    assert not re.search(r"passcode \d", said), said
    citizens = [line for line in said.splitlines() if line.startswith("CITIZEN")]
    assert citizens
    assert citizens == [line for line in again.stdout.str().splitlines()
                        if line.startswith("CITIZEN")]


def _readme_block(after: str, lang: str) -> str:
    """The first ``lang`` code block of the README after the text ``after``."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(after)
    match = re.compile(rf"^```{lang}\n(.*?)^```$", re.S | re.M).search(text, start)
    assert match is not None, f"no {lang} block after {after!r} in README.md"
    return match.group(1)


def test_the_readmes_persona_file_example_loads(tmp_path: Path) -> None:
    """The persona-file format was documented nowhere: the README's example is what
    ``personas check`` and ``serve --personas`` read."""
    from harness.personas import load_personas

    path = tmp_path / "personas.yaml"
    path.write_text(_readme_block("A persona file (", "yaml"), encoding="utf-8")
    first, second = load_personas(path)
    assert (first.level, first.bhxh_code, first.status) == (1, "4855128937", "active")
    assert (second.level, second.vssid_account, second.passcode) == (2, None, "013807")


def _error_screen_table() -> set[tuple[str, str]]:
    """(code, clause) of each row of the README's table of VssID's error screens."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("| error on VssID's screen | clause | when |")
    rows = text[start:].split("\n\n", 1)[0].splitlines()[2:]
    pairs: set[tuple[str, str]] = set()
    for row in rows:
        codes, clauses = row.split("|")[1:3]
        pairs |= {(code, clause) for code in re.findall(r"`([a-z_]+)`", codes)
                  for clause in re.findall(r"\b[A-Z]-\d+\b", clauses)}
    return pairs


def _vssid_mock_error_clauses() -> set[tuple[str, str]]:
    """(code, clause) of what the VssID mock refuses a login with: the callback's and the
    token endpoint's refusals driven through its own functions, the rest read off its
    sources (each ``ProtocolError(…, code="…", clause="…")``, and the ID token checks'
    ``_invalid("clause", …)``, which are ``id_token_invalid``)."""
    import ast
    import json
    import typing

    from harness.protocol import DEFAULT_PROFILE, Callback, ProtocolError
    from mock_providers.vssid.callback import (
        AUTHORIZATION_ERRORS,
        authorization_error,
        check_callback,
    )
    from mock_providers.vssid.outgoing import Purpose
    from mock_providers.vssid.responses import (
        TOKEN_ERRORS,
        parse_token_response,
        provider_unavailable,
    )

    raised: list[ProtocolError] = []
    for error in [*AUTHORIZATION_ERRORS, "temporarily_unavailable", "not_a_known_code"]:
        raised.append(authorization_error(Callback("vssid:/cb", {"error": error}, None)))
    for error in TOKEN_ERRORS:
        with pytest.raises(ProtocolError) as refused:
            parse_token_response(400, json.dumps({"error": error}).encode())
        raised.append(refused.value)
    raised += [provider_unavailable(purpose, "…") for purpose in typing.get_args(Purpose)]
    ours = DEFAULT_PROFILE.callback_custom
    for url, redirect_uri in ((f"{ours}?code=c&state=other&iss=i", ours),
                              (f"{ours}?code=c&state=s&iss=other", ours),
                              (f"{ours}?code=c&state=s&iss=i", DEFAULT_PROFILE.callback_https)):
        with pytest.raises(ProtocolError) as refused:
            check_callback(url, redirect_uri=redirect_uri, state="s", issuer="i",
                           profile=DEFAULT_PROFILE)
        raised.append(refused.value)
    pairs = {(e.code, e.clause) for e in raised}
    for path in sorted((ROOT / "mock_providers" / "vssid").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            said = {k.arg: k.value.value for k in node.keywords
                    if isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)}
            if node.func.id == "ProtocolError" and {"code", "clause"} <= said.keys():
                pairs.add((said["code"], said["clause"]))
            elif (node.func.id == "_invalid" and node.args
                  and isinstance(node.args[0], ast.Constant)):
                pairs.add(("id_token_invalid", str(node.args[0].value)))
    return pairs


def test_the_readmes_table_of_error_screen_clauses_is_the_vssid_mocks() -> None:
    """A team asserted ``clause="P-2"`` on VssID's screen for a level-1 account and got
    ``observed R-3``: the table says which clause each VssID error screen cites, and stays
    what the mock does (every row one of its refusals, and every clause it cites for a code
    of the table in the table)."""
    table = _error_screen_table()
    codes = {code for code, _ in table}
    mock = {(code, clause) for code, clause in _vssid_mock_error_clauses() if code in codes}
    assert sorted(table - mock) == [], "rows the VssID mock does not refuse a login with"
    assert sorted(mock - table) == [], "the VssID mock's refusals the table does not list"
    assert ("unmet_authentication_requirements", "R-3") in table
