"""The pytest plugin, tested from outside with pytester."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pluggy
import pytest

from tests.robustness.served_pair import ServeProcess


def test_fixtures_run_a_login(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import pytest
        from harness.flows import login_with_vneid

        @pytest.mark.clause("A-6")
        def test_login(device, persona, vneid, vssid):
            phone = device("android", vssid="1.6.10", vneid="2.10.0")
            assert login_with_vneid(phone.driver, persona).id == "vssid-home"
            assert vneid.requests(path="/token")
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--seed", "7")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*vneid-harness: seed=7 driver=sim target=embedded*"])


def test_the_plugins_parts_are_registered_once_each(pytester: pytest.Pytester) -> None:
    """The plugin is an index of parts (harness.pytest_plugin.PARTS), each a plugin of its own:
    each registered once (a hook seen twice would run twice: two replay lines, two headers),
    and none without the entry point (``-p no:vneid_harness``) or one left out by name."""
    from harness.pytest_plugin import PARTS

    config = pytester.parseconfig()
    manager = config.pluginmanager
    assert all(manager.get_plugin(part.__name__) is part for part in PARTS)
    for caller in manager.hook.__dict__.values():
        if isinstance(caller, pluggy.HookCaller):
            ours = [
                impl.plugin_name
                for impl in caller.get_hookimpls()
                if impl.plugin_name.startswith("harness.") or impl.plugin_name == "vneid_harness"
            ]
            assert len(ours) == len(set(ours)), (caller.name, ours)
    assert (
        manager.hook.pytest_report_header(config=config, start_path=pytester.path).count(
            "vneid-harness: seed=0 driver=sim target=embedded providers"
        )
        == 1
    )
    off = pytester.parseconfig("-p", "no:vneid_harness")
    assert not [part for part in PARTS if off.pluginmanager.get_plugin(part.__name__)]
    one_off = pytester.parseconfig("-p", "no:harness.plugin_signals")
    assert one_off.pluginmanager.get_plugin("harness.plugin_signals") is None
    assert one_off.pluginmanager.get_plugin("harness.plugin_fixtures") is not None


def test_unknown_clause_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import pytest

        @pytest.mark.clause("R-99")
        def test_x():
            pass
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*R-99*PROTOCOL.md does not have*"])


@pytest.mark.parametrize("option", ["--vneid-url", "--vssid-url"])
def test_a_target_url_without_a_scheme_is_a_usage_error(
    pytester: pytest.Pytester, option: str
) -> None:
    """``--vneid-url localhost:8851`` gave an error with a traceback in every test."""
    pytester.makepyfile("def test_x(target):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", option, "localhost:8851")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {option} must be an http(s) URL, got 'localhost:8851'*"])


def test_an_admin_token_no_header_can_carry_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--admin-token", "SECRET-1\n")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --admin-token (or VNEID_HARNESS_ADMIN_TOKEN) must be printable ASCII*"]
    )
    assert "SECRET-1" not in result.stderr.str() + result.stdout.str()


def test_unknown_clause_under_xdist_names_itself(pytester: pytest.Pytester) -> None:
    """In pytest-xdist workers (``run``'s default, ``make test``) the usage error ended each
    worker: an INTERNALERROR, "no active workers", and never the clause. Each worker now
    fails the module's collection with the same words."""
    pytester.makepyfile("""
        import pytest

        @pytest.mark.clause("P-2", "Z-9")
        def test_x():
            pass

        def test_y():
            pass
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    out = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in out
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # xdist's word for a collection error
    result.stdout.fnmatch_lines(
        ["*test_x: clause marker names Z-9, which PROTOCOL.md does not have*"]
    )
    assert "passed" not in out, "no test runs beside a collection error"


@pytest.mark.parametrize(
    ("marker", "said"),
    [
        ('clause(["R-1", "R-2"])', "*clause marker takes ids as text*"),
        ("clause(8)", "*clause marker takes ids as text*"),
        ('plan("vssid-rp")', "*plan marker names vssid-rp, which is not a conformance plan*"),
        ("plan(None)", "*plan marker takes ids as text*"),
    ],
)
def test_malformed_markers_are_usage_errors(
    pytester: pytest.Pytester, marker: str, said: str
) -> None:
    """A misspelt plan used to drop its test from --plan silently, and a clause given as a
    list or a number crashed collection (INTERNALERROR)."""
    pytester.makepyfile(f"""
        import pytest

        @pytest.mark.{marker}
        def test_x():
            pass
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([said])
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


def test_vssid_url_alone_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--vssid-url", "http://127.0.0.1:9"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--vssid-url needs --vneid-url*"])


def test_clauses_reach_junit_and_allure(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        '''Theme of this file.'''
        import pytest

        @pytest.mark.clause("V-1", "S-2", "T-4")
        def test_x():
            pass
    """)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--junitxml=junit.xml", "--alluredir=allure"
    )
    result.assert_outcomes(passed=1)
    junit = (pytester.path / "junit.xml").read_text()
    assert 'name="clause" value="S-2"' in junit
    assert 'name="clause" value="T-4"' in junit
    allure = "".join(p.read_text() for p in (pytester.path / "allure").glob("*-result.json"))
    assert '"name": "story", "value": "S-2"' in allure
    assert '"value": "§7 Security"' in allure
    assert '"name": "severity", "value": "blocker"' in allure  # the gravest: S-2's, not V-1's
    assert '"name": "feature", "value": "Theme of this file."' in allure


def test_each_test_of_a_run_gets_its_own_seed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        def test_a(persona):
            print("PID", persona.personal_id)

        def test_b(persona):
            print("PID", persona.personal_id)
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s", "--seed", "3")
    ids = re.findall(r"PID (\d{12})", result.stdout.str())
    assert len(ids) == 2
    assert ids[0] != ids[1]


def test_same_seed_gives_the_same_personas(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        def test_x(persona):
            print("PID", persona.personal_id)
    """)
    first = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s", "--seed", "3")
    second = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s", "--seed", "3")
    other = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s", "--seed", "4")
    pick = lambda r: re.findall(r"PID (\d{12})", r.stdout.str())  # noqa: E731
    assert len(pick(first)) == 1
    assert pick(first) == pick(second)
    assert pick(first) != pick(other)


@pytest.mark.parametrize("content", [None, "citizens: [1, 2]\n"])
def test_bad_personas_file_stops_the_run_before_any_test(
    pytester: pytest.Pytester, content: str | None
) -> None:
    """A missing or invalid --personas file used to fail each test that read it, one by one,
    and let the others pass: now it is a usage error before the run, as a bad profile is."""
    if content is not None:
        (pytester.path / "people.yaml").write_text(content)
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--personas", "people.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --personas: people.yaml*"])
    assert "passed" not in result.stdout.str()


def test_fixture_misuse_fails_that_test_only(pytester: pytest.Pytester) -> None:
    """adopt_trace(phone) used to pass, then crash the session at the first failure
    (INTERNALERROR, later tests never ran); device(driver=...) was a bare TypeError."""
    pytester.makepyfile("""
        def test_adopt_a_phone(device, adopt_trace):
            adopt_trace(device("ios"))

        def test_adopt_text(adopt_trace):
            adopt_trace("not a trace")

        def test_device_driver(device):
            device("ios", driver="web")

        def test_after(device, adopt_trace):
            phone = device("android")
            assert adopt_trace(phone.trace) is phone.trace
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=3)
    result.stdout.fnmatch_lines(
        [
            "*ConfigError: adopt_trace: give a harness.trace.Trace (a phone: give phone.trace), "
            "not Device*",
            "*ConfigError: adopt_trace: give a harness.trace.Trace, not str*",
            "*ConfigError: device(): unknown argument(s) driver*the driver is the run's --driver*",
        ]
    )
    assert "INTERNALERROR" not in result.stdout.str()


def test_the_admin_token_never_reaches_the_reports(pytester: pytest.Pytester) -> None:
    """S-5: the --admin-token is one of each test's known secrets, scrubbed from failure text
    on the console, in JUnit and in the Allure results (inside steps too)."""
    token = "ADMIN-TOKEN-s3cr3t-0123456789"
    pytester.makepyfile(f"""
        import allure

        def test_fails_naming_it():
            assert False, "refused {token}"

        def test_fails_in_a_step():
            with allure.step("a step"):
                raise RuntimeError("the step saw {token}")
    """)
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--admin-token",
        token,
        "--junitxml=junit.xml",
        "--alluredir=allure",
    )
    result.assert_outcomes(failed=2)
    written = [result.stdout.str(), (pytester.path / "junit.xml").read_text()]
    written += [p.read_text() for p in (pytester.path / "allure").iterdir()]
    assert not [text[:200] for text in written if token in text]
    assert "[REDACTED]" in written[1]


@pytest.mark.parametrize(
    ("sigint", "raised", "said"),
    [
        # as in a terminal (a background job of a script starts with Ctrl-C ignored)
        ("signal.default_int_handler", "KeyboardInterrupt", "KeyboardInterrupt"),
        # a script's background job, with the SIGTERM a pytest-xdist worker gets from its
        # controller: raised again through SIGINT, which was ignored, it was lost, and the
        # worker ran on until execnet killed it
        ("signal.SIG_IGN", "KeyboardInterrupt(TERMINATED)", "terminated (SIGTERM)"),
    ],
    ids=["ctrl-c", "sigterm-with-ctrl-c-ignored"],
)
def test_an_interrupt_python_ignored_still_stops_the_run(
    pytester: pytest.Pytester, sigint: str, raised: str, said: str
) -> None:
    """A KeyboardInterrupt raised in a __del__ or a gc callback (Hypothesis has one) is
    "ignored" by Python: the run went on, or failed on PytestUnraisableExceptionWarning."""
    pytester.makepyfile(f"""
        import signal
        import time

        from harness.processes import TERMINATED

        signal.signal(signal.SIGINT, {sigint})

        class Bomb:
            def __del__(self):
                raise {raised}

        def test_a():
            Bomb()
            for _ in range(200):
                time.sleep(0.01)

        def test_b():
            pass
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-v")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert "test_b" not in result.stdout.str().split("KeyboardInterrupt")[0].split("test_a")[-1]
    assert "test_b PASSED" not in result.stdout.str()
    assert "PytestUnraisableExceptionWarning" not in result.stdout.str()
    assert said in result.stdout.str()


def test_a_failure_says_how_to_replay_it_and_the_reports_carry_the_seed(
    pytester: pytest.Pytester,
) -> None:
    import shlex

    pytester.makepyfile("""
        import pytest
        from hypothesis import given, strategies as st

        @pytest.mark.parametrize("who", ["it's"])
        def test_fails(persona, who):
            assert persona.level == 1

        @given(st.integers())
        def test_property(n):
            assert n < 0

        def test_draws_nothing_from_the_seed():
            assert False
    """)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--seed", "5", "--junitxml=junit.xml", "--alluredir=allure"
    )
    result.assert_outcomes(failed=3)
    lines = [
        re.sub(r"^\S*pytest ", "pytest ", line)
        for line in result.stdout.lines
        if re.match(r"\S*pytest --seed 5 ", line)
    ]
    assert len(lines) == 1, "one replay line: the property test has hypothesis's own"
    # a test that takes nothing from the seed (the login state machine has its own) is
    # replayed without --seed, which would suggest it matters (a determinism review)
    unseeded = [
        line
        for line in result.stdout.lines
        if re.match(r"\S*pytest ", line) and line.endswith("::test_draws_nothing_from_the_seed")
    ]
    assert len(unseeded) == 1
    assert "--seed" not in unseeded[0]
    command = shlex.split(lines[0])
    assert command[:3] == ["pytest", "--seed", "5"]
    assert command[3].endswith("::test_fails[it's]")
    assert len(command) == 4
    assert '<property name="seed" value="5"' in (pytester.path / "junit.xml").read_text()
    allure = "".join(p.read_text() for p in (pytester.path / "allure").glob("*-result.json"))
    assert '"name": "seed", "value": "5"' in allure


def test_junit_gives_each_failed_test_its_replay_command(pytester: pytest.Pytester) -> None:
    """The console, the verdict and Allure gave a failed test's replay command; junit.xml, a
    CI's view of the run, gave its seed alone. Each failed test case (a failed call, set-up
    or teardown, or call and teardown both) has one ``replay`` property, the command its
    report's "how to replay" section holds, as a conftest left it (the property suites'
    rewrites it); a passed test has none."""
    import xml.etree.ElementTree as ET

    pytester.makeconftest("""
        import pytest
        from harness.replay import REPLAY_SECTION

        @pytest.hookimpl(wrapper=True)
        def pytest_runtest_makereport(item, call):
            report = yield
            if item.name == "test_setup":
                report.sections[:] = [(title, text + "  # rewritten" if title == REPLAY_SECTION
                                       else text) for title, text in report.sections]
            return report
    """)
    pytester.makepyfile("""
        import pytest

        @pytest.fixture
        def broken_setup():
            raise RuntimeError("set-up")

        @pytest.fixture
        def broken_teardown():
            yield
            raise RuntimeError("teardown")

        def test_call():
            assert False

        def test_setup(broken_setup):
            pass

        def test_teardown(broken_teardown):
            pass

        def test_call_and_teardown(broken_teardown):
            assert False

        def test_passes(persona):
            pass
    """)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--seed", "5", "--junitxml=junit.xml"
    )
    result.assert_outcomes(passed=2, failed=2, errors=3)
    said = result.stdout.lines
    cases = ET.parse(pytester.path / "junit.xml").getroot().iter("testcase")
    replays: dict[str, list[str]] = {}
    for case in cases:
        found = [p.get("value", "") for p in case.iter("property") if p.get("name") == "replay"]
        replays.setdefault(str(case.get("name")), []).extend(found)
    assert replays.pop("test_passes") == []
    assert sorted(replays) == ["test_call", "test_call_and_teardown", "test_setup", "test_teardown"]
    for name, found in replays.items():
        nodeid = f"test_junit_gives_each_failed_test_its_replay_command.py::{name}"
        assert len(found) == (2 if name == "test_call_and_teardown" else 1), (name, found)
        ends = nodeid + ("  # rewritten" if name == "test_setup" else "")
        assert all(one.endswith(ends) for one in found), found
        assert found[0] in said  # the line the report's section printed
        assert "--seed" not in found[0]  # they draw nothing from it


def test_the_replay_command_carries_the_options_that_made_the_failure(
    pytester: pytest.Pytester,
) -> None:
    """``--broken-rp nonce`` made a test fail, and the replay line left it out: run as
    printed, the test passed. The line now has every option that decides what a test does,
    and names the admin token without printing it (S-5)."""
    import shlex

    from harness.replay import own_pytest, replay_command

    pytester.makepyfile("""
        def test_fails():
            assert False
    """)
    profile = pytester.path / "my profile.yaml"
    profile.write_text("scope: openid profile\n", encoding="utf-8")
    config = pytester.parseconfig(
        "--seed",
        "7",
        "--plan",
        "vssid-relying-party",
        "--broken-rp",
        "nonce",
        "--broken-rp",
        "acr",
        "--driver",
        "web",
        "--protocol-profile",
        str(profile),
        "--vneid-url",
        "http://127.0.0.1:1",
        "--admin-token",
        "ADMIN-SECRET-1",
    )
    command = replay_command(config, "scenarios/test_x.py::test_y[a b]")
    assert "ADMIN-SECRET-1" not in command
    # valid shell as printed: the admin token in a comment (the plugin reads its variable)
    assert command.endswith("  # with $VNEID_HARNESS_ADMIN_TOKEN set to this run's admin token")
    words = shlex.split(command, comments=True)
    assert words == [
        own_pytest(),
        "--seed",
        "7",
        "--plan=vssid-relying-party",
        "--broken-rp=nonce",
        "--broken-rp=acr",
        "--driver=web",
        f"--protocol-profile={profile}",
        "--vneid-url=http://127.0.0.1:1",
        "scenarios/test_x.py::test_y[a b]",
    ]
    plain = shlex.split(replay_command(pytester.parseconfig(), "t.py::test_z"))
    assert plain == [own_pytest(), "--seed", "0", "t.py::test_z"]


def test_the_replay_of_an_installed_harness_keeps_its_settings_and_writes_no_cache(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Installed as a package, ``run`` gives pytest the packaged ``suites.ini`` and the
    package's folder as root: the replay line left the settings out (``xfail_strict``,
    ``filterwarnings = error``: another verdict) and, run as printed, wrote a
    ``.pytest_cache`` into site-packages (an installed-package walk)."""
    import shlex

    from harness import replay
    from harness.replay import own_pytest, replay_command
    from harness.run import PACKAGED_SETTINGS

    assert Path(PACKAGED_SETTINGS).resolve() == replay.PACKAGED_SETTINGS
    # a stand-in: the packaged file's filterwarnings = error would make this process's
    # already-imported modules' assert-rewrite warnings errors of the parse
    packaged = pytester.path / "site-packages" / "harness" / "suites.ini"
    packaged.parent.mkdir(parents=True)
    packaged.write_text("[pytest]\n", encoding="utf-8")
    monkeypatch.setattr(replay, "PACKAGED_SETTINGS", packaged.resolve())
    config = pytester.parseconfig("-c", str(packaged), "--rootdir", str(packaged.parent.parent))
    words = shlex.split(replay_command(config, "scenarios/test_x.py::test_y", seeded=False))
    root = packaged.parent.parent.resolve()
    assert words[:3] == ["cd", str(root), "&&"]  # the run's root, as the run chose it
    rest = words[3:8]
    assert rest == [
        own_pytest(folder=root),
        "-p",
        "no:cacheprovider",
        "-c",
        str(packaged.resolve()),
    ]
    assert words[-1] == "scenarios/test_x.py::test_y"


def test_the_replay_command_runs_from_the_runs_root_with_files_by_whole_path(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run started in another folder printed node ids relative to its root and a profile
    path relative to where it started: pasted where it was printed, "file or directory not
    found". A root the run chose, without a configuration in it, is pinned: pytest would
    take another from the replay's arguments, and the node ids (the seeds) with it."""
    import shlex

    from harness.replay import own_pytest, replay_command

    (pytester.path / "profiles").mkdir()
    (pytester.path / "profiles" / "p.yaml").write_text("scope: openid profile\n")
    (pytester.path / "elsewhere").mkdir()
    monkeypatch.chdir(pytester.path / "elsewhere")
    config = pytester.parseconfig(
        "--rootdir", str(pytester.path), "--protocol-profile", "../profiles/p.yaml"
    )
    command = replay_command(config, "scenarios/test_x.py::test_y")
    root = str(config.rootpath.resolve())
    assert command.startswith(f"cd {shlex.quote(root)} && ")
    words = shlex.split(command.split(" && ", 1)[1])
    assert words == [
        own_pytest(folder=config.rootpath.resolve()),
        "--rootdir",
        root,
        "--seed",
        "0",
        f"--protocol-profile={pytester.path.resolve() / 'profiles' / 'p.yaml'}",
        "scenarios/test_x.py::test_y",
    ]


def test_an_empty_parametrization_id_replays_that_case_alone(pytester: pytest.Pytester) -> None:
    """pytest names a case whose id is empty ``test_s[]``: the replay's ``-k 'test_s[]'``
    runs that case alone, where the bare name would run every case (``test_s[a]`` too)."""
    import shlex

    pytester.makepyfile("""
        import pytest

        @pytest.mark.parametrize("x", ["", "a"])
        def test_s(x):
            assert x == "b"
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--replay-as", "again")
    result.assert_outcomes(failed=2)
    lines = [line for line in result.stdout.lines if line.startswith("again -k ")]
    assert lines == ["again -k 'test_s[]'", "again -k 'test_s[a]'"]
    keyword = shlex.split(lines[0])[-1]
    alone = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-k", keyword)
    alone.assert_outcomes(failed=1, deselected=1)
    assert any(
        line.startswith("FAILED ") and line.split()[1].endswith("::test_s[]")
        for line in alone.stdout.lines
    ), alone.stdout.str()


def test_a_run_that_dropped_its_addopts_replays_without_them(pytester: pytest.Pytester) -> None:
    """A run with ``-o addopts=`` (``vneid-harness run`` gives it for a team's tests) printed
    a replay line that ran under the configuration's addopts: their ``-m "not slow"``
    deselected the slow test that had failed. The line drops them too; a run that kept them
    and the harness's own settings (whose addopts ``run`` gives as options) add nothing."""
    import shlex
    import subprocess

    from harness.replay import own_pytest, replay_command

    pytester.makeini('[pytest]\naddopts = -m "not slow"\nmarkers =\n    slow: slow ones\n')
    pytester.makepyfile("""
        import pytest

        @pytest.mark.slow
        def test_slow():
            assert False
    """)
    result = pytester.runpytest_subprocess("-o", "addopts=", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    lines = [
        line
        for line in result.stdout.lines
        if line.endswith("::test_slow") and re.match(r"\S*pytest ", line)
    ]
    assert len(lines) == 1, result.stdout.str()
    assert shlex.split(lines[0])[1:3] == ["-o", "addopts="]
    again = subprocess.run(
        shlex.split(lines[0]),
        cwd=pytester.path,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert again.returncode == 1, again.stdout  # failed again, not deselected (exit 5)
    assert "1 failed" in again.stdout

    kept = pytester.parseconfig()
    assert shlex.split(replay_command(kept, "t.py::test_z")) == [
        own_pytest(),
        "--seed",
        "0",
        "t.py::test_z",
    ]
    other = pytester.parseconfig("-o", "addopts=-x -q")
    assert shlex.split(replay_command(other, "t.py::test_z"))[1:3] == ["-o", "addopts=-x -q"]
    secret = pytester.parseconfig("-o", "addopts=--vneid-url=https://qa:PW-123@idp.test")
    line = replay_command(secret, "t.py::test_z")
    assert "PW-123" not in line, line
    assert "qa:" in line, "the rest of the option stays"
    harness_own = Path(__file__).resolve().parents[2] / "pyproject.toml"
    # (its filterwarnings=error would make pytest's notice that this process imported the
    # harness before the config, which cannot rewrite its asserts, an error)
    own = pytester.parseconfig(
        "-c", str(harness_own), "-o", "addopts=", "-W", "ignore::pytest.PytestAssertRewriteWarning"
    )
    assert "addopts=" not in replay_command(own, "t.py::test_z")


def test_a_run_that_served_what_its_tests_need_replays_with_its_own_command(
    pytester: pytest.Pytester,
) -> None:
    from harness.replay import replay_command

    config = pytester.parseconfig(
        "--replay-as",
        "vneid-harness conformance --plan vssid-relying-party --vssid-url "
        "http://rp.test --serve-vneid-port 8801 --seed 3",
        "--admin-token",
        "ADMIN-SECRET-2",
    )
    command = replay_command(config, "scenarios/test_x.py::test_nonce[faulty]")
    assert command == (
        "vneid-harness conformance --plan vssid-relying-party --vssid-url http://rp.test "
        "--serve-vneid-port 8801 --seed 3 -k 'test_nonce[faulty]'  # with "
        "$VNEID_HARNESS_ADMIN_TOKEN set to this run's admin token"
    )


def test_the_personas_file_is_offered_to_every_test(pytester: pytest.Pytester) -> None:
    """--personas FILE: read once as pytest configures, its citizens registered in each test
    that asks for them (personas.from_file())."""
    from harness.personas import PersonaFactory, save_personas

    people = PersonaFactory("file").many(2)
    save_personas(pytester.path / "people.yaml", people)
    pytester.makepyfile(f"""
        from harness.flows import login_with_vneid

        def test_first(personas, device):
            citizens = personas.from_file()
            assert [c.personal_id for c in citizens] == {[p.personal_id for p in people]!r}
            phone = device("android")
            assert login_with_vneid(phone.driver, citizens[0]).id == "vssid-home"

        def test_second(personas):
            assert len(personas.from_file()) == 2
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--personas", "people.yaml")
    result.assert_outcomes(passed=2)


def test_workers_against_remote_targets_are_a_usage_error(pytester: pytest.Pytester) -> None:
    """``-n 2`` with ``--vneid-url``: the workers' tests changed the same providers' clocks,
    faults and link form under each other and failed for it; ``vneid-harness run`` refuses
    more than one worker there, and so does pytest now."""
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", "2", "--vneid-url", "http://127.0.0.1:9"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: -n 2 with --vneid-url: tests against remote providers "
            "share their state*must take turns; run them in one process*"
        ]
    )
    one = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", "1", "--vneid-url", "http://127.0.0.1:9"
    )
    assert one.ret == pytest.ExitCode.OK
    # xdist's older way to ask for workers ran two against the remote targets
    tx = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-d", "--tx", "2*popen", "--vneid-url", "http://127.0.0.1:9"
    )
    assert tx.ret == pytest.ExitCode.USAGE_ERROR
    tx.stderr.fnmatch_lines(["ERROR: *with --vneid-url: tests against remote providers share*"])


def test_the_admin_token_variable_is_read_as_vneid_harness_reads_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``VNEID_HARNESS_ADMIN_TOKEN`` was read by ``vneid-harness`` only: pytest against a pair
    served with ``--admin-token`` got 403 in every test."""
    pytester.makepyfile("""
        def test_token(request):
            assert request.config.getoption("--admin-token") == "from-the-env"
    """)
    monkeypatch.setenv("VNEID_HARNESS_ADMIN_TOKEN", "from-the-env")
    assert pytester.runpytest_subprocess("-p", "no:cacheprovider").ret == pytest.ExitCode.OK
    monkeypatch.setenv("VNEID_HARNESS_ADMIN_TOKEN", "")
    pytester.makepyfile(test_other="def test_x():\n    pass\n")
    unused = pytester.runpytest_subprocess("-p", "no:cacheprovider", "test_other.py")
    assert unused.ret == pytest.ExitCode.OK  # set but empty, and no target that needs it
    empty = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "test_other.py", "--vneid-url", "http://127.0.0.1:9"
    )
    assert empty.ret == pytest.ExitCode.USAGE_ERROR
    empty.stderr.fnmatch_lines(
        [
            "ERROR: VNEID_HARNESS_ADMIN_TOKEN is set but empty: set it to "
            "the token (the one the targets were served with*"
        ]
    )


def test_plain_pytest_shows_the_pre_run_warnings_of_remote_targets(
    pytester: pytest.Pytester,
) -> None:
    """``vneid-harness run`` warns before the tests (or refuses) when the targets' set-up would
    fail many tests for itself; plain pytest said nothing and the tests failed. Its header now
    says the same. (The pair is served by a process of its own: pytester drops the modules a
    test imports, and providers built here would import their crypto a second time.)"""
    pytester.makepyfile("def test_x():\n    pass\n")
    profile = Path(__file__).resolve().parents[2] / "docs" / "examples" / "vendor-profile.yaml"
    with ServeProcess() as served:
        swapped = pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", "-q", "--vneid-url", served.vssid, "--vssid-url", served.vneid
        )
        other_profile = pytester.runpytest_subprocess(
            "-p",
            "no:cacheprovider",
            "--vneid-url",
            served.vneid,
            "--protocol-profile",
            str(profile),
        )
        fine = pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", "--vneid-url", served.vneid, "--vssid-url", served.vssid
        )
    swapped.stdout.fnmatch_lines(
        [
            f"vneid-harness warning: the VNeID target at "
            f"{served.vssid} answered 404 to GET /.well-known/"
            "openid-configuration*it looks like a VssID; are --vneid-url "
            "and --vssid-url swapped*"
        ]
    )
    other_profile.stdout.fnmatch_lines(
        [
            "vneid-harness warning: the VNeID at *publishes "
            "vneid_app_minimum_version 2.1.0 in its discovery, and "
            "this run expects*"
        ]
    )
    assert "vneid-harness warning" not in fine.stdout.str()
    assert swapped.ret == other_profile.ret == fine.ret == pytest.ExitCode.OK


def test_plain_pytest_refuses_targets_found_wanting_before_any_test(
    pytester: pytest.Pytester,
) -> None:
    """Swapped URLs and a test that needs the targets: the run stopped on "reading the config
    failed with HTTP 404", after the warning that had named the cause (a docs walkthrough);
    then, after the tests before the first that used the targets had passed, with pytest's
    ``! _pytest.outcomes.Exit: …`` line (a new user's walk, against a token-protected
    ``serve`` without ``--admin-token``). Now a usage error (4) once the tests are collected,
    naming the cause, before any test runs."""
    pytester.makepyfile("def test_a():\n    pass\n\ndef test_x(target):\n    pass\n")
    with ServeProcess() as served:
        swapped = pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", "--vneid-url", served.vssid, "--vssid-url", served.vneid
        )
        listed = pytester.runpytest_subprocess(
            "-p",
            "no:cacheprovider",
            "--collect-only",
            "-q",
            "--vneid-url",
            served.vssid,
            "--vssid-url",
            served.vneid,
        )
    # --collect-only runs nothing: the finding is a warning there
    assert listed.ret == pytest.ExitCode.OK, listed.stderr.str()
    listed.stdout.fnmatch_lines(["vneid-harness warning: the VNeID target at *swapped*"])
    assert swapped.ret == pytest.ExitCode.USAGE_ERROR
    said = " ".join(swapped.stderr.str().split())
    assert re.search(
        r"^ERROR: the VNeID target at \S+ answered 404 to GET "
        r"/.well-known/openid-configuration.* swapped.*\(no test ran\)$",
        said,
    ), said
    out = swapped.stdout.str()
    assert "passed" not in out
    assert "Exit" not in out
    assert "vneid-harness warning" not in out  # said once, as the error


def test_a_teams_own_property_test_says_how_to_replay(pytester: pytest.Pytester) -> None:
    """A failing Hypothesis test outside scenarios/properties/ said nothing of how to replay
    it (the suites' own conftest says it for theirs)."""
    pytester.makepyfile("""
        import pytest
        from hypothesis import given, settings, strategies as st

        @pytest.mark.clause("V-1")
        @settings(database=None)
        @given(st.integers(min_value=0, max_value=9))
        def test_versions(minor):
            assert minor < 5, f"2.{minor}.0"

        @pytest.mark.clause("V-1")
        def test_plain():
            assert False
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--seed", "5")
    result.assert_outcomes(failed=2)
    said = " ".join(result.stdout.str().split())
    assert re.search(
        r"how to replay -+ \S*pytest test_a_teams_own_property_test_says_how_to_"
        r"replay\.py::test_versions +# Hypothesis replays the failing example "
        r"first",
        said,
    ), said
    assert said.count("how to replay") == 2, said


def test_a_property_test_run_from_a_subfolder_replays_from_there(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pytest started in ``ROOT/tests`` printed ``cd ROOT && pytest tests/…``: Hypothesis
    keeps its failing examples in ``.hypothesis/`` of the folder pytest ran from, so the
    printed replay looked in another database and a rare failure passed (2 of 10 replays,
    a team's review). A Hypothesis test's replay runs where the run started, by the test's
    whole path and ``--rootdir``; pasted there it fails again."""
    import shlex
    import subprocess

    pytester.makeini("[pytest]\n")
    tests = pytester.mkdir("tests")
    (tests / "test_rare.py").write_text(
        "from hypothesis import given, strategies as st\n\n"
        "@given(st.integers(min_value=0, max_value=9))\n"
        "def test_rare(n):\n    assert n < 7\n"
    )
    monkeypatch.chdir(tests)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:schemathesis", "test_rare.py"
    )
    result.assert_outcomes(failed=1)
    root = str(pytester.path.resolve())
    lines = [
        line
        for line in result.stdout.lines
        if "::test_rare" in line and re.match(r"\S*pytest ", line)
    ]
    assert len(lines) == 1, result.stdout.str()
    command = lines[0].partition("  # ")[0]
    assert shlex.split(command)[1:] == ["--rootdir", root, f"{root}/tests/test_rare.py::test_rare"]
    assert (tests / ".hypothesis").is_dir()  # the database the replay finds
    again = subprocess.run(
        [*shlex.split(command), "-p", "no:schemathesis"],
        cwd=tests,
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 1, again.stdout
    assert "n=7" in again.stdout


def test_a_hidden_falsifying_example_is_explained(pytester: pytest.Pytester) -> None:
    """schemathesis's pytest plugin (the dev extra; loaded unless ``-p no:schemathesis``)
    swaps Hypothesis's printer for one that prints nothing: a team's failing property test
    showed ``minor=,`` and no way to see the example. The replay text says why and how."""
    pytest.importorskip("schemathesis")
    pytester.makepyfile("""
        from hypothesis import given, settings, strategies as st

        @settings(database=None)
        @given(st.integers(min_value=0, max_value=9))
        def test_versions(minor):
            assert minor < 5
    """)
    hidden = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "schemathesis")
    shown = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:schemathesis")
    hidden.assert_outcomes(failed=1)
    shown.assert_outcomes(failed=1)
    hidden_text = " ".join(hidden.stdout.str().split())
    shown_text = " ".join(shown.stdout.str().split())
    assert "minor=," in hidden_text
    assert "run again with -p no:schemathesis" in hidden_text, hidden_text
    assert "minor=5," in shown_text
    assert "schemathesis" not in shown_text, shown_text


def test_the_replay_command_names_this_pythons_pytest(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Pasted as printed, a bare ``pytest`` ran another Python's pytest (``unrecognized
    arguments: --seed``) when the project's venv was not activated (a docs walkthrough)."""
    import sys

    from harness.replay import own_pytest

    own = Path(sys.executable).parent / "pytest"
    if not own.is_file():
        pytest.skip("this Python has no pytest script beside it")
    monkeypatch.setenv("PATH", str(tmp_path))  # no pytest on PATH
    monkeypatch.chdir(own.parent.parent)
    assert own_pytest() == str(Path(own.parent.name) / "pytest")  # bin/pytest, relative
    monkeypatch.chdir(tmp_path)
    assert own_pytest() == str(own)
    monkeypatch.setenv("PATH", str(own.parent))  # the venv activated
    assert own_pytest() == "pytest"


def test_the_header_does_not_print_a_target_urls_password(pytester: pytest.Pytester) -> None:
    """``pytest --vneid-url http://u:pw@host`` printed the password in the session header."""
    from harness.plugin_remote import pytest_report_header

    config = pytester.parseconfig(
        "--vneid-url", "http://u:s3cr3t@127.0.0.1:1", "--vssid-url", "http://u:s3cr3t@127.0.0.1:2"
    )
    header = pytest_report_header(config)
    assert "s3cr3t" not in header
    assert header.count("%5BREDACTED%5D") == 2


def test_an_empty_file_option_is_a_usage_error_not_the_current_folder(
    pytester: pytest.Pytester,
) -> None:
    """``--personas "$UNSET"`` read "." and said "unknown persona file type '(none)'"."""
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest("--personas=")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*argument --personas: is empty (an unset variable?)*"])


@pytest.mark.parametrize("kind", ["file", "fifo", "dangling-link"])
def test_an_alluredir_that_is_not_a_folder_is_a_usage_error(
    pytester: pytest.Pytester, kind: str
) -> None:
    """allure-pytest answered a file (or a pipe) at --alluredir with an INTERNALERROR
    (FileExistsError), exit 3; what is there is left as it is."""
    pytester.makepyfile("def test_x():\n    pass\n")
    there = pytester.path / "results"
    if kind == "file":
        there.write_text("kept", encoding="utf-8")
    elif kind == "fifo":
        os.mkfifo(there)
    else:
        there.symlink_to(pytester.path / "nowhere")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--alluredir", str(there))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --alluredir *results: not a folder; give a folder*"])
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    if kind == "file":
        assert there.read_text(encoding="utf-8") == "kept"


@pytest.mark.parametrize("option", ["--protocol-url", "--replay-as", "--hypothesis-profile"])
def test_an_empty_text_option_is_a_usage_error_not_its_default(
    pytester: pytest.Pytester, option: str
) -> None:
    """``--protocol-url "$UNSET"`` (and the other two) fell back to the default without a
    word: the Allure links pointed elsewhere, the replay lines were pytest's own."""
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"{option}=")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            f"ERROR: {option} is empty (an unset variable?): give a "
            "value, or leave the option out for its default"
        ]
    )


@pytest.mark.parametrize("driver", ["sim", "web"])
def test_appium_capabilities_are_replayed_only_where_the_appium_driver_read_them(
    pytester: pytest.Pytester, driver: str
) -> None:
    """``--appium-capabilities FILE --driver sim`` ignored the file, and the replay line
    still carried it (and failed where the file was not)."""
    from harness.replay import replay_command

    capabilities = pytester.path / "caps.yaml"
    capabilities.write_text("mode: web\n", encoding="utf-8")
    config = pytester.parseconfig(f"--driver={driver}", f"--appium-capabilities={capabilities}")
    command = replay_command(config, "t.py::test_z")
    assert "--appium-capabilities" not in command
    appium = pytester.parseconfig("--driver=appium", f"--appium-capabilities={capabilities}")
    assert f"--appium-capabilities={capabilities}" in replay_command(appium, "t.py::test_z")


def test_the_secrets_the_embedded_providers_hold_never_reach_the_reports(
    pytester: pytest.Pytester,
) -> None:
    """S-5 sweep: ``pytest -l`` printed the default client secret (a test's local), a team's
    assertion printed VssID's backend verifier, and a world a property test made and closed
    itself printed a citizen's passcode and a verifier: none of them was known to the scrub.
    Each test's embedded targets now give it what their providers hold."""
    pytester.makepyfile("""
        import pytest

        from harness.targets import embedded_target
        from mock_providers.defaults import DEFAULT_VSSID_CLIENT_SECRET

        def _started(target):
            with target.vssid.client() as http:
                answer = http.post("/api/v1/auth/vneid/start", json={}, headers={
                    "X-VssID-App-Version": "1.6.7", "X-Device-Platform": "android"})
            assert answer.status_code == 200, answer.text
            return target.vssid.embedded.transactions.verifiers()[-1]

        def test_the_fixture_targets_verifier(target):
            verifier = _started(target)
            assert verifier == "x", f"backend verifier {verifier}"

        def test_a_world_made_and_closed_in_the_test():
            world = embedded_target(seed="own")
            verifier = _started(world)
            world.close()
            assert verifier == "x", f"backend verifier {verifier}"

        def test_a_local_default_secret():
            secret = DEFAULT_VSSID_CLIENT_SECRET
            assert secret == "x"

        @pytest.fixture(scope="module")
        def shared():
            world = embedded_target(seed="shared")
            yield world
            world.close()

        def test_a_module_scoped_target_first(shared):
            verifier = _started(shared)
            assert verifier == "x", f"backend verifier {verifier}"

        def test_a_module_scoped_target_again(shared):  # its sink is not the first test's
            verifier = _started(shared)
            assert verifier == "x", f"backend verifier {verifier}"

        def test_the_verifier_of_a_relying_party_without_a_trace():
            from harness.rp import TestRelyingParty

            world = embedded_target(seed="rp")
            verifier = TestRelyingParty(world.vneid, world.profile).register().login().code_verifier
            world.close()
            assert verifier == "x", f"backend verifier {verifier}"
    """)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-l", "--tb=long", "--junitxml=junit.xml", "--alluredir=allure"
    )
    result.assert_outcomes(failed=6)
    written = [result.stdout.str(), (pytester.path / "junit.xml").read_text()]
    written += [p.read_text() for p in (pytester.path / "allure").iterdir()]
    assert "vssid-harness-client-secret" not in "".join(written)
    assert result.stdout.str().count("backend verifier [REDACTED]") >= 5
    assert "backend verifier [REDACTED]" in written[0]
    # what was printed, and no verifier beside it: each is 43 base64url characters
    assert not re.findall(r"backend verifier [A-Za-z0-9_-]{43}", "".join(written))


def test_live_logging_of_the_http_clients_keeps_no_secret(pytester: pytest.Pytester) -> None:
    """``pytest -o log_cli=true --log-cli-level=INFO`` printed httpx's request lines, query
    secrets and all (S-5 sweep): the live handler has no scrub of its own."""
    pytester.makepyfile("""
        import httpx

        def test_x(target):
            with target.vneid.client() as http:
                http.get("/userinfo?access_token=leaky-access-token-0123&code=leaky-code-0123")
    """)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-o", "log_cli=true", "--log-cli-level=DEBUG"
    )
    result.assert_outcomes(passed=1)
    out = result.stdout.str()
    assert "HTTP Request: GET" in out
    assert "leaky" not in out


def test_a_replay_line_keeps_a_test_id_that_holds_a_known_value(pytester: pytest.Pytester) -> None:
    """A test id holding a value the scrub knows (a fake verifier, a default secret, given as
    a parameter) was redacted in the replay line too: pasted, it ran nothing (a vendor's
    review). The line is written after the scrub, in the terminal and in Allure's error box
    (heading its trace);
    the failure text itself stays scrubbed."""
    import json

    pytester.makepyfile("""
        import pytest

        @pytest.mark.parametrize("given", ["harness-rp-secret"])
        def test_x(given):
            assert False, f"sent {given}"
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--alluredir=allure")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "test_x[harness-rp-secret]" in out.split("how to replay")[-1]
    assert "sent harness-rp-secret" not in out
    results = [json.loads(p.read_text()) for p in (pytester.path / "allure").glob("*-result.json")]
    details = results[0]["statusDetails"]
    replay, _, trace = details["trace"].partition("\n\n")
    assert replay.startswith("how to replay: ")
    assert "test_x[harness-rp-secret]" in replay
    assert "sent [REDACTED]" in details["message"]
    assert "harness-rp-secret" not in details["message"] + trace
