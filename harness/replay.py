"""How a failed test is run again: the replay line.

Every failed test's report gets a section, ``how to replay`` (:data:`REPLAY_SECTION`), with
one shell command that runs that test again as it ran (:func:`replay_command`,
:func:`item_replay`). What the line promises:

- **the same test, the same draws**: the test by its node id (or ``-k`` its name, for a
  ``--replay-as`` command), the run's ``--seed`` when the test draws from it, and every
  option of the run that decides what a test does (:data:`_REPLAYED`: the plan, the broken
  mocks, the driver, the persona and profile files, the targets), from the folder whose node
  ids the seeds were derived from (``cd ROOT &&``, or ``--rootdir``), under the run's own
  ``-o addopts=`` when it overrode a team's configuration (:func:`_addopts_given`);
- **pasted as printed, it runs**: this interpreter's ``pytest`` when the one on ``PATH`` is
  another Python's (:func:`own_pytest`), words quoted for the shell, files by absolute path;
- **no secret in it** (S-5): the targets' URLs with their passwords redacted, the admin token
  named by its variable in a shell comment, never printed;
- **a Hypothesis test says how its example comes back**: from Hypothesis's database in the
  folder the run started in, or with ``@example``/``--hypothesis-seed``
  (:data:`HYPOTHESIS_REPLAY`, :func:`hidden_examples_hint`).

The line goes wherever the failure is reported: the pytest report's section (the harness
plugin adds it, :mod:`harness.plugin_reports`), JUnit XML's ``<property name="replay">``
(:class:`_ReplayProperty`), the run's verdict and ``results.jsonl``
(:mod:`harness.run_progress` reads it with :func:`replay_of`), and Allure's error box
(:mod:`reports.allure_steps`).
This module needs no more than pytest, the option names (:mod:`harness.plugin_options`) and
the protocol model's redaction, so those readers need not import the plugin, a front end.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from harness import ADMIN_TOKEN_ENV
from harness.plugin_options import (
    OPT_ADMIN_TOKEN,
    OPT_APPIUM_CAPABILITIES,
    OPT_BROKEN_RP,
    OPT_BROKEN_VNEID,
    OPT_DRIVER,
    OPT_PERSONAS,
    OPT_PLAN,
    OPT_PROFILE,
    OPT_REPLAY_AS,
    OPT_SEED,
    OPT_VNEID_URL,
    OPT_VSSID_URL,
)

__all__ = [
    "HYPOTHESIS_REPLAY",
    "PACKAGED_SETTINGS",
    "REPLAY_PROPERTY",
    "REPLAY_SECTION",
    "hidden_examples_hint",
    "item_replay",
    "own_pytest",
    "replay_command",
    "replay_of",
]

REPLAY_SECTION = "how to replay"
"""The title of the section a failed test's report gets with its replay command; the run's
verdict, ``results.jsonl``, the conformance report, JUnit XML (:data:`REPLAY_PROPERTY`) and
Allure's error box carry it too."""


REPLAY_PROPERTY = "replay"
"""The name of the JUnit ``<property>`` of a failed test that holds its replay command."""


class _ReplayProperty:
    """A failed test's replay command as a JUnit ``<property name="replay">`` (beside its
    ``seed``): the console, the verdict and Allure had it, ``junit.xml`` had none. pytest's
    JUnit XML takes a test case's properties from the report that closes it (the teardown's,
    made from the item's ``user_properties``, or the failed call's when the teardown fails
    too), so the command goes into both. Outermost (``tryfirst``): it takes the section as
    the other hooks left it (the property suites' conftest rewrites it)."""

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, Any, Any]:
        report = yield
        replay = replay_of(report) if report.failed else ""
        if replay:
            for properties in (item.user_properties, report.user_properties):
                properties[:] = [
                    (name, value) for name, value in properties if name != REPLAY_PROPERTY
                ] + [(REPLAY_PROPERTY, replay)]
        return report


def item_replay(
    item: pytest.Item,
    *,
    env: Mapping[str, str] | None = None,
    extra: Sequence[str] = (),
    note: str | None = None,
    hypothesis: bool | None = None,
) -> str:
    """The replay command of the failed test ``item`` (:func:`replay_command`), with
    ``--seed`` when the test draws from it. A Hypothesis test's (an ``@given`` test, or
    ``hypothesis=True`` for one that runs Hypothesis itself, as a state machine run with
    ``run_state_machine_as_test``) ends with ``note`` (default: how Hypothesis replays its
    example, :data:`HYPOTHESIS_REPLAY`) and is run from the folder the run started in,
    where Hypothesis keeps its database; ``env`` and ``extra`` are variables and options of
    its own (the property suites' profile and seed)."""
    seeded = "harness_seed" in getattr(item, "fixturenames", ())
    # a test file outside the run's root (a team's own folder) has a node id without its
    # file ("::test_x"): the replay names the file
    nodeid = f"{item.path}{item.nodeid}" if item.nodeid.startswith("::") else item.nodeid
    if hypothesis is None:
        hypothesis = getattr(getattr(item, "obj", None), "is_hypothesis_test", False)
    if not hypothesis:
        return replay_command(item.config, nodeid, seeded=seeded, env=env, extra=extra)
    how = replay_command(item.config, nodeid, seeded=seeded, env=env, extra=extra, stay=True)
    return how + (f"  # {note}" if note else HYPOTHESIS_REPLAY) + hidden_examples_hint()


def replay_of(report: pytest.TestReport) -> str:
    """The replay command the harness plugin gave a failed test's ``report`` ("" if none)."""
    return next((text for title, text in report.sections if title == REPLAY_SECTION), "")


HYPOTHESIS_REPLAY = (
    "  # Hypothesis replays the failing example first, from its database: .hypothesis/ in "
    "the folder pytest ran from (run this there), unless the test sets database=None; "
    "elsewhere, pin the "
    "falsifying example printed above with @example(...), or give --hypothesis-seed=N to the "
    "run and the replay both"
)
"""Added to a property test's replay command: its examples come from Hypothesis, not from
``--seed``."""


def hidden_examples_hint() -> str:
    """A sentence for a Hypothesis failure's replay text when its falsifying example printed
    empty (``minor=,``): schemathesis's pytest plugin, installed with the ``dev`` extra and
    loaded by every pytest run that does not say ``-p no:schemathesis`` (this project's own
    ``addopts`` do), swaps Hypothesis's printer for one that prints nothing."""
    import hypothesis.core
    from hypothesis.vendor import pretty

    printer = getattr(hypothesis.core, "RepresentationPrinter", pretty.RepresentationPrinter)
    if printer is pretty.RepresentationPrinter:
        return ""
    return (
        "; the falsifying example above prints empty because the schemathesis pytest "
        "plugin is loaded (it hides Hypothesis's examples): run again with "
        "-p no:schemathesis, or add it to your pytest addopts, to see it"
    )


_REPLAYED = (
    OPT_PLAN,
    OPT_BROKEN_RP,
    OPT_BROKEN_VNEID,
    OPT_DRIVER,
    OPT_APPIUM_CAPABILITIES,
    OPT_PERSONAS,
    OPT_PROFILE,
    OPT_VNEID_URL,
    OPT_VSSID_URL,
)
"""The options besides ``--seed`` that decide what a test does, in the replay command."""


def own_pytest(script: str = "pytest", *, folder: Path | None = None) -> str:
    """How to start this pytest (or another ``script`` of its venv, ``vneid-harness``) again
    from the shell the run came from: ``pytest`` when the one on ``PATH`` is this
    interpreter's (an activated venv), else this interpreter's own (``.venv/bin/pytest``,
    relative to ``folder``, default the current one, when under it): pasted as printed, a
    bare ``pytest`` ran another Python's, which knew no ``--seed`` (a docs walkthrough)."""
    import shutil
    import sys

    own = Path(sys.executable).parent / script
    if not own.is_file():  # an interpreter without the script (python -m pytest, embedded)
        return script
    found = shutil.which(script)
    if found is not None and Path(found).resolve() == own.resolve():
        return script
    try:
        return str(own.relative_to(folder or Path.cwd()))
    except ValueError:
        return str(own)


_K_IDENT = re.compile(r"(?:\w|:|\+|-|\.|\[|\]|\\|/)+")
"""An identifier of pytest's ``-k`` expressions (``_pytest.mark.expression``'s lexer): a
test's name with its parametrization, when every character of it is one of these."""


def _k_name(nodeid: str) -> str:
    """What ``-k`` selects the test ``nodeid`` by: its name with its parametrization
    (``test_x[id_token_nonce_invalid]``, that one case alone), or, when the parametrization
    holds characters ``-k`` cannot take (a space, a quote, ``=``), the bare name (every
    case of the test)."""
    name = nodeid.rsplit("::", 1)[-1]
    if _K_IDENT.fullmatch(name) and name not in ("and", "or", "not"):
        return name
    return name.split("[", 1)[0]


def replay_command(
    config: pytest.Config,
    nodeid: str,
    *,
    seeded: bool = True,
    env: Mapping[str, str] | None = None,
    extra: Sequence[str] = (),
    stay: bool = False,
) -> str:
    """``[ENV=…] pytest [-o addopts=] --seed N [the run's options that decide what a test
    does] [extra] NODEID``: the one test again, as it ran (without ``--seed`` when the test
    draws nothing from it, as the login state machine, whose world has a seed of its own;
    with ``-o addopts=`` when the run dropped its configuration's ``addopts``, as
    ``vneid-harness run`` does a team's: :func:`_addopts_given`), from the run's
    root (``cd ROOT &&`` first when the run started elsewhere; files named by absolute
    paths). With ``stay``, from the folder the run started in instead (``--rootdir ROOT``
    and the test by its whole path: the node id is the same, and Hypothesis finds the
    database it keeps there). With ``--replay-as COMMAND``: ``COMMAND -k NAME``. The admin
    token is named in a shell comment, never printed (S-5): the plugin reads its
    variable."""
    import shlex

    from harness.protocol.redaction import redact_url

    notes = (
        [f"with ${ADMIN_TOKEN_ENV} set to this run's admin token"]
        if config.getoption(OPT_ADMIN_TOKEN, None)
        else []
    )
    replay_as = config.getoption(OPT_REPLAY_AS, None)
    if replay_as:  # the run served what the test needs: its own command serves it again
        given, _, note = replay_as.partition("  # ")
        return f"{given} -k {shlex.quote(_k_name(nodeid))}" + _comment([note, *notes])
    root = config.rootpath.resolve()
    here = config.invocation_params.dir.resolve()  # where the run started
    away = here != root
    moved = away and not stay  # cd to the root: node ids are relative to it
    kept = away and stay  # from here: the test by its whole path, the root pinned
    # a root the run chose (vneid-harness run's for a team's folder) other than its
    # configuration's folder is not the one pytest would take from the replay's arguments,
    # and node ids, so the tests' seeds, follow the root
    chosen = config.getoption("rootdir", None) and (
        config.inipath is None or config.inipath.parent.resolve() != root
    )
    addopts = _addopts_given(config)
    # the packaged settings (an installed harness's run): the same again by name, and no
    # cache written into the package's folder, the root the run chose
    packaged = config.inipath is not None and config.inipath.resolve() == PACKAGED_SETTINGS
    words = [
        own_pytest(folder=root if moved else here),
        *(("-p", "no:cacheprovider", "-c", str(PACKAGED_SETTINGS)) if packaged else ()),
        *(("-o", addopts) if addopts is not None else ()),
        *(("--rootdir", str(root)) if chosen or kept else ()),
        *((OPT_SEED, str(config.getoption(OPT_SEED))) if seeded else ()),
    ]
    for option in _REPLAYED:
        value = config.getoption(option, None)
        for one in value if isinstance(value, list) else [value]:
            if one is None or (option == OPT_DRIVER and one == "sim"):
                continue
            if (
                option == OPT_APPIUM_CAPABILITIES
                and config.getoption(OPT_DRIVER, "sim") != "appium"
            ):
                continue  # read by the Appium driver only: another driver ignored it
            if option in (OPT_VNEID_URL, OPT_VSSID_URL):
                shown = redact_url(str(one))  # a URL's password is not printed (S-5)
            elif isinstance(one, Path):  # a file: from the folder the replay runs in
                shown = str(one if one.is_absolute() else (here / one).resolve())
            else:
                shown = str(one)
            # one word, --option=VALUE: pytest picks its rootdir (and so the node ids, and
            # so each test's seed) from the arguments before it knows this plugin's options,
            # and took a separate VALUE for a test path
            words.append(f"{option}={shown}")
    words += extra
    words.append(f"{root}/{nodeid}" if kept and not Path(nodeid).is_absolute() else nodeid)
    command = " ".join(
        [
            *(f"{name}={shlex.quote(value)}" for name, value in (env or {}).items()),
            *(shlex.quote(w) for w in words),
        ]
    )
    if moved:
        command = f"cd {shlex.quote(str(root))} && {command}"
    return command + _comment(notes)


PACKAGED_SETTINGS = Path(__file__).with_name("suites.ini").resolve()
"""``pyproject.toml``'s pytest settings that decide a verdict, in a file shipped with the
package, for a harness installed as one (no ``pyproject.toml`` beside it): an installed run
dropped them, and a warning that fails a scenario in the checkout passed; without a ``-c``,
pytest also read a user's own ``pytest.ini`` above site-packages (two reviews).
``tests/cli/test_run_settings.py`` keeps them equal to the project's.

(Here: the replay line of an installed run names it again.)"""


def _harness_settings() -> set[Path]:
    """The harness's own pytest settings: the checkout's ``pyproject.toml`` (whose
    ``addopts`` ``vneid-harness run`` gives as options of its own) and the packaged
    ``suites.ini`` (none)."""
    return {Path(__file__).resolve().parents[1] / "pyproject.toml", PACKAGED_SETTINGS}


def _addopts_given(config: pytest.Config) -> str | None:
    """The run's ``-o addopts=…`` (``addopts=`` and its value), for the replay to give it
    again; ``None`` when it gave none, or when the configuration it overrode is the
    harness's own. ``vneid-harness run PATHS`` reads a team's configuration but drops its
    ``addopts`` (the run's options decide): a replay under them ran another selection (a
    ``-m "not slow"`` there deselected the slow test that had failed)."""
    given = [
        one
        for one in getattr(config.option, "override_ini", None) or ()
        if one.partition("=")[0].strip() == "addopts"
    ]
    if not given or config.inipath is None or config.inipath.resolve() in _harness_settings():
        return None
    from harness.protocol.redaction import redact_secret_shapes

    # the user's own text: a URL's password or a token in it stays out of the line (S-5)
    return redact_secret_shapes(str(given[-1]))


def _comment(notes: list[str]) -> str:
    """A shell comment after a command, for what it cannot say itself (a secret's variable)."""
    said = "; ".join(note for note in notes if note)
    return f"  # {said}" if said else ""
