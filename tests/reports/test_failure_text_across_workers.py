"""Under pytest-xdist (``make run``, ``-n auto``) a scrubbed failure keeps its clause prefix
and its message: the worker sends pytest's own kind of failure representation, which the
master rebuilds whole (another kind arrives as a plain string, and JUnit and the console then
showed the first line of the traceback, a fixture's repr)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from harness.run import scenarios_dir
from tests.reports.allure_run import run_pytest

FAILING = """
    import pytest

    @pytest.mark.clause("T-1")
    def test_wrong_client(rp):
        print("the client's secret:", rp.client_secret)  # captured, shown, and scrubbed
        assert rp.client_id == "other", "expected another client id"
"""


def test_a_scrubbed_failure_keeps_its_message_across_workers(tmp_path: Path) -> None:
    (tmp_path / "test_across.py").write_text(textwrap.dedent(FAILING), encoding="utf-8")
    project = scenarios_dir().parent
    done = run_pytest(
        tmp_path,
        "-c",
        str(project / "pyproject.toml"),
        "-n",
        "2",
        "--junitxml",
        str(tmp_path / "junit.xml"),
        "test_across.py",
    )
    assert done.returncode == 1, done.output[-3000:]
    junit = (tmp_path / "junit.xml").read_text(encoding="utf-8")
    message = re.search(r'<failure message="([^"]*)"', junit)
    assert message is not None, junit
    assert message.group(1).startswith(
        "Clause(s) T-1: AssertionError: expected another client id"
    ), message.group(1)
    assert "test_wrong_client - Clause(s) T-1: Assert" in done.output  # the console's line
    assert "the client's secret: [REDACTED]" in done.output, "the captured output was scrubbed"
    [result] = done.results
    assert result["statusDetails"]["message"].startswith("Clause(s) T-1: AssertionError")
