"""The ``vneid-harness`` command line: a thin front end over the engine.

Commands: ``run`` (the main job), ``serve`` (both mock providers over HTTP), ``personas``
(generate a persona file), ``clauses`` (the clause registry).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from harness import __version__
from harness.errors import HarnessError

__all__ = ["app", "main"]

app = typer.Typer(
    name="vneid-harness",
    help="Simulate and check the VNeID -> VssID app-to-app login (PROTOCOL.md).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
personas_app = typer.Typer(help="Synthetic citizens (Faker vi_VN), seeded for replay.",
                           no_args_is_help=True)
app.add_typer(personas_app, name="personas")

console = Console()
err_console = Console(stderr=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


@app.command()
def version() -> None:
    """Print the harness version."""
    console.print(__version__)


@app.command()
def run(
    out: Annotated[Path, typer.Option(help="Folder for JUnit XML, Allure results, summary.json")]
    = Path("reports/out"),
    seed: Annotated[int, typer.Option(help="Seed for personas and provider randomness")] = 0,
    vneid_url: Annotated[str | None, typer.Option(help="Run against this VNeID provider")] = None,
    vssid_url: Annotated[str | None, typer.Option(help="Run against this VssID backend")] = None,
    keyword: Annotated[str | None, typer.Option("-k", help="pytest -k expression")] = None,
) -> None:
    """Run every scenario suite (embedded providers by default) and write the reports."""
    from harness.run import RunOptions, run_suites

    status = run_suites(RunOptions(out=out, seed=seed, vneid_url=vneid_url,
                                   vssid_url=vssid_url, keyword=keyword), console)
    raise typer.Exit(status)


@app.command()
def conformance(
    plan: Annotated[str, typer.Option(help="vssid-relying-party, vneid-provider or all")],
    vneid_url: Annotated[str | None, typer.Option(
        help="The provider under test (plan vneid-provider); it must offer the §11 "
             "control API")] = None,
    vssid_url: Annotated[str | None, typer.Option(
        help="The relying party under test (plan vssid-relying-party); it must trust the "
             "harness's VNeID (see --serve-vneid-port) and offer the §11 control API")] = None,
    serve_vneid_port: Annotated[int, typer.Option(
        help="With --vssid-url: the port of the harness VNeID that the relying party under "
             "test trusts (http://127.0.0.1:PORT is its issuer)")] = 8801,
    expected_failures: Annotated[Path | None, typer.Option(
        help="YAML/JSON file of known deviations (test glob, clause, status, reason)")] = None,
    admin_token: Annotated[str | None, typer.Option(
        envvar="VNEID_HARNESS_ADMIN_TOKEN", help="Admin token of the targets' control API")]
    = None,
    out: Annotated[Path, typer.Option(help="Folder for the results")] = Path("reports/out"),
    seed: Annotated[int, typer.Option()] = 0,
) -> None:
    """Run a conformance plan against the embedded mocks or a vendor's server."""
    from harness.conformance import PLANS
    from harness.run import RunOptions, run_suites

    if plan not in PLANS:
        raise _fail(f"unknown plan {plan!r}; plans: {', '.join(PLANS)}")
    if vneid_url and vssid_url:
        raise _fail("give --vneid-url (a provider under test) or --vssid-url (a relying party "
                    "under test), not both")
    options = RunOptions(out=out, seed=seed, plan=plan, expected_failures=expected_failures,
                         vneid_url=vneid_url, admin_token=admin_token)
    try:
        if vssid_url is None:
            status = run_suites(options, console)
        else:
            status = _with_served_vneid(options, vssid_url, serve_vneid_port, admin_token)
    except HarnessError as exc:
        raise _fail(str(exc)) from None
    raise typer.Exit(status)


def _with_served_vneid(options: object, vssid_url: str, port: int,
                       admin_token: str | None) -> int:
    """Serve the harness VNeID (the provider the relying party under test trusts) on
    ``port`` in this process while the plan runs."""
    from harness.run import RunOptions, run_suites
    from harness.serve import ServedVNeID

    assert isinstance(options, RunOptions)
    with ServedVNeID(port, admin_token=admin_token) as vneid:
        console.print(f"harness VNeID serving at {vneid.url} for the relying party under "
                      f"test at {vssid_url}", highlight=False)
        options.vneid_url = vneid.url
        options.vssid_url = vssid_url
        return run_suites(options, console)


@app.command()
def serve(
    vneid_port: Annotated[int, typer.Option(help="Port of the VNeID mock (0: any free port)")]
    = 8801,
    vssid_port: Annotated[int, typer.Option(help="Port of the VssID mock (0: any free port)")]
    = 8802,
    personas: Annotated[Path | None, typer.Option(help="Persona file (YAML or JSON) to load")]
    = None,
    admin_token: Annotated[str | None, typer.Option(
        envvar="VNEID_HARNESS_ADMIN_TOKEN",
        help="Require this token on the test-control API (S-6)")] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "warning",
) -> None:
    """Serve both mock providers over HTTP on 127.0.0.1 until Ctrl-C or SIGTERM."""
    from harness.serve import build_served, run_servers

    try:
        served = build_served(vneid_port, vssid_port, personas_file=personas,
                              admin_token=admin_token)
    except HarnessError as exc:
        raise _fail(str(exc)) from None

    def ready() -> None:
        console.print(f"VNeID identity provider listening on {served.vneid_url}  "
                      f"(issuer; discovery at {served.vneid_url}/.well-known/"
                      "openid-configuration)")
        console.print(f"VssID backend listening on {served.vssid_url}  "
                      f"(trusts {served.vneid_url}; client_id vssid)")
        if personas is not None:
            console.print(f"personas loaded from {personas}")
        console.print("Press Ctrl-C to stop.", highlight=False)

    run_servers(served, on_ready=ready, log_level=log_level)
    console.print("stopped")


@personas_app.command("generate")
def personas_generate(
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write (.yaml or .json)")],
    count: Annotated[int, typer.Option(min=1, max=100_000)] = 10,
    seed: Annotated[int, typer.Option()] = 0,
    level1: Annotated[int, typer.Option(help="How many of them are level 1")] = 0,
    without_vssid: Annotated[int, typer.Option(help="How many have no VssID account")] = 0,
    force: Annotated[bool, typer.Option(help="Overwrite an existing file")] = False,
) -> None:
    """Write a persona file of synthetic citizens (never a real person)."""
    from harness.personas import PersonaFactory, save_personas

    if output.exists() and not force:
        raise _fail(f"{output} exists; pass --force to overwrite it")
    if level1 + without_vssid > count:
        raise _fail("--level1 plus --without-vssid cannot exceed --count")
    factory = PersonaFactory(seed)
    people = [
        factory.new(level=1 if i < level1 else 2,
                    vssid_account=not (level1 <= i < level1 + without_vssid))
        for i in range(count)
    ]
    try:
        save_personas(output, people)
    except HarnessError as exc:
        raise _fail(str(exc)) from None
    console.print(f"wrote {count} personas to {output} (seed {seed})")


@personas_app.command("check")
def personas_check(path: Annotated[Path, typer.Argument(help="Persona file to validate")]) -> None:
    """Validate a persona file and list who is in it (passcodes hidden)."""
    from harness.personas import load_personas

    try:
        people = load_personas(path)
    except HarnessError as exc:
        raise _fail(str(exc)) from None
    table = Table(title=str(path))
    for column in ("personal_id", "full_name", "level", "status", "bhxh_code"):
        table.add_column(column)
    for p in people:
        table.add_row(p.personal_id, p.full_name, str(p.level), p.status,
                      p.vssid_account.bhxh_code if p.vssid_account else "—")
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


def main() -> None:
    app()
