"""Bad files and options are one line ``error: ...`` and exit 2, never a traceback; a refused
``serve`` has not bound a port nor changed a stored file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import Result
from typer.testing import CliRunner

from harness.cli import app
from harness.errors import ConfigError
from harness.personas import PersonaFactory, save_personas
from harness.serve import build_served
from mock_providers.state import STATE_FORMAT

runner = CliRunner()
BIN = Path(sys.executable).parent / "vneid-harness"
UNREACHABLE = "http://127.0.0.1:1"


@pytest.fixture(autouse=True)
def _never_serve(monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``serve`` these tests expect refused that starts anyway fails, instead of serving
    until killed."""
    import harness.serve

    def started(served: harness.serve.ServedProviders, **options: object) -> None:
        for sock in served.sockets:
            sock.close()
        raise AssertionError("serve started instead of refusing")

    monkeypatch.setattr(harness.serve, "run_servers", started)


def _refused(args: list[str]) -> str:
    """Run the CLI; it must refuse with exit 2 and one ``error:`` line; return that line."""
    result: Result = runner.invoke(app, args, env={"COLUMNS": "400"})
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: "), result.output
    return lines[0]


def test_serve_refuses_a_ca_file_it_cannot_read(tmp_path: Path) -> None:
    """The providers read ``SSL_CERT_FILE`` as they make their first call out (to an https
    issuer, a client's ``jwks_uri``): a served pair started with a missing file answered that
    call with a 500 (a TLS review). In a process of its own with a time limit: without the
    check ``serve`` would start and serve until stopped."""
    import os
    import subprocess
    import sys

    missing = tmp_path / "ca.pem"
    done = subprocess.run(
        [
            *(str(Path(sys.executable).parent / "vneid-harness"), "serve"),
            *("--vneid-port", "0", "--vssid-port", "0"),
        ],
        env={**os.environ, "COLUMNS": "400", "SSL_CERT_FILE": str(missing)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    line = " ".join(done.stderr.split())
    assert line.startswith(
        f"error: SSL_CERT_FILE={missing} cannot be read as a PEM file of CA certificates"
    ), done.stderr
    assert "unset SSL_CERT_FILE" in line


def _deep(path: Path, prefix: str, depth: int) -> Path:
    path.write_text(
        prefix + "[" * depth + "]" * depth + ("}" if prefix.startswith("{") else "") + "\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("name", "prefix", "depth"),
    [
        ("deep.yaml", "personas: ", 2000),
        ("deep.json", '{"personas": ', 100_000),
    ],
)
def test_a_deeply_nested_persona_file_is_an_error(
    tmp_path: Path, name: str, prefix: str, depth: int
) -> None:
    path = _deep(tmp_path / name, prefix, depth)
    for args in (
        ["personas", "check", str(path)],
        ["serve", "--vneid-port", "0", "--vssid-port", "0", "--personas", str(path)],
    ):
        line = _refused(args)
        assert f"{path}: not valid" in line
        assert "nested too deeply" in line


def test_serve_refuses_an_unknown_log_level_before_binding() -> None:
    line = _refused(["serve", "--vneid-port", "0", "--vssid-port", "0", "--log-level", "bogus"])
    assert line == (
        "error: --log-level 'bogus': choose one of critical, error, warning, info, debug, trace"
    )


def test_serve_refuses_an_empty_admin_token() -> None:
    line = _refused(["serve", "--vneid-port", "0", "--vssid-port", "0", "--admin-token", ""])
    assert "--admin-token (or VNEID_HARNESS_ADMIN_TOKEN) is empty" in line


def test_expected_failures_not_utf8_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "ef.yaml"
    path.write_bytes(b'expected_failures:\n  - test: "\xff"\n')
    line = _refused(
        [
            "conformance",
            "--plan",
            "vneid-provider",
            "--vneid-url",
            UNREACHABLE,
            "--expected-failures",
            str(path),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert f"cannot read expected-failures file {path}: not UTF-8" in line


def test_expected_failures_nested_too_deeply_is_an_error(tmp_path: Path) -> None:
    path = _deep(tmp_path / "ef.yaml", "expected_failures: ", 2000)
    line = _refused(
        [
            "conformance",
            "--plan",
            "vneid-provider",
            "--vneid-url",
            UNREACHABLE,
            "--expected-failures",
            str(path),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert f"{path} is not valid yaml: nested too deeply" in line


@pytest.mark.parametrize("command", [["run"], ["conformance", "--plan", "vneid-provider"]])
def test_out_that_is_a_file_is_an_error_and_the_file_is_kept(
    tmp_path: Path, command: list[str]
) -> None:
    out = tmp_path / "a_file"
    out.write_text("keep me", encoding="utf-8")
    line = _refused([*command, "--vneid-url", UNREACHABLE, "--out", str(out)])
    assert line == (
        f"error: --out {out} is a file, not a folder; give a folder for the "
        "reports (it is created if missing)"
    )
    assert out.read_text(encoding="utf-8") == "keep me"


NOT_A_HEADER = (
    "error: --admin-token (or VNEID_HARNESS_ADMIN_TOKEN) must be printable ASCII "
    "with no space at either end: clients send it in the X-Harness-Admin-Token "
    "HTTP header, which cannot carry it otherwise; choose another token"
)


@pytest.mark.parametrize("token", ["mật-khẩu", " padded", "padded ", "tab\there", "bell\x07"])
def test_build_served_refuses_an_admin_token_no_header_can_carry(token: str) -> None:
    with pytest.raises(ConfigError) as refused:
        build_served(0, 0, admin_token=token)  # without the check it would bind and serve
    assert f"error: {refused.value}" == NOT_A_HEADER


@pytest.mark.parametrize("by", ["option", "env"])
def test_serve_refuses_a_non_ascii_admin_token(by: str) -> None:
    """In a process of its own, with a timeout: a serve that started would never end."""
    args, env = (
        (["--admin-token", "mật-khẩu"], {})
        if by == "option"
        else ([], {"VNEID_HARNESS_ADMIN_TOKEN": "mật-khẩu"})
    )
    result = subprocess.run(
        [str(BIN), "serve", "--vneid-port", "0", "--vssid-port", "0", *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "COLUMNS": "400", **env},
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip() == NOT_A_HEADER
    assert result.stdout == ""


def test_an_ascii_admin_token_with_inner_spaces_is_usable() -> None:
    from harness.targets import check_admin_token

    check_admin_token("correct horse battery-staple!~")
    check_admin_token(None)


def test_generate_refuses_more_accounts_than_serve_holds(tmp_path: Path) -> None:
    out = tmp_path / "big.yaml"
    line = _refused(["personas", "generate", "-o", str(out), "--count", "10001"])
    assert line == (
        "error: --count 10001 with --without-vssid 0 makes 10001 VssID accounts, "
        "more than the 10000 one serve holds; lower --count or raise "
        "--without-vssid"
    )
    assert not out.exists()


@pytest.mark.parametrize("option", ["--level1", "--without-vssid"])
def test_generate_refuses_a_negative_count_of_a_kind(tmp_path: Path, option: str) -> None:
    out = tmp_path / "neg.yaml"
    result = runner.invoke(
        app,
        ["personas", "generate", "-o", str(out), "--count", "2", option, "-1"],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.output
    assert not out.exists()


def test_generate_refuses_more_of_the_kinds_than_the_count_saying_the_numbers(
    tmp_path: Path,
) -> None:
    """It said only "cannot exceed --count" (a new user's walk)."""
    out = tmp_path / "many.yaml"
    result = runner.invoke(
        app,
        [
            "personas",
            "generate",
            "-o",
            str(out),
            "--count",
            "10",
            "--level1",
            "5",
            "--without-vssid",
            "6",
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 2
    assert (
        "--level1 5 plus --without-vssid 6 is 11, more than --count 10: lower them or raise --count"
    ) in " ".join(result.output.split())
    assert not out.exists()


def test_serve_refuses_more_accounts_than_it_holds_saying_to_split_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mock_providers.vssid.accounts

    monkeypatch.setattr(mock_providers.vssid.accounts, "MAX_ACCOUNTS", 2)
    factory = PersonaFactory(7)
    people = tmp_path / "people.yaml"
    save_personas(people, factory.many(3))
    line = _refused(["serve", "--vneid-port", "0", "--vssid-port", "0", "--personas", str(people)])
    assert line == (
        f"error: {people}: 3 VssID accounts, more than the 2 one serve holds; "
        "trim the file, or split it into files of at most 2 and serve each apart"
    )
    # With what a state file stores: counted too, and the state file is left as it was.
    stored = factory.new()
    state = tmp_path / "state.json"
    state.write_text(
        json.dumps(
            {
                "format": STATE_FORMAT,
                "sections": {"vssid": {"accounts": [stored.to_vssid_account_json()]}},
            }
        ),
        encoding="utf-8",
    )
    before = state.read_bytes()
    save_personas(people, factory.many(2))
    line = _refused(
        [
            "serve",
            "--vneid-port",
            "0",
            "--vssid-port",
            "0",
            "--personas",
            str(people),
            "--state",
            str(state),
        ]
    )
    assert line == (
        f"error: {people}: its 2 VssID accounts and those of the state file make "
        "3, more than the 2 one serve holds; trim the persona file, or split it "
        "and serve each part with a state file of its own"
    )
    assert state.read_bytes() == before


@pytest.mark.parametrize("make", ["missing", "file"])
def test_serve_refuses_a_state_file_in_a_directory_that_is_not_there(
    tmp_path: Path, make: str
) -> None:
    directory = tmp_path / "no" / "such"
    if make == "file":
        directory = tmp_path / "a_file"
        directory.write_text("keep me", encoding="utf-8")
    state = directory / "state.json"
    line = _refused(["serve", "--vneid-port", "0", "--vssid-port", "0", "--state", str(state)])
    problem = "does not exist" if make == "missing" else "is not a directory"
    assert line == (
        f"error: --state {state}: the directory {directory} {problem}; create it, "
        "or give a path in an existing directory"
    )


@pytest.mark.parametrize(
    ("host", "says"),
    [
        (
            "no-such-host.invalid",
            "the host 'no-such-host.invalid' cannot be resolved; give --host "
            "an address of this machine",
        ),
        (
            "192.0.2.1",
            "192.0.2.1 is not an address of this machine; give --host one of its addresses",
        ),
    ],
)
def test_serve_says_when_the_host_is_wrong_not_the_port(host: str, says: str) -> None:
    line = _refused(
        ["serve", "--vneid-port", "0", "--vssid-port", "0", "--host", host, "--admin-token", "t"]
    )
    assert line.startswith(f"error: cannot listen on {host}:0 (")
    assert says in line
    assert "port" not in line.split(";", 1)[1]


_ENTRY = (
    '{"personal_id": "001090123456", "passcode": "123456", "level": %s, '
    '"full_name": %s, "birthdate": "1990-01-01", "gender": "male", "status": "active"}'
)


@pytest.mark.parametrize(
    ("level", "name", "says"),
    [
        ("1.0", '"A B"', "personas[0].level: must be one of 1, 2, got 1.0"),
        ("true", '"A B"', "personas[0].level: must be one of 1, 2, got True"),
        ("2", '"A\\ud800B"', "personas[0].full_name: contains a lone surrogate"),
    ],
)
def test_persona_values_serve_would_refuse_are_refused_by_check(
    tmp_path: Path, level: str, name: str, says: str
) -> None:
    """What ``personas check`` passes, ``serve`` loads (a 1.0 level passed the check and
    failed serve; a lone surrogate in a name crashed the check and made serve answer 500)."""
    path = tmp_path / "p.json"
    path.write_text('{"personas": [' + _ENTRY % (level, name) + "]}", encoding="utf-8")
    for args in (
        ["personas", "check", str(path)],
        ["serve", "--vneid-port", "0", "--vssid-port", "0", "--personas", str(path)],
    ):
        assert says in _refused(args)


def test_paths_are_shown_as_they_are_not_as_markup(tmp_path: Path) -> None:
    """A ``[…]`` in a path is text: it was taken for rich markup (another file named, or a
    MarkupError traceback)."""
    folder = tmp_path / "personas[old]"
    folder.mkdir()
    for name in ("p[old].yaml", "x[/b].yaml"):
        line = _refused(["personas", "check", str(folder / name)])
        assert f"{folder / name}: cannot read the persona file" in line
    result = runner.invoke(
        app,
        ["personas", "generate", "-o", str(folder / "g[b].yaml"), "--count", "2"],
        env={"COLUMNS": "400"},
    )
    assert result.exit_code == 0, result.output
    assert f"wrote 2 personas to {folder / 'g[b].yaml'}" in result.output


@pytest.mark.parametrize("host", ["x.test/path", "x.test:9999", "http://x.test", "a b", ""])
def test_serve_refuses_a_public_host_that_is_not_a_host(host: str) -> None:
    line = _refused(["serve", "--vneid-port", "0", "--vssid-port", "0", "--public-host", host])
    assert f"--public-host {host!r}: give a host name or an IP address only" in line


@pytest.mark.parametrize(
    "host", ["\uff11\uff12\uff17.\uff10.\uff10.\uff11", "\uff10.\uff10.\uff10.\uff10"]
)
def test_serve_refuses_a_host_in_other_digits(host: str) -> None:
    """The socket read "１２７.０.０.１" as 127.0.0.1 (IDNA), the loopback check did not: refused
    as "beyond loopback", and with a token "０.０.０.０" bound every address, then stopped
    on an issuer "not printable ASCII" (R-2), which names neither --host nor what to give."""
    for token in ([], ["--admin-token", "t"]):
        line = _refused(["serve", "--vneid-port", "0", "--vssid-port", "0", "--host", host, *token])
        assert f"--host {host!r}: give a host name or an IP address only" in line
        assert "e.g. 127.0.0.1 or 0.0.0.0" in line


@pytest.mark.parametrize(
    ("secret", "says"),
    [
        ("s\u00e9cret-pw", "'client_secret' must be printable ASCII"),
        ("secret-pw\n", "'client_secret' contains control characters"),
    ],
)
def test_conformance_refuses_a_client_secret_no_relying_party_can_send(
    tmp_path: Path, secret: str, says: str
) -> None:
    """A non-ASCII secret, or one read from a file with its newline, stopped conformance with
    the vssid client record's traceback and exit 1, a failed verdict's status."""
    args = ["conformance", "--plan", "vssid-relying-party", "--vssid-url", "http://127.0.0.1:9"]
    args += ["--serve-vneid-port", "0", "--out", str(tmp_path / "out")]
    for given, env in (
        (["--rp-client-secret", secret], {}),
        ([], {"VNEID_HARNESS_RP_CLIENT_SECRET": secret}),
    ):
        result = runner.invoke(app, [*args, *given], env={"COLUMNS": "400", **env})
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        assert result.output.startswith(
            "error: --rp-client-secret (or VNEID_HARNESS_RP_CLIENT_SECRET): "
            f"invalid_request (T-1): {says}"
        ), result.output
        assert "secret-pw" not in result.output  # S-5
        assert not (tmp_path / "out").exists()


def test_a_public_host_may_be_a_name_or_an_address() -> None:
    from harness.serve import build_served

    for given, shown in (
        ("idp.example.test", "idp.example.test"),
        ("[::1]", "[::1]"),
        ("vneid_mock", "vneid_mock"),
        ("10.0.0.1", "10.0.0.1"),
    ):
        served = build_served(0, 0, public_host=given)
        try:
            assert served.vneid_url.startswith(f"http://{shown}:"), served.vneid_url
        finally:
            for sock in served.sockets:
                sock.close()


@pytest.mark.parametrize(
    ("plan", "option", "says"),
    [
        ("vssid-relying-party", "--vneid-url", "--plan vssid-relying-party tests a relying party"),
        ("vneid-provider", "--vssid-url", "--plan vneid-provider tests a provider"),
        ("all", "--vneid-url", "--plan all runs both plans against the embedded mocks"),
        ("all", "--vssid-url", "--plan all runs both plans against the embedded mocks"),
    ],
)
def test_a_plan_with_the_other_roles_target_is_refused(
    tmp_path: Path, plan: str, option: str, says: str
) -> None:
    """Else the plan would test the harness's own mock of its role and report its verdict
    as the vendor's."""
    out = tmp_path / "out"
    line = _refused(["conformance", "--plan", plan, option, UNREACHABLE, "--out", str(out)])
    assert says in line
    assert not out.exists()


def test_serve_refuses_one_port_for_both_providers() -> None:
    line = _refused(["serve", "--vneid-port", "18950", "--vssid-port", "18950"])
    assert line == (
        "error: --vneid-port and --vssid-port are both 18950; each provider needs "
        "a port of its own (0 picks a free one)"
    )


@pytest.mark.parametrize("command", [["run"], ["run", "--workers", "2"]])
def test_a_k_expression_pytest_cannot_parse_is_refused_before_the_run(
    tmp_path: Path, command: list[str]
) -> None:
    """It crashed every pytest-xdist worker (INTERNALERROR) after the earlier results went."""
    out = tmp_path / "out"
    line = _refused([*command, "-k", "happy and", "--out", str(out)])
    assert line.startswith("error: -k 'happy and' is not a pytest -k expression")
    assert not out.exists()


def test_a_state_file_that_cannot_be_written_at_start_refuses_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refusal speaks of a start that did not happen, not of a change kept in memory by
    a server that is not running; the file is left as it was."""
    from mock_providers.state import StateFile, StateWriteError

    state = tmp_path / "state.json"

    def refuse(self: StateFile) -> None:
        raise StateWriteError(self.path, "Read-only file system")

    monkeypatch.setattr(StateFile, "_write", refuse)
    with pytest.raises(ConfigError) as info:
        build_served(0, 0, state_file=state)
    said = str(info.value)
    assert said == (
        f"cannot write the state file {state} (Read-only file system); serve did "
        "not start and left the file as it was: make it writable, free space on its "
        "disk (a write needs room for a second copy), or give another --state "
        "file"
    )
    assert "kept in memory" not in said


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("https://x.example/{foo}", "names {foo}"),
        ("https://x.example/p#{clause", "is not a template"),
        ("https://x.example/{0}", "is not a template"),
        ("https://x.example/{clause.nope}", "is not a template"),
        # an attribute or an index that exists: every clause linked to ".../<class 'str'>"
        ("https://x.example/{section.__class__}", "is not a template"),
        ("https://x.example/{clause[0]}", "is not a template"),
    ],
)
@pytest.mark.parametrize("command", ["run", "conformance"])
def test_a_bad_protocol_url_template_is_refused_before_the_run(
    tmp_path: Path, command: str, value: str, said: str
) -> None:
    """It was a KeyError with 54 lines of INTERNALERROR at the first report, exit 3; the
    environment variable the CI workflow sets is read the same way."""
    out = tmp_path / "out"
    plan = ["--plan", "vneid-provider"] if command == "conformance" else []
    result = runner.invoke(
        app,
        [command, *plan, "--out", str(out)],
        env={"COLUMNS": "400", "VNEID_HARNESS_PROTOCOL_URL": value},
    )
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--protocol-url'" in result.output
    assert said in result.output
    assert "{clause}, {section}, {fragment}" in result.output or "{{ or }}" in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("value", "said"),
    [
        # a format spec or conversion: 390 MB reports, or MemoryError in the option's own check
        ("https://x.example/{clause:>999999999}", "write {clause} alone"),
        ("https://x.example/{clause!r:>99999999999}", "write {clause} alone"),
        ("https://x.example/#{fragment!s}", "write {fragment} alone"),
        # links that would hand out a password, or that no report can follow
        ("http://user:pw@intranet.example/PROTOCOL.md", "holds a password"),
        ("ftp://user:pw@intranet.example/PROTOCOL.md", "holds a password"),  # not echoed
        ("//user:pw@intranet.example/PROTOCOL.md", "holds a password"),
        # a credential as a parameter (the S-5 sweep: every clause link carried it)
        ("https://intra.test/PROTOCOL.md?token=PTOKpw@#{fragment}", "carries a 'token' parameter"),
        ("https://git.test/P.md?ref=main&private_token=pw@", "carries a 'private_token' parameter"),
        ("https://s3.test/P.md?X-Amz-Signature=pw@", "carries a 'X-Amz-Signature' parameter"),
        ("https://docs.test/P.md?api_key=pw@", "carries a 'api_key' parameter"),
        ("javascript:alert(1)//{clause}", "is a javascript: URL"),
        ("", "is empty (an unset variable?)"),  # on the command line; the variable: below
        ("data:text/html,x", "is a data: URL"),
    ],
)
def test_a_protocol_url_the_reports_cannot_use_is_refused(
    tmp_path: Path, value: str, said: str
) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["run", "--out", str(out), "--protocol-url", value], env={"COLUMNS": "400"}
    )
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--protocol-url'" in result.output
    assert said in result.output
    assert "pw@" not in result.output
    assert not out.exists()


def test_an_empty_protocol_url_variable_means_the_default(tmp_path: Path) -> None:
    """The CI workflow sets VNEID_HARNESS_PROTOCOL_URL from a repository variable, empty
    when the repository sets none: that is the default, not a mistake."""
    result = runner.invoke(
        app,
        ["run", "--out", str(tmp_path / "out"), "-k", "nomatchxyz"],
        env={"COLUMNS": "400", "VNEID_HARNESS_PROTOCOL_URL": ""},
    )
    assert result.exit_code == 5, result.output
    assert "Invalid value" not in result.output


def test_pytest_refuses_a_bad_protocol_url_template(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")
    done = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--alluredir",
        str(pytester.path / "ar"),
        "--protocol-url",
        "https://x/{nope}",
    )
    assert done.ret == pytest.ExitCode.USAGE_ERROR
    done.stderr.fnmatch_lines(["*--protocol-url: 'https://x/{nope}' names {nope}*"])


def test_good_protocol_url_templates_pass() -> None:
    from reports.protocol_links import protocol_url_problem

    for value in (
        "https://x/PROTOCOL.md",
        "https://x/p#{fragment}",
        "https://x/{section}/{clause}",
        "https://x/{{literal}}#{fragment}",
        "https://x/a}b",
        "PROTOCOL.md",
        "../docs/PROTOCOL.md#{fragment}",
        "file:///srv/PROTOCOL.md",
        "HTTPS://x/p",
        "https://user@x/p",
    ):
        assert protocol_url_problem(value) is None, value


@pytest.mark.parametrize(
    "command", [["serve", "--vneid-port", "0", "--vssid-port", "0"], ["run", "--workers", "1"]]
)
def test_an_empty_admin_token_variable_is_refused(tmp_path: Path, command: list[str]) -> None:
    """Click reads an empty variable as unset: ``serve`` served the control API with no
    token, where ``--admin-token ""`` is refused."""
    result = runner.invoke(app, [*command], env={"COLUMNS": "400", "VNEID_HARNESS_ADMIN_TOKEN": ""})
    assert result.exit_code == 2, result.output
    assert "VNEID_HARNESS_ADMIN_TOKEN is set but empty" in result.output


@pytest.mark.parametrize("token", ["ADMIN-TOKEN-SECRET-123\n", "tök-SECRET", "bell\x07SECRET"])
@pytest.mark.parametrize("command", ["run", "conformance"])
def test_a_run_refuses_an_admin_token_no_header_can_carry(command: str, token: str) -> None:
    """serve refused such a token; run and conformance sent it, and a newline (read from a
    secret file) made the HTTP client refuse the header and quote it, token and all, in the
    preflight's message (S-5)."""
    args = [command, "--vneid-url", "http://127.0.0.1:1", "--admin-token", token]
    if command == "conformance":
        args[1:1] = ["--plan", "vneid-provider"]
    line = _refused(args)
    assert line == NOT_A_HEADER
    assert "SECRET" not in line


def test_an_admin_token_quoted_by_a_transport_error_is_redacted() -> None:
    from harness.targets import TargetUnreachable, VNeIDHandle

    def quoting(request: httpx.Request) -> httpx.Response:
        raise httpx.LocalProtocolError("Illegal header value b'ADMIN-SECRET-42\\n'")

    handle = VNeIDHandle(
        "vneid", "http://vendor.test", httpx.MockTransport(quoting), admin_token="ADMIN-SECRET-42"
    )
    with pytest.raises(TargetUnreachable) as refused:
        handle.health()
    assert "ADMIN-SECRET-42" not in str(refused.value)
    assert "b'[REDACTED]\\n'" in str(refused.value)


def test_a_bad_expected_failures_file_is_refused_before_the_harness_vneid_serves(
    tmp_path: Path,
) -> None:
    """``--plan vssid-relying-party``: the harness VNeID was serving (and said so, a second
    line) before the file was read."""
    path = tmp_path / "ef.yaml"
    path.write_bytes(b'expected_failures:\n  - test: "\xff"\n')
    line = _refused(
        [
            "conformance",
            "--plan",
            "vssid-relying-party",
            "--vssid-url",
            UNREACHABLE,
            "--serve-vneid-port",
            "0",
            "--expected-failures",
            str(path),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert f"cannot read expected-failures file {path}: not UTF-8" in line


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--vneid-url", ""],
        ["run", "--vssid-url", " "],
        ["conformance", "--plan", "vneid-provider", "--vneid-url", ""],
        ["conformance", "--plan", "vssid-relying-party", "--vssid-url", ""],
    ],
)
def test_an_empty_target_url_is_refused_not_taken_for_the_embedded_mocks(
    tmp_path: Path, args: list[str]
) -> None:
    """An unset $VENDOR_URL ran the embedded mocks and reported their verdict OK as the
    vendor's (with --vssid-url "" after serving the harness VNeID first)."""
    out = tmp_path / "out"
    line = _refused([*args, "--out", str(out)])
    assert "is empty (an unset variable?)" in line
    assert not out.exists()


def _run_refused(args: list[str], said: str) -> None:
    result: Result = runner.invoke(app, args, env={"COLUMNS": "400"})
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert said in result.output, result.output


def test_too_many_workers_are_refused_before_any_starts(tmp_path: Path) -> None:
    """--workers 100000 started Python processes until the machine gave out."""
    most = 4 * len(os.sched_getaffinity(0))
    _run_refused(
        ["run", "--workers", str(most + 1), "--out", str(tmp_path / "out")],
        f"at most {most} (4 per CPU)",
    )
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("--basetemp=VICTIM", "starts with '-', which pytest would take for an option"),
        ("--collect-only", "starts with '-'"),
        ("no/such/dir", "no/such/dir does not exist"),
        ("no_such_file.py::test_x", "no_such_file.py does not exist"),
    ],
)
def test_a_test_path_pytest_would_misread_is_refused(tmp_path: Path, path: str, said: str) -> None:
    """`run -- --basetemp=DIR` reached pytest as an option and deleted DIR, then ran every
    test under the folder; a path that does not exist said only "no test matched"."""
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "data.txt").write_text("kept", encoding="utf-8")
    _run_refused(
        [
            "run",
            "--workers",
            "1",
            "--out",
            str(tmp_path / "out"),
            "--",
            path.replace("VICTIM", str(victim)),
        ],
        said,
    )
    assert (victim / "data.txt").read_text(encoding="utf-8") == "kept"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
@pytest.mark.parametrize("command", ["personas", "expected"])
def test_a_file_that_is_not_a_regular_file_is_refused_without_blocking(
    tmp_path: Path, kind: str, command: str
) -> None:
    """A FIFO blocked `personas check`, `serve --personas` and `--expected-failures` for
    ever; a link to /dev/zero filled the memory."""
    path = tmp_path / "given.yaml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to("/dev/zero")
    else:
        path.mkdir()
    if command == "personas":
        line = _refused(["personas", "check", str(path)])
        assert "cannot read the persona file: not a regular file" in line
    else:
        line = _refused(
            [
                "conformance",
                "--plan",
                "vneid-provider",
                "--expected-failures",
                str(path),
                "--out",
                str(tmp_path / "out"),
            ]
        )
        assert "cannot read expected-failures file" in line
        assert "not a regular file" in line


def test_an_expected_failures_entry_with_keys_of_two_types_is_refused(tmp_path: Path) -> None:
    """Unknown keys of two types (1 and foo) were sorted together: a TypeError traceback."""
    path = tmp_path / "expected.yaml"
    path.write_text(
        "expected_failures:\n  - {test: x, clause: T-4, reason: r, 1: a, foo: b}\n",
        encoding="utf-8",
    )
    line = _refused(
        [
            "conformance",
            "--plan",
            "vneid-provider",
            "--expected-failures",
            str(path),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert "has unknown keys ['1', 'foo']" in line


def test_a_persona_file_larger_than_any_serve_holds_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import harness.personas

    monkeypatch.setattr(harness.personas, "MAX_PERSONA_FILE_BYTES", 1024)
    path = tmp_path / "big.yaml"
    path.write_text("personas: []\n" + "#" * 2000 + "\n", encoding="utf-8")
    line = _refused(["personas", "check", str(path)])
    assert "larger than 1 KiB; is this the right file?" in line


def test_a_k_expression_that_starts_with_a_dash_is_an_expression(tmp_path: Path) -> None:
    """`run -k "-x"` reached pytest as `-k -x`: "argument -k: expected one argument", exit 4
    and a message that pointed elsewhere. It selects by keyword now, as pytest -k-x does."""
    suite = tmp_path / "test_dash.py"
    suite.write_text(
        "import pytest\n\n@pytest.mark.clause('T-4')\n"
        "@pytest.mark.parametrize('v', [1, 2], ids=['a-x', 'b'])\n"
        "def test_p(v):\n    pass\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app,
        [
            "run",
            "--workers",
            "1",
            "--no-report",
            "--out",
            str(tmp_path / "out"),
            "-k",
            "-x",
            str(suite),
        ],
        env={"COLUMNS": "400"},
    )
    assert result.exit_code == 0, result.output
    results = (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["test"].rsplit("::", 1)[-1] for line in results] == ["test_p[a-x]"]


def test_report_refuses_a_history_with_no_history(tmp_path: Path) -> None:
    line = _refused(["report", "--no-history", "--history", str(tmp_path / "h.jsonl")])
    assert "--no-history keeps no history" in line
    line = _refused(["report", "--no-history", "--history-limit", "3"])
    assert "--no-history keeps no history" in line


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--out", ""],
        ["conformance", "--plan", "all", "--out", ""],
        ["run", "--workers", "1", ""],
        ["report", "--out", ""],
        ["report", "--results", ""],
        ["personas", "generate", "-o", ""],
        ["serve", "--state", ""],
        ["serve", "--personas", ""],
        ["run", "--protocol-profile", ""],
        ["conformance", "--plan", "all", "--expected-failures", ""],
        ["personas", "check", ""],
        ["profile", "check", ""],
    ],
)
def test_an_empty_path_is_refused_not_taken_for_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    """Typer reads "" as ".": `run --out ""` wrote its reports into the current folder,
    over an unrelated summary.json there; `run ""` ran every test under it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "summary.json").write_text("{}", encoding="utf-8")
    result: Result = runner.invoke(app, args, env={"COLUMNS": "400"})
    assert result.exit_code == 2, result.output
    assert "is empty (an unset variable?): give a path" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json"]
    assert (tmp_path / "summary.json").read_text(encoding="utf-8") == "{}"


def test_an_expected_failures_file_with_unknown_top_level_keys_is_refused(tmp_path: Path) -> None:
    """An entry list under a misspelt key beside the right one was silently left out."""
    path = tmp_path / "expected.yaml"
    path.write_text(
        "expected_failures: []\nexpected_failure:\n  - {test: x, clause: T-4, reason: r}\n",
        encoding="utf-8",
    )
    line = _refused(
        [
            "conformance",
            "--plan",
            "vneid-provider",
            "--expected-failures",
            str(path),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert "has unknown top-level keys ['expected_failure']" in line


def test_a_test_path_that_starts_with_a_dash_runs_by_the_path_it_is_told_to_give(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refusal's advice works: "./-x.py" came back as "-x.py" (Typer's Path) and was
    refused again with the same advice."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "-dash_test.py").write_text("def test_a():\n    pass\n", encoding="utf-8")
    out = str(tmp_path / "out")
    result = runner.invoke(
        app,
        ["run", "--workers", "1", "--no-report", "--out", out, "--", "./-dash_test.py"],
        env={"COLUMNS": "400"},
    )
    assert result.exit_code == 2, result.output
    advised = str(tmp_path / "-dash_test.py")
    assert advised in result.output
    result = runner.invoke(
        app,
        ["run", "--workers", "1", "--no-report", "--out", out, "--", advised],
        env={"COLUMNS": "400"},
    )
    assert result.exit_code == 0, result.output


def test_the_command_starts_with_a_typer_without_its_width_setting() -> None:
    """``typer.rich_utils.MAX_WIDTH`` is typer's module setting, not a public API (typer is
    not bounded above): a release without it must leave ``--help`` at Rich's width, not stop
    every command at start-up with an AttributeError."""
    code = (  # typer's own code keeps its module; the harness sees one without the setting
        "import sys, types, typer, typer.rich_utils as real\n"
        "class Without(types.ModuleType):\n"
        "    def __getattr__(self, name):\n"
        "        if name == 'MAX_WIDTH':\n"
        "            raise AttributeError(name)\n"
        "        return getattr(real, name)\n"
        "typer.rich_utils = Without('typer.rich_utils')\n"
        "sys.argv = ['vneid-harness', '--help']\n"
        "from harness.cli import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "serve" in done.stdout


def test_an_empty_rp_client_secret_variable_is_refused(tmp_path: Path) -> None:
    """Click reads an empty variable as unset: an empty VNEID_HARNESS_RP_CLIENT_SECRET (a CI
    secret left unset) made the harness VNeID expect the default secret, where
    ``--rp-client-secret ""`` is refused."""
    args = ["conformance", "--plan", "vssid-relying-party", "--vssid-url", UNREACHABLE]
    args += ["--serve-vneid-port", "0", "--out", str(tmp_path), "--no-report"]
    result = runner.invoke(app, args, env={"COLUMNS": "400", "VNEID_HARNESS_RP_CLIENT_SECRET": ""})
    assert result.exit_code == 2, result.output
    assert "VNEID_HARNESS_RP_CLIENT_SECRET is set but empty" in result.output
    assert not (tmp_path / "conformance-vssid-relying-party.json").exists()


def test_an_empty_rp_client_secret_variable_does_not_stop_a_provider_run(tmp_path: Path) -> None:
    """The variable only describes a relying party under test: a provider run goes on (to
    the unreachable target's refusal)."""
    args = ["conformance", "--plan", "vneid-provider", "--vneid-url", UNREACHABLE]
    result = runner.invoke(
        app,
        [*args, "--out", str(tmp_path), "--no-report"],
        env={"COLUMNS": "400", "VNEID_HARNESS_RP_CLIENT_SECRET": ""},
    )
    assert "is set but empty" not in result.output
    assert "does not answer" in result.output, result.output
