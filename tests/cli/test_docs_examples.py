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
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:schemathesis",
            str(ROOT / "docs" / "examples" / "team_properties"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\b3 passed\b", done.stdout), done.stdout


def test_a_fresh_worlds_secrets_are_scrubbed_and_its_example_replays(
    pytester: pytest.Pytester,
) -> None:
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
    first = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:schemathesis", "--seed", "9"
    )
    again = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:schemathesis", "--seed", "9"
    )
    first.assert_outcomes(failed=1)
    said = first.stdout.str()
    assert "passcode [REDACTED]" in said, said
    assert not re.search(r"passcode \d", said), said
    citizens = [line for line in said.splitlines() if line.startswith("CITIZEN")]
    assert citizens
    assert citizens == [
        line for line in again.stdout.str().splitlines() if line.startswith("CITIZEN")
    ]


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


def _error_screen_table(text: str | None = None) -> set[tuple[str, str]]:
    """(code, clause) of each row of the README's table of VssID's error screens."""
    if text is None:
        text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("| error on VssID's screen | clause | when |")
    rows = text[start:].split("\n\n", 1)[0].splitlines()[2:]
    pairs: set[tuple[str, str]] = set()
    for row in rows:
        codes, clauses = row.split("|")[1:3]
        pairs |= {
            (code, clause)
            for code in re.findall(r"`([a-z_]+)`", codes)
            for clause in re.findall(r"\b[A-Z]-\d+\b", clauses)
        }
    return pairs


_NOT_A_LOGIN = {
    "accounts.py": "an account record's own checks, when a test adds one (§11)",
    "api_docs.py": "the OpenAPI document",
    "control.py": "the test-control API (§11)",
    "settings.py": "its configuration (serve's options, POST /_harness/config)",
}
"""The VssID mock's modules whose refusals no login meets; every other module of
``mock_providers/vssid/`` is read as part of the login (a new one is, until listed here)."""


def _vssid_mock_error_clauses() -> set[tuple[str, str]]:
    """(code, clause) of every refusal the VssID mock can end a login with, derived from the
    mock, not from the README: the callback's and the token endpoint's refusals driven
    through its own functions, the rest read off the sources of its login modules (each
    ``ProtocolError(…, clause="…")``, its ``code`` or the default ``invalid_request``, and
    the ID token checks' ``_invalid("clause", …)``, which are ``id_token_invalid``). Left
    out: :data:`_NOT_A_LOGIN`, and the shared request parsing of ``mock_providers._http``
    (a body that is not JSON, a missing header: calls the VssID app never makes)."""
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
    for url, redirect_uri in (
        (f"{ours}?code=c&state=other&iss=i", ours),
        (f"{ours}?code=c&state=s&iss=other", ours),
        (f"{ours}?code=c&state=s&iss=i", DEFAULT_PROFILE.callback_https),
        (f"{ours}?state=s&iss=i", ours),  # neither code nor error
        (f"{ours}?code=c&code=d&state=s&iss=i", ours),
    ):  # unreadable
        with pytest.raises(ProtocolError) as refused:
            check_callback(
                url, redirect_uri=redirect_uri, state="s", issuer="i", profile=DEFAULT_PROFILE
            )
        raised.append(refused.value)
    pairs = {(e.code, e.clause) for e in raised}
    folder = ROOT / "mock_providers" / "vssid"
    assert set(_NOT_A_LOGIN) <= {p.name for p in folder.glob("*.py")}, "a module was renamed"
    for path in sorted(folder.glob("*.py")):
        if path.name in _NOT_A_LOGIN:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            said = {
                k.arg: k.value.value
                for k in node.keywords
                if isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)
            }
            given = {k.arg for k in node.keywords}
            if (
                node.func.id == "ProtocolError"
                and "clause" in said
                and ("code" in said or "code" not in given)
            ):  # a code of its own: driven above
                pairs.add((said.get("code", ProtocolError.default_code), said["clause"]))
            elif (
                node.func.id == "_invalid" and node.args and isinstance(node.args[0], ast.Constant)
            ):
                pairs.add(("id_token_invalid", str(node.args[0].value)))
    return pairs


def test_the_readmes_table_of_error_screen_clauses_is_the_vssid_mocks() -> None:
    """A team asserted ``clause="P-2"`` on VssID's screen for a level-1 account and got
    ``observed R-3``: the table says which clause each VssID error screen cites, and stays
    what the mock does: every row one of its refusals, and every refusal it can end a login
    with in the table, whatever its code (the table had no row for ``invalid_token``, the
    refusal of ``/me`` right after a login, and the check read only the codes it listed)."""
    table = _error_screen_table()
    mock = _vssid_mock_error_clauses()
    assert sorted(table - mock) == [], "rows the VssID mock does not refuse a login with"
    assert sorted(mock - table) == [], "the VssID mock's refusals the table does not list"
    assert ("unmet_authentication_requirements", "R-3") in table
    assert {("invalid_token", "A-6"), ("account_locked", "P-1")} <= mock


def test_a_code_missing_from_the_error_screen_table_is_found() -> None:
    """The check is the mock's codes against the table, not the table's codes against the
    mock: a README without its ``account_locked`` row fails it."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("| `account_locked` |"))
    table = _error_screen_table(text.replace(row + "\n", ""))
    assert not any(code == "account_locked" for code, _ in table)
    assert ("account_locked", "P-1") in _vssid_mock_error_clauses() - table
