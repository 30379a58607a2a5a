"""`vneid-harness run` keeps the tests' ``tmp_path`` in a folder of its own, removed after the
run. With pytest's default (``/tmp/pytest-of-USER/pytest-N``), every session ends by deleting
the numbered folders three sessions before its own, whoever made them: after a ``make test``
(about 150,000 files in those folders) a run of ten tests waited 40 s to 8 minutes on a busy
disk, its tests long finished and nothing on the screen (a new user's walk)."""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent / "vneid-harness"


def test_a_run_deletes_no_other_sessions_folders_and_leaves_none_of_its_own(tmp_path: Path) -> None:
    temproot = tmp_path / "temproot"  # where pytest would keep its numbered folders
    sessions = temproot / f"pytest-of-{getpass.getuser()}"
    earlier = [sessions / f"pytest-{n}" for n in range(1, 7)]
    for folder in earlier:  # finished sessions (no lock): pytest's cleanup would take 1-3
        folder.mkdir(parents=True)
        (folder / "left.txt").write_text("an earlier session's file")
    scratch_root = tmp_path / "tmpdir"  # where the run's own folder goes (TMPDIR)
    scratch_root.mkdir()
    out = tmp_path / "out"
    env = {
        "PATH": os.environ["PATH"],
        "COLUMNS": "200",
        "PYTEST_DEBUG_TEMPROOT": str(temproot),
        "TMPDIR": str(scratch_root),
    }
    done = subprocess.run(
        [str(BIN), "run", "--out", str(out), "-k", "happy", "--workers", "2", "--no-report"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads((out / "summary.json").read_text())["ok"] is True
    assert all((folder / "left.txt").is_file() for folder in earlier), (
        f"the run deleted other sessions' folders: {sorted(p.name for p in sessions.iterdir())}"
    )
    assert sorted(p.name for p in sessions.iterdir()) == [f.name for f in earlier], (
        "the run made a numbered folder of its own there"
    )
    assert list(scratch_root.iterdir()) == [], "the run left its tests' folder behind"
