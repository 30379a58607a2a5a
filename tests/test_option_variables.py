"""The harness's own tests run without the environment variables that give a command an
option's value (``tests/conftest.py``): a developer's shell or a CI job that exported one for
``serve`` made the tests that start ``serve`` or ``run`` fail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_variable_of_the_commands_is_dropped() -> None:
    """A variable a new option reads is dropped too."""
    import click
    import typer

    import tests.conftest as settings
    from harness.cli import app

    def variables(command: click.Command) -> set[str]:
        found = {
            name
            for param in command.params
            for name in ([param.envvar] if isinstance(param.envvar, str) else param.envvar or [])
        }
        for sub in getattr(command, "commands", {}).values():
            found |= variables(sub)
        return found

    read = variables(typer.main.get_command(app))
    assert read, "no option of the CLI reads a variable: read them another way"
    assert read == set(settings.OPTION_VARIABLES)


def test_a_served_pair_test_passes_with_an_admin_token_exported() -> None:
    """``export VNEID_HARNESS_ADMIN_TOKEN=…`` for the serve of another terminal, then ``make
    test``: the tests' own ``serve`` required the token, their calls had none (HTTP 403)."""
    env = {
        **os.environ,
        "VNEID_HARNESS_ADMIN_TOKEN": "a-token-of-the-developers-own-serve",
        "VNEID_HARNESS_PROTOCOL_URL": "https://example.test/PROTOCOL.md",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/cli/test_cli_serve.py::test_personas_file_is_loaded",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env=env,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
