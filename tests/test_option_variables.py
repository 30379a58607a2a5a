"""The harness's own tests run without the environment variables that give a command an
option's value (``tests/conftest.py``): a developer's shell or a CI job that exported one for
``serve`` made the tests that start ``serve`` or ``run`` fail."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_variable_of_the_commands_is_dropped() -> None:
    """A variable a new option reads is dropped too."""
    import tests.conftest as settings

    read = set(
        re.findall(r'envvar="(VNEID_HARNESS_[A-Z_]+)"', (ROOT / "harness/cli.py").read_text())
    )
    assert read, "no envvar= found in harness/cli.py: read its options another way"
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
