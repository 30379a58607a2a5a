"""The ``vneid-harness`` command line: a thin front end over the engine.

Commands: ``run`` (the main job), ``conformance`` (one plan's verdict on a vendor's provider
or relying party), ``report`` (the Allure HTML report), ``serve`` (both mock providers over
HTTP), ``personas`` (generate or check a persona file), ``profile`` (a vendor's overrides of
PROTOCOL.md's defaults), ``clauses`` (the clause registry), ``version``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from harness import __version__
from harness.errors import ConfigError, HarnessError
from harness.processes import interrupt_reason

if TYPE_CHECKING:
    from harness.broken_mocks import BrokenMocks
    from harness.run import RunOptions

__all__ = ["app", "main"]

app = typer.Typer(
    name="vneid-harness",
    help="Simulate and check the VNeID -> VssID app-to-app login (PROTOCOL.md).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
personas_app = typer.Typer(
    help="Synthetic citizens (Faker vi_VN), seeded for replay.", no_args_is_help=True
)
app.add_typer(personas_app, name="personas")
profile_app = typer.Typer(
    help="Profile files: a vendor's overrides of PROTOCOL.md's defaults "
    "(versions, links, client id, scope, lifetimes, store links).",
    no_args_is_help=True,
)
app.add_typer(profile_app, name="profile")

console = Console(soft_wrap=True)  # long paths stay one line (copy-paste)
err_console = Console(stderr=True, soft_wrap=True)


def _path(value: str | Path) -> Path:
    """A path option's value: an empty one (an unset variable) is refused. Typer turned ""
    into ".", so `--out ""` wrote a run's reports into the current folder over what was
    there, and `personas generate -o ""` said ". exists"."""
    from harness.run_checks import empty_path_problem

    if isinstance(value, Path):  # a default
        return value
    problem = empty_path_problem(value)
    if problem is not None:
        raise typer.BadParameter(problem)
    return Path(value)


# Options the run commands share, one definition each.
OutOption = Annotated[
    Path,
    typer.Option(
        parser=_path,
        help="Folder for JUnit XML, Allure results, the verdict JSON and HTML",
        metavar="DIR",
    ),
]
RP_SECRET_ENV = "VNEID_HARNESS_RP_CLIENT_SECRET"
"""The variable ``conformance --rp-client-secret`` reads."""

SeedOption = Annotated[
    int,
    typer.Option(
        help="Seed for personas and provider randomness (replay a run with it)", metavar="INT"
    ),
]


def _check_token_env(value: str | None) -> str | None:
    """Click reads an empty environment variable as unset: ``VNEID_HARNESS_ADMIN_TOKEN=``
    served the control API with no token, where ``--admin-token ""`` is refused."""
    from harness.run_checks import admin_token_env_problem

    problem = admin_token_env_problem(value, os.environ)
    if problem is not None:
        raise typer.BadParameter(problem)
    return value


AdminTokenOption = Annotated[
    str | None,
    typer.Option(
        envvar="VNEID_HARNESS_ADMIN_TOKEN",
        callback=_check_token_env,
        help="Admin token of the targets' test-control API (S-6)",
        metavar="TOKEN",
    ),
]
ReportOption = Annotated[
    bool,
    typer.Option(
        "--report/--no-report",
        help="Generate the Allure HTML report OUT/allure-report/index.html at the end "
        "(its trend kept in OUT/history/)",
        metavar="",
    ),
]


def _check_protocol_url(
    ctx: typer.Context, param: typer.CallbackParam, value: str | None
) -> str | None:
    from harness.run_checks import empty_value_problem
    from reports.protocol_links import protocol_url_problem

    source = ctx.get_parameter_source(param.name) if param.name is not None else None
    # (an empty $VNEID_HARNESS_PROTOCOL_URL, a CI variable left unset, means the default)
    typed = getattr(source, "name", None) == "COMMANDLINE"
    problem = (empty_value_problem(value) if typed else None) or (
        protocol_url_problem(value) if value else None
    )
    if problem is not None:
        raise typer.BadParameter(problem)
    return value


ProtocolUrlOption = Annotated[
    str | None,
    typer.Option(
        envvar="VNEID_HARNESS_PROTOCOL_URL",
        show_default=False,
        callback=_check_protocol_url,
        help="Where the reports' clause links go: the URL of the PROTOCOL.md your team "
        "publishes, or a template with {clause}, {section}, {fragment} (default: the "
        "file:// URL of ../shared/PROTOCOL.md, which opens only on this machine)",
        metavar="URL",
    ),
]
ProfileOption = Annotated[
    Path | None,
    typer.Option(
        "--protocol-profile",
        metavar="FILE",
        parser=_path,
        help="Profile file (YAML/JSON/TOML) of the vendor's overrides of PROTOCOL.md's defaults; "
        "the mock providers follow it too ('vneid-harness profile default' prints every "
        "field)",
    ),
]
BrokenRpOption = Annotated[
    list[str] | None,
    typer.Option(
        "--broken-rp",
        metavar="CHECK",
        show_default=False,
        help="Make the embedded VssID mock skip this check (nonce, state, iss, acr, signature, "
        "aud, expiry, replay, transaction_expiry, redirect_uri, userinfo): a deliberately "
        "broken relying party, to see what the plan says of one; repeatable",
    ),
]
BrokenVNeIDOption = Annotated[
    str | None,
    typer.Option(
        "--broken-vneid",
        metavar="FAULT|CHECK",
        show_default=False,
        help="Make the embedded VNeID mock forget this check (verifier, code_reuse, redirect_uri, "
        "challenge, ...) or carry this fault of its catalog on every request: a "
        "deliberately broken provider (docs/conformance.md lists them)",
    ),
]


INTERRUPTED_STATUS = 130
"""Exit status of a command stopped by Ctrl-C or SIGTERM outside the suites (128 + SIGINT, as
a shell reports it); a stopped ``run`` exits as pytest's interrupted run, 2."""


def _fail(message: str, code: int = 2) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


def _interrupted(interrupt: KeyboardInterrupt, what: str) -> typer.Exit:
    """A command stopped by Ctrl-C or SIGTERM (main's ``sigterm_interrupts``): the signal,
    then ``what`` was left done and undone; exit :data:`INTERRUPTED_STATUS`."""
    return _fail(f"{interrupt_reason(interrupt)}: {what}", INTERRUPTED_STATUS)


def _stopped(interrupt: KeyboardInterrupt, out: Path) -> typer.Exit:
    """A run stopped by Ctrl-C or SIGTERM outside its tests (the checks before them, the
    verdict after): exit 2, as a run stopped during its tests exits (typer said "Aborted!"
    and exited 1, a failed verdict's status)."""
    import pytest

    return _fail(
        f"{interrupt_reason(interrupt)}: the run was stopped outside its tests; what it "
        f"wrote is in {out} (nothing, if it stopped before its first test)",
        int(pytest.ExitCode.INTERRUPTED),
    )


@app.command()
def version() -> None:
    """Print the harness version."""
    console.print(__version__)


@app.command()
def run(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            parser=_path,
            help="Test files or folders to run instead of the harness's suites (a team's own): "
            "the same reports, with a verdict on the clauses they test (the plan's others "
            "are not required)",
            show_default=False,
        ),
    ] = None,
    out: OutOption = Path("reports/out"),
    seed: SeedOption = 0,
    vneid_url: Annotated[
        str | None, typer.Option(help="Run against this VNeID provider", metavar="URL")
    ] = None,
    vssid_url: Annotated[
        str | None, typer.Option(help="Run against this VssID backend", metavar="URL")
    ] = None,
    admin_token: AdminTokenOption = None,
    keyword: Annotated[
        str | None, typer.Option("-k", help="pytest -k expression", metavar="EXPRESSION")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Processes that run the tests (pytest-xdist): 1 for one process; "
            "default: one per CPU on the embedded mocks, 1 against remote providers "
            "(their state is shared)",
            metavar="N",
        ),
    ] = None,
    allure_report: ReportOption = True,
    protocol_url: ProtocolUrlOption = None,
    protocol_profile: ProfileOption = None,
    personas: Annotated[
        Path | None,
        typer.Option(
            parser=_path,
            metavar="FILE",
            help="Persona file (YAML/JSON) whose citizens the personas fixture offers "
            "(personas.from_file() in a team's own tests)",
        ),
    ] = None,
) -> None:
    """Run every scenario suite (embedded providers by default), or the tests in PATHS, and
    write the reports."""
    from harness.run import RunOptions, run_suites

    if workers is None and (vneid_url or vssid_url):
        workers = 1
    try:
        if personas is not None:  # a wrong file before the run, in its own words
            from harness.personas import load_personas

            load_personas(personas)
        status = run_suites(
            RunOptions(
                out=out,
                seed=seed,
                vneid_url=vneid_url,
                vssid_url=vssid_url,
                admin_token=admin_token,
                keyword=keyword,
                workers=workers,
                profile=protocol_profile,
                protocol_url=protocol_url,
                personas=personas,
                allure_report=allure_report,
                paths=[str(path) for path in paths or ()],
                whole_plan=not paths,
            ),
            console,
            err_console,
        )
    except HarnessError as exc:
        raise _fail(str(exc)) from None
    except KeyboardInterrupt as exc:  # before or after pytest (its own it reports itself)
        raise _stopped(exc, out) from None
    raise typer.Exit(status)


@app.command()
def report(
    results: Annotated[
        Path,
        typer.Option(
            parser=_path,
            help="The Allure results to read (allure-pytest's --alluredir)",
            metavar="DIR",
        ),
    ] = Path("reports/out/allure-results"),
    out: Annotated[
        Path, typer.Option(parser=_path, help="Folder of the report (replaced)", metavar="DIR")
    ] = Path("reports/out/allure-report"),
    name: Annotated[
        str | None, typer.Option(help="Report name shown in its header", metavar="TEXT")
    ] = None,
    single_file: Annotated[
        bool,
        typer.Option(
            "--single-file/--multi-file",
            help="One self-contained index.html that opens from disk (default), or Allure's "
            "folder of files, which must be served over HTTP",
            metavar="",
        ),
    ] = True,
    history: Annotated[
        Path | None,
        typer.Option(
            parser=_path,
            help="History file (JSON lines) read for the trend and appended to",
            show_default="RESULTS/../history/history.jsonl",
            metavar="FILE",
        ),
    ] = None,
    no_history: Annotated[
        bool,
        typer.Option(
            "--no-history", help="Neither read nor write a history (no trend)", metavar=""
        ),
    ] = False,
    history_limit: Annotated[
        int | None,
        typer.Option(min=1, help="Runs kept in the history", show_default="10", metavar="N"),
    ] = None,
    allure: Annotated[
        Path | None,
        typer.Option(
            parser=_path,
            help="npm's allure executable (Allure 3)",
            show_default="$VNEID_HARNESS_ALLURE, else node_modules/.bin/allure",
            metavar="FILE",
        ),
    ] = None,
    screenshot: Annotated[
        Path | None,
        typer.Option(
            parser=_path,
            help="Also open the report in headless Chromium and save allure-overview.png and "
            "allure-trend.png in this folder",
            metavar="DIR",
        ),
    ] = None,
) -> None:
    """Generate the Allure HTML report (npm allure, Allure 3) from Allure results."""
    from reports.allure_html import DEFAULT_HISTORY_LIMIT, DEFAULT_NAME, generate_report

    if screenshot is not None and not single_file:
        raise _fail("--screenshot needs a single-file report (a multi-file one must be served)")
    if no_history and (history is not None or history_limit is not None):
        raise _fail(
            "--no-history keeps no history: leave out --history and --history-limit, "
            "or --no-history"
        )
    if history is None:
        history = results.parent / "history" / "history.jsonl"
    try:
        made = generate_report(
            results,
            out,
            name=name or DEFAULT_NAME,
            single_file=single_file,
            history=None if no_history else history,
            history_limit=history_limit or DEFAULT_HISTORY_LIMIT,
            allure=allure,
            on_wait=_say_waiting,
        )
    except HarnessError as exc:  # ReportError, AllureToolMissing
        raise _fail(str(exc)) from None
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (main's sigterm_interrupts)
        raise _interrupted(
            exc,
            "the report was not made (allure, if it had started, was stopped; the history "
            "file is as it was); run the same command again to make it",
        ) from None
    for warning in made.warnings:  # the report is made; these say what it lacks
        err_console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    console.print(made.describe(), highlight=False, markup=False)
    if screenshot is not None:
        from reports.allure_html import screenshot_report

        try:
            for shot in screenshot_report(made.index, screenshot):
                console.print(f"screenshot: {shot}", highlight=False, markup=False)
        except HarnessError as exc:  # BrowserMissing, a report that does not render
            raise _fail(f"{exc} (the report itself is made: {made.index})") from None
        except KeyboardInterrupt as exc:
            raise _interrupted(
                exc, f"the screenshots were not all taken (the report itself is made: {made.index})"
            ) from None


def _say_waiting(folder: Path) -> None:
    from reports.allure_html import waiting_message

    err_console.print(escape(waiting_message(folder)), highlight=False)


@app.command()
def conformance(
    ctx: typer.Context,
    plan: Annotated[
        str, typer.Option(help="vssid-relying-party, vneid-provider or all", metavar="PLAN")
    ],
    vneid_url: Annotated[
        str | None,
        typer.Option(
            help="The provider under test (plan vneid-provider); it must offer the §11 control API",
            metavar="URL",
        ),
    ] = None,
    vssid_url: Annotated[
        str | None,
        typer.Option(
            help="The relying party under test (plan vssid-relying-party); it must trust the "
            "harness's VNeID (see --serve-vneid-port) and offer the §11 control API",
            metavar="URL",
        ),
    ] = None,
    serve_vneid_port: Annotated[
        int,
        typer.Option(
            help="With --vssid-url: the port of the harness VNeID that the relying party under "
            "test trusts (http://127.0.0.1:PORT is its issuer)",
            metavar="PORT",
        ),
    ] = 8801,
    rp_client_secret: Annotated[
        str | None,
        typer.Option(
            envvar=RP_SECRET_ENV,
            show_default=False,
            help="With --vssid-url: the client secret the relying party under test uses as the "
            "vssid client of the harness VNeID (default: vssid-harness-client-secret)",
            metavar="SECRET",
        ),
    ] = None,
    rp_auth_method: Annotated[
        str,
        typer.Option(
            help="With --vssid-url: how it authenticates at /token (T-1): client_secret_basic "
            "or client_secret_post",
            metavar="METHOD",
        ),
    ] = "client_secret_basic",
    expected_failures: Annotated[
        Path | None,
        typer.Option(
            parser=_path,
            help="YAML/JSON file of known deviations (test glob, clause, status, reason)",
            metavar="FILE",
        ),
    ] = None,
    keyword: Annotated[
        str | None,
        typer.Option(
            "-k",
            help="pytest -k expression: only the tests it selects (a failed one again, "
            "with the same --seed); a partial run is not held to the plan's "
            "coverage",
            metavar="EXPRESSION",
        ),
    ] = None,
    admin_token: AdminTokenOption = None,
    out: OutOption = Path("reports/out"),
    seed: SeedOption = 0,
    allure_report: ReportOption = True,
    protocol_url: ProtocolUrlOption = None,
    protocol_profile: ProfileOption = None,
    broken_rp: BrokenRpOption = None,
    broken_vneid: BrokenVNeIDOption = None,
) -> None:
    """Run a conformance plan against the embedded mocks or a vendor's server."""
    from harness.conformance import PLANS
    from harness.run import RunOptions, run_suites
    from harness.run_checks import plan_problem, target_url_problem, targets_given

    # an empty URL (an unset variable) before anything is served or run
    problem = (
        plan_problem(plan, PLANS)
        or target_url_problem("--vneid-url", vneid_url)
        or target_url_problem("--vssid-url", vssid_url)
    )
    if problem is not None:
        raise _fail(problem)
    if vneid_url and vssid_url:
        raise _fail(
            "give --vneid-url (a provider under test) or --vssid-url (a relying party "
            "under test), not both"
        )
    mismatch = _plan_target_mismatch(plan, vneid_url, vssid_url)
    if mismatch:
        raise _fail(mismatch)
    if vssid_url is None and any(
        _given_on_the_command_line(ctx, name) for name in ("rp_client_secret", "rp_auth_method")
    ):
        raise _fail(
            "--rp-client-secret and --rp-auth-method describe a relying party under "
            "test: give them with --plan vssid-relying-party --vssid-url URL"
        )
    if vssid_url is not None and rp_client_secret is None and os.environ.get(RP_SECRET_ENV) == "":
        # Click reads an empty variable as unset: the run expected the default secret
        raise _fail(
            f"{RP_SECRET_ENV} is set but empty: set it to the client secret the relying "
            "party under test uses, pass --rp-client-secret, or unset it to expect the "
            "default (vssid-harness-client-secret)"
        )
    try:
        broken = _broken_preview(plan, broken_rp, broken_vneid, targets_given(vneid_url, vssid_url))
    except HarnessError as exc:
        raise _fail(str(exc)) from None
    options = RunOptions(
        out=out,
        seed=seed,
        plan=plan,
        expected_failures=expected_failures,
        keyword=keyword,
        broken=broken,
        vneid_url=vneid_url,
        admin_token=admin_token,
        profile=protocol_profile,
        protocol_url=protocol_url,
        allure_report=allure_report,
    )
    try:
        if vssid_url is None:
            status = run_suites(options, console, err_console)
        else:
            if expected_failures is not None:  # a wrong file before serving, not after
                from harness.conformance import load_expected_failures

                load_expected_failures(expected_failures)
            status = _with_served_vneid(
                options,
                vssid_url,
                serve_vneid_port,
                admin_token,
                client_secret=rp_client_secret,
                auth_method=rp_auth_method,
            )
    except HarnessError as exc:
        raise _fail(str(exc)) from None
    except KeyboardInterrupt as exc:
        raise _stopped(exc, out) from None
    raise typer.Exit(status)


def _broken_preview(
    plan: str, rp: list[str] | None, vneid: str | None, targets: list[str]
) -> BrokenMocks:
    """``--broken-rp`` and ``--broken-vneid`` of ``conformance``: deliberately broken embedded
    mocks, to preview the verdict on an implementation that gets something wrong; only for
    the embedded mock of the role the plan grades."""
    from harness.broken_mocks import BrokenMocks

    broken = BrokenMocks.parse(rp, vneid)
    problem = broken.problem(plan, targets)
    if problem is not None:
        raise ConfigError(problem)
    return broken


def _given_on_the_command_line(ctx: typer.Context, name: str) -> bool:
    """Whether option ``name`` was typed (not taken from its environment variable, which a
    CI job may export for all its runs, nor its default)."""
    source = ctx.get_parameter_source(name)  # typer's own click's ParameterSource
    return source is not None and source.name == "COMMANDLINE"


def _plan_target_mismatch(plan: str, vneid_url: str | None, vssid_url: str | None) -> str:
    """Why the plan and the target option do not go together (empty: they do). A plan run
    with the other role's option would test the harness's own mock of its role and report
    that mock's verdict as the vendor's."""
    if plan == "vssid-relying-party" and vneid_url:
        return (
            "--plan vssid-relying-party tests a relying party: give it with --vssid-url "
            "(--vneid-url is a provider under test, for --plan vneid-provider)"
        )
    if plan == "vneid-provider" and vssid_url:
        return (
            "--plan vneid-provider tests a provider: give it with --vneid-url "
            "(--vssid-url is a relying party under test, for --plan vssid-relying-party)"
        )
    if plan == "all" and (vneid_url or vssid_url):
        return (
            "--plan all runs both plans against the embedded mocks; against a server of "
            "yours give the plan of its role: --plan vneid-provider --vneid-url URL or "
            "--plan vssid-relying-party --vssid-url URL"
        )
    return ""


def _with_served_vneid(
    options: RunOptions,
    vssid_url: str,
    port: int,
    admin_token: str | None,
    *,
    client_secret: str | None,
    auth_method: str,
) -> int:
    """Serve the harness VNeID (the provider the relying party under test trusts) on
    ``port`` in this process while the plan runs."""
    from harness.profile_file import load_profile
    from harness.protocol import DEFAULT_PROFILE
    from harness.protocol.redaction import redact_url
    from harness.run import run_suites
    from harness.serve import ServedVNeID

    profile = load_profile(options.profile) if options.profile else DEFAULT_PROFILE
    with ServedVNeID(
        port,
        admin_token=admin_token,
        profile=profile,
        client_secret=client_secret,
        auth_method=auth_method,
        seed=options.seed,
    ) as vneid:
        # said once the run starts: a refusal of the target comes before it
        options.starting = (
            f"harness VNeID serving at {vneid.url} for the relying party "
            f"under test at {redact_url(vssid_url)}"
        )
        options.vneid_url = vneid.url
        options.vssid_url = vssid_url
        options.replay_as = _conformance_replay(
            options, vssid_url, port, auth_method, secret_given=client_secret is not None
        )
        status = run_suites(options, console, err_console)
        hint = vneid.refusal_hint()
        if hint is not None:
            err_console.print(f"[yellow]warning:[/] {escape(hint)}", highlight=False)
        return status


REPLAY_SUFFIX = "-replay"
"""What a replay line adds to the run's ``--out``: its own folder, beside the run's reports."""


def replay_out(out: Path, *, replaying: bool) -> str:
    """The ``--out`` of the replay line of a run that wrote into ``out``: ``OUT-replay``,
    beside the run's reports; ``out`` itself when the run is a replay's own (``replaying``:
    narrowed with ``-k``, without the report, as the line runs it) and ``out`` already ends
    in ``-replay``, so that replaying a replay writes where that replay did, and prints the
    same line again, instead of growing ``OUT-replay-replay-…``. A whole run whose ``--out``
    merely ends in ``-replay`` still replays beside it: its line wrote over the run's
    reports."""
    shown = str(out)
    return shown if replaying and shown.endswith(REPLAY_SUFFIX) else shown + REPLAY_SUFFIX


def _conformance_replay(
    options: RunOptions, vssid_url: str, port: int, auth_method: str, *, secret_given: bool
) -> str:
    """The ``conformance`` command that runs a test of this run again (followed by ``-k
    NAME``): a pytest line would name the harness VNeID this process serves, gone once the
    run ends. The relying party's client secret and the admin token are never printed: a
    shell comment names their variables."""
    import shlex

    from harness.protocol.redaction import redact_url
    from harness.replay import own_pytest

    words = [
        own_pytest("vneid-harness"),
        "conformance",
        "--plan",
        options.plan,
        "--vssid-url",
        redact_url(vssid_url),
        "--serve-vneid-port",
        str(port),
        "--rp-auth-method",
        auth_method,
        "--seed",
        str(options.seed),
        # beside the run's reports, not over them
        "--out",
        replay_out(
            options.out, replaying=options.keyword is not None and not options.allure_report
        ),
        "--no-report",
    ]
    if options.profile is not None:
        words += ["--protocol-profile", str(options.profile.resolve())]
    if options.expected_failures is not None:
        words += ["--expected-failures", str(options.expected_failures.resolve())]
    command = " ".join(shlex.quote(w) for w in words)
    if secret_given:
        command += "  # with $VNEID_HARNESS_RP_CLIENT_SECRET set to the relying party's secret"
    return command


@app.command()
def serve(
    vneid_port: Annotated[
        int, typer.Option(help="Port of the VNeID mock (0: any free port)", metavar="PORT")
    ] = 8801,
    vssid_port: Annotated[
        int, typer.Option(help="Port of the VssID mock (0: any free port)", metavar="PORT")
    ] = 8802,
    personas: Annotated[
        Path | None,
        typer.Option(parser=_path, help="Persona file (YAML or JSON) to load", metavar="FILE"),
    ] = None,
    admin_token: Annotated[
        str | None,
        typer.Option(
            envvar="VNEID_HARNESS_ADMIN_TOKEN",
            callback=_check_token_env,
            help="Require this token on the test-control API (S-6)",
            metavar="TOKEN",
        ),
    ] = None,
    log_level: Annotated[
        str,
        typer.Option(
            help="uvicorn log level: critical, error, warning, info, debug or trace",
            metavar="LEVEL",
        ),
    ] = "warning",
    host: Annotated[
        str,
        typer.Option(
            help="Address to listen on; beyond loopback (e.g. 0.0.0.0) only with an admin "
            "token (S-6)",
            metavar="HOST",
        ),
    ] = "127.0.0.1",
    public_host: Annotated[
        str | None,
        typer.Option(
            help="Host name in the issuer and base URLs",
            show_default="--host, or 127.0.0.1 for a wildcard",
            metavar="HOST",
        ),
    ] = None,
    state: Annotated[
        Path | None,
        typer.Option(
            parser=_path,
            help="State file: personas, accounts and client registrations are restored from it "
            "on start and written to it (atomically) on every change",
            metavar="FILE",
        ),
    ] = None,
    http: Annotated[
        str,
        typer.Option(
            help="HTTP stack: httptools (uvicorn with httptools and uvloop, the fastest measured; "
            "benchmarks/README.md) or h11 (pure Python); both answer even an "
            "unparseable request head with the §8 error JSON",
            metavar="STACK",
        ),
    ] = "httptools",
    protocol_profile: ProfileOption = None,
    broken_rp: BrokenRpOption = None,
    broken_vneid: BrokenVNeIDOption = None,
) -> None:
    """Serve both mock providers over HTTP (on 127.0.0.1 by default) until Ctrl-C or SIGTERM."""
    from uvicorn.config import LOG_LEVELS

    from harness.serve import build_served, run_servers
    from harness.serve_banner import ready_banner, unresolved
    from mock_providers._served import HTTP_STACKS

    if http not in HTTP_STACKS:
        raise _fail(f"--http {http!r}: choose one of {', '.join(HTTP_STACKS)}")
    if log_level not in LOG_LEVELS:
        raise _fail(f"--log-level {log_level!r}: choose one of {', '.join(LOG_LEVELS)}")
    from harness.tls import ca_environment_problem

    unreadable = ca_environment_problem()  # the providers' calls out (an https issuer, a
    if unreadable is not None:  # client's jwks_uri) would each fail on it: 500s
        raise _fail(unreadable)
    from harness.broken_mocks import BrokenMocks
    from harness.profile_file import load_profile
    from harness.protocol import DEFAULT_PROFILE

    try:
        broken = BrokenMocks.parse(broken_rp, broken_vneid)
        profile = load_profile(protocol_profile) if protocol_profile else DEFAULT_PROFILE
        served = build_served(
            vneid_port,
            vssid_port,
            personas_file=personas,
            admin_token=admin_token,
            host=host,
            public_host=public_host,
            state_file=state,
            profile=profile,
            broken=broken,
        )
    except HarnessError as exc:
        raise _fail(str(exc)) from None
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (main's sigterm_interrupts)
        raise _interrupted(
            exc,
            "serve was stopped while it started (loading --personas or --state), before it "
            "served anything; a state file is only ever replaced whole",
        ) from None

    # looked up before serving: the lookup may take seconds, and ready() runs on the loop
    problem = unresolved(public_host) if public_host is not None else None

    def ready() -> None:
        for line in ready_banner(
            served,
            profile=profile,
            broken=broken,
            profile_file=protocol_profile,
            personas_file=personas,
            state_file=state,
            public_host=public_host,
            public_host_problem=problem,
        ):
            warning = "[yellow]warning:[/] " if line.warning else ""
            console.print(f"{warning}{escape(line.text)}", highlight=False)

    run_servers(served, on_ready=ready, log_level=log_level, http=http)
    if served.lost is not None:  # said above; a script or CI must not take it for a clean stop
        console.print("stopped; changes were lost (see the warning above)", highlight=False)
        raise typer.Exit(1)
    console.print("stopped")


@personas_app.command("generate")
def personas_generate(
    output: Annotated[
        Path,
        typer.Option(
            "-o", "--output", parser=_path, help="File to write (.yaml or .json)", metavar="FILE"
        ),
    ],
    count: Annotated[int, typer.Option(min=1, max=100_000, metavar="N")] = 10,
    seed: Annotated[int, typer.Option(metavar="INT")] = 0,
    level1: Annotated[
        int, typer.Option(min=0, help="How many of them are level 1", metavar="N")
    ] = 0,
    without_vssid: Annotated[
        int, typer.Option(min=0, help="How many have no VssID account", metavar="N")
    ] = 0,
    force: Annotated[bool, typer.Option(help="Overwrite an existing file", metavar="")] = False,
) -> None:
    """Write a persona file of synthetic citizens (never a real person)."""
    from harness.personas import PersonaFactory, save_personas
    from mock_providers.vssid.accounts import MAX_ACCOUNTS

    if output.exists() and not force:
        raise _fail(f"{output} exists; pass --force to overwrite it")
    if level1 + without_vssid > count:
        raise _fail(
            f"--level1 {level1} plus --without-vssid {without_vssid} is "
            f"{level1 + without_vssid}, more than --count {count}: lower them or "
            "raise --count"
        )
    if count - without_vssid > MAX_ACCOUNTS:
        raise _fail(
            f"--count {count} with --without-vssid {without_vssid} makes "
            f"{count - without_vssid} VssID accounts, more than the {MAX_ACCOUNTS} "
            "one serve holds; lower --count or raise --without-vssid"
        )
    factory = PersonaFactory(seed)
    try:
        people = [
            factory.new(
                level=1 if i < level1 else 2,
                vssid_account=not (level1 <= i < level1 + without_vssid),
            )
            for i in range(count)
        ]
        save_personas(output, people, overwrite=force)
    except HarnessError as exc:
        raise _fail(str(exc)) from None
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (main's sigterm_interrupts)
        raise _interrupted(
            exc,
            f"the personas were not written: {output} is as it was (a file is only ever "
            "replaced whole); run the same command again",
        ) from None
    console.print(f"wrote {count} personas to {escape(str(output))} (seed {seed})", highlight=False)


@personas_app.command("check")
def personas_check(
    path: Annotated[Path, typer.Argument(parser=_path, help="Persona file to validate")],
) -> None:
    """Validate a persona file and list who is in it (the first 200; passcodes hidden)."""
    from harness.personas import load_personas
    from harness.serve import check_capacity

    try:
        people = load_personas(path)
        check_capacity(people, path)  # what serve would refuse
    except HarnessError as exc:
        raise _fail(str(exc)) from None
    shown = people[:_CHECK_ROWS]  # a table of 100,000 rows took minutes and helps nobody
    level1 = sum(1 for p in people if p.level == 1)
    without = sum(1 for p in people if p.vssid_account is None)
    summary = (
        f"{len(people)} citizens: {len(people) - level1} level 2, {level1} level 1, "
        f"{without} without a VssID account"
    )
    if len(shown) < len(people):
        summary += f"; the first {len(shown)} are listed"
    table = Table(title=escape(str(path)), caption=summary)
    for column in ("personal_id", "full_name", "level", "status", "bhxh_code"):
        table.add_column(column)
    for p in shown:
        table.add_row(
            p.personal_id,
            escape(p.full_name),
            str(p.level),
            p.status,
            p.vssid_account.bhxh_code if p.vssid_account else "—",
        )
    console.print(table)


_CHECK_ROWS = 200
"""How many citizens ``personas check`` lists (the summary counts them all)."""


@profile_app.command("default")
def profile_default() -> None:
    """Print PROTOCOL.md's defaults as a profile file (YAML): keep the fields your
    integration changes, delete the rest."""
    from harness.profile_file import dump_profile

    console.print(dump_profile(), highlight=False, markup=False, end="")


@profile_app.command("check")
def profile_check(
    path: Annotated[Path, typer.Argument(parser=_path, help="Profile file to validate")],
) -> None:
    """Validate a profile file and list the defaults it changes."""
    from harness.profile_file import load_profile, profile_as_text, profile_overrides
    from harness.protocol import DEFAULT_PROFILE

    try:
        changed = profile_overrides(load_profile(path))
    except HarnessError as exc:
        raise _fail(str(exc)) from None
    if not changed:
        console.print(f"{escape(str(path))}: valid; it changes no default", highlight=False)
        return
    table = Table(title=f"{escape(str(path))}: valid; the defaults it changes")
    for column in ("field", "value", "PROTOCOL.md default"):
        table.add_column(column, overflow="fold")
    defaults = profile_as_text(DEFAULT_PROFILE)
    for name, value in changed.items():
        table.add_row(name, escape(value), escape(defaults[name]))
    console.print(table)


@app.command()
def clauses() -> None:
    """List the PROTOCOL.md clauses the harness checks."""
    from harness.protocol import CLAUSES

    table = Table(title="PROTOCOL.md clauses")
    for column in ("id", "weight", "text"):
        table.add_column(column, overflow="fold")
    for c in CLAUSES.values():
        table.add_row(c.id, c.weight, c.text)
    console.print(table)


HELP_WIDTH_OFF_TERMINAL = 120
"""``--help`` written to a file or a CI log: Rich's default 80 columns cut option names and
environment variables with "…"; this many columns show them whole."""


def tolerate_narrow_output() -> None:
    """A stdout or stderr that cannot hold every character (``PYTHONIOENCODING=ascii``,
    ``PYTHONUTF8=0`` under ``LC_ALL=C``, a legacy code page) shows a Vietnamese name or a
    "…" as a ``\\u`` escape: strict, the first one stopped the command with a traceback
    (``run`` before its verdict). A UTF-8 stream is left as it is."""
    import codecs
    import io
    import sys

    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None) or "ascii"
        if isinstance(stream, io.TextIOWrapper) and codecs.lookup(encoding).name != "utf-8":
            stream.reconfigure(errors="backslashreplace")


def main() -> None:
    import sys

    from typer import rich_utils

    from harness.http_client import bypass_proxies_for_loopback, redact_http_client_logs
    from harness.processes import sigterm_interrupts

    tolerate_narrow_output()
    bypass_proxies_for_loopback()
    redact_http_client_logs()
    # (typer's module setting, not a public API: a release without it leaves --help at
    # Rich's width instead of stopping every command at start-up)
    if (
        getattr(rich_utils, "MAX_WIDTH", 0) is None
        and "COLUMNS" not in os.environ
        and not sys.stdout.isatty()
    ):
        rich_utils.MAX_WIDTH = HELP_WIDTH_OFF_TERMINAL
    with sigterm_interrupts():  # child processes stopped, scratch folders removed
        app()


if __name__ == "__main__":  # python -m harness.cli …, as the vneid-harness command
    main()
