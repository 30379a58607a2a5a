"""reports.failures: the clauses in front of a failure, secrets out of its text (S-5)."""

from __future__ import annotations

from typing import Any

from _pytest._code.code import ReprFileLocation

from harness.protocol import ManualClock
from harness.protocol.redaction import REDACTED
from harness.trace import Trace
from reports.failures import clause_prefix, clean_report, scrub
from tests.reports.events import http, login_trace


def test_clause_prefix() -> None:
    assert clause_prefix(["R-1"]) == "Clause(s) R-1: "
    assert clause_prefix(["R-1", "T-2"]) == "Clause(s) R-1, T-2: "
    assert clause_prefix([]) == ""


def test_secret_shaped_values_go_whoever_knows_them() -> None:
    text = (
        "body={'access_token': 'AT-1', \"id_token\": \"x\", 'token_type': 'Bearer'} "
        "TestRelyingParty(client_secret='s3cr3t', client_id='rp') "
        "vssid://cb?code=C0DE&state=S1 form code_verifier=V3R&grant_type=authorization_code "
        "Authorization: Bearer abcdefgh Basic aGk6dGhlcmU= "
        "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
    )
    clean = scrub(text)
    for secret in (
        "AT-1",
        '"x"',
        "s3cr3t",
        "C0DE",
        "V3R",
        "abcdefgh",
        "aGk6dGhlcmU=",
        "eyJhbGciOiJFUzI1NiJ9",
    ):
        assert secret not in clean, secret
    for kept in (
        "'token_type': 'Bearer'",
        "client_id='rp'",
        "state=S1",
        "grant_type=authorization_code",
        "Authorization: Bearer",
    ):
        assert kept in clean, kept
    assert clean.count(REDACTED) == 8


def test_prose_is_left_alone() -> None:
    text = (
        "expected error code: invalid_grant, observed status_code=400 for the code_challenge="
        "abc; the passcode field is masked; secret santa"
    )
    assert scrub(text) == text


def test_known_values_go_even_without_a_name() -> None:
    trace = login_trace()
    text = "redeem('C0DE-SECRET-0001', 'wrong') with 482915 and remembered CLIENT-SECRET-1"
    clean = scrub(text, [trace], ["CLIENT-SECRET-1", None, ""])
    assert clean == f"redeem('{REDACTED}', 'wrong') with {REDACTED} and remembered {REDACTED}"


def test_both_ends_of_a_shortened_repr_go() -> None:
    """pytest prints a long string as its first and last characters around '...'."""
    trace = Trace(ManualClock())
    token = "U-zFYtEdIgn9q8Xw2LmNpQrStUvWxYz01VuRRQAxn-nFj8"
    trace.remember_secrets(token)
    shortened = f"assert '{token[:12]}...{token[-12:]}' == 'x'"
    assert scrub(shortened, [trace]) == f"assert '{REDACTED}...{REDACTED}' == 'x'"
    prose = "assert 'loading the page...done waiting' == 'x'"
    assert scrub(prose, [trace]) == prose, "dots between words that are no secret's"


def test_an_extra_secret_goes_when_pytest_shortened_it() -> None:
    """The secrets a test is told about besides its traces' (the admin token, the relying
    party's client secret) went only whole: pytest's ``'abcdefghijkl...uvwxyz'`` kept both
    ends of an admin token in a failure."""
    admin = "adm-7f3c9e1b2a5d4c6e8f0a1b3c5d7e9f1a"
    shortened = f"assert {{'X-Harness-Admin-Token': '{admin[:14]}...{admin[-12:]}'}} == {{}}"
    assert scrub(shortened, (), [admin]) == (
        f"assert {{'X-Harness-Admin-Token': '{REDACTED}...{REDACTED}'}} == {{}}"
    )
    assert scrub(f"ran with {admin}", (), [admin, None]) == f"ran with {REDACTED}"


def test_a_shortened_percent_encoded_secret_goes() -> None:
    """pytest cut a percent-encoded callback short right after ``code%3D<code>`` and kept the
    end of a known token after the dots: the code's first 24 characters stayed. The run of
    token characters began with the escape's ``3D``, so it was no fragment of the code, and
    the decoded pass gave up when the code's value ran on into the ``[REDACTED]`` after it."""
    code = "TQtAGaKp9srpYDjSSh5OA9rPfR3YJX6bRIuvh5-oE3M"
    id_token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhYmMxMjM0NTY3ODkwIn0.c2lnbmF0dXJlc2lnbmF0dXJl"
    trace = Trace(ManualClock())
    trace.remember_secrets(code, id_token)
    shortened = (
        "AssertionError: ('x', 'x=vssid%3A%2F%2Fcb%3Fcode%3D"
        + code[:24]
        + "..."
        + id_token[-30:]
        + '", "scope": "openid profile"}\')'
    )
    clean = scrub(shortened, [trace])
    assert code[:12] not in clean
    assert "cb%3Fcode%3D[REDACTED]...[REDACTED]" in clean
    unnamed = f"sent x%3D{code[:24]}...{id_token[-30:]}"  # a fragment without a secret's name
    assert scrub(unnamed, [trace]) == f"sent x%3D{REDACTED}...{REDACTED}"


def test_a_skip_reason_and_an_expected_failure_are_scrubbed() -> None:
    trace = Trace(ManualClock())
    trace.remember_secrets("SESSION-TOKEN-0123456789")
    skip = _Report(
        ("t.py", 3, "Skipped: holding SESSION-TOKEN-0123456789"), failed=False, skipped=True
    )
    clean_report(skip, ["A-6"], [trace])
    assert skip.longrepr == ("t.py", 3, f"Skipped: holding {REDACTED}")
    xfail = _Report(
        _Repr(
            "E AssertionError: SESSION-TOKEN-0123456789 refused",
            "AssertionError: SESSION-TOKEN-0123456789 refused",
        ),
        failed=False,
        skipped=True,
    )
    xfail.wasxfail = "known: SESSION-TOKEN-0123456789"  # type: ignore[attr-defined]
    clean_report(xfail, ["A-6"], [trace])
    assert str(xfail.longrepr) == f"E AssertionError: {REDACTED} refused"
    assert xfail.longrepr.reprcrash.message == f"AssertionError: {REDACTED} refused"
    assert xfail.wasxfail == f"known: {REDACTED}"  # type: ignore[attr-defined]


class _Report:
    """The parts of a pytest TestReport that clean_report uses."""

    def __init__(
        self,
        longrepr: Any,
        *,
        failed: bool = True,
        skipped: bool = False,
        sections: list[tuple[str, str]] | None = None,
    ) -> None:
        self.longrepr = longrepr
        self.failed = failed
        self.skipped = skipped
        self.sections = sections or []

    @property
    def longreprtext(self) -> str:
        return str(self.longrepr)


class _Repr:
    def __init__(self, text: str, message: str) -> None:
        self.text = text
        self.reprcrash = ReprFileLocation("test_x.py", 3, message)

    def __str__(self) -> str:
        return self.text


def test_clean_report_prefixes_and_scrubs() -> None:
    trace = Trace(ManualClock())
    trace.record(http(response_body={"access_token": "TOKEN-0123456789"}))
    crash = _Repr("E  assert 'TOKEN-0123456789' == ''", "AssertionError: TOKEN-0123456789")
    report = _Report(crash, sections=[("Captured stdout call", "got TOKEN-0123456789")])
    clean_report(report, ["T-1", "T-3"], [trace])
    assert report.longrepr.reprcrash.message == f"Clause(s) T-1, T-3: AssertionError: {REDACTED}"
    assert str(report.longrepr) == f"E  assert '{REDACTED}' == ''"
    assert report.sections == [("Captured stdout call", f"got {REDACTED}")]
    clean_report(report, ["T-1", "T-3"], [trace])
    assert report.longrepr.reprcrash.message.count("Clause(s)") == 1, "prefixed once"


def test_clean_report_without_clauses_or_secrets_changes_nothing() -> None:
    original = _Repr("E  assert 1 == 2", "AssertionError: assert 1 == 2")
    report = _Report(original)
    clean_report(report, [], [])
    assert report.longrepr is original
    assert original.reprcrash.message == "AssertionError: assert 1 == 2"


def test_clean_report_of_a_plain_text_failure() -> None:
    report = _Report("failed: passcode=123456")
    clean_report(report, ["P-2"], [])
    assert report.longrepr == f"Clause(s) P-2: failed: passcode={REDACTED}"


def test_a_passing_report_only_has_its_output_scrubbed() -> None:
    report = _Report(None, failed=False, sections=[("Captured stdout call", "code=C0DE")])
    clean_report(report, ["A-1"], [])
    assert report.longrepr is None
    assert report.sections == [("Captured stdout call", f"code={REDACTED}")]


class _CountingSecret(str):
    """A secret that counts how often a fragment is looked for in it."""

    lookups = 0

    def __contains__(self, part: object) -> bool:
        _CountingSecret.lookups += 1
        return super().__contains__(part)  # type: ignore[operator]


def test_a_fragment_repeated_around_dots_is_looked_for_once() -> None:
    """A vendor's 64 KiB message can be one run of a secret's fragment repeated around
    ``...``: each repeat was looked for in every secret and the whole run scanned again to
    replace it (quadratic: 0.2 s at 64 KiB); each distinct fragment is now looked at once."""
    from harness.trace import scrub_known

    secret = _CountingSecret("A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U1v")
    text = "got " + "A1b2C3d4..." * 6000 + "Zz9Yy8Xx"
    _CountingSecret.lookups = 0
    assert scrub_known(text, [secret]) == "got " + f"{REDACTED}..." * 6000 + "Zz9Yy8Xx"
    assert _CountingSecret.lookups <= 3
