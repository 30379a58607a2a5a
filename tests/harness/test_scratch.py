"""What a process killed with SIGKILL leaves (its run's scratch folder, its browser's, the temp
copy of a persona file it was writing) is removed by the next process that makes one of the
same kind; what a live process holds, or was made a moment ago, is left
(:mod:`harness.scratch`). They stayed for good before: a review found a killed persona write's
copy beside the file, and a killed browser run's folder in ``$TMPDIR``."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from harness.personas import PersonaFactory, save_personas
from harness.scratch import STALE_AFTER, Scratch, is_abandoned

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tmpdir_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def _age(path: Path, seconds: float = STALE_AFTER + 60) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def _killed_holder(kind: str, folder: Path) -> Path:
    """A process that makes a scratch folder of ``kind`` in ``folder`` and is killed with
    SIGKILL while it holds it: the folder it left."""
    code = (
        "import os, signal, sys, tempfile\n"
        f"tempfile.tempdir = {str(folder)!r}\n"
        "from harness.scratch import Scratch\n"
        f"s = Scratch({kind!r})\n"
        "print(s.path, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == -9, done.stderr
    left = Path(done.stdout.strip())
    assert left.is_dir()
    return left


def test_a_killed_runs_folder_is_removed_by_the_next_run(tmpdir_here: Path) -> None:
    left = _killed_holder("run", tmpdir_here)
    (left / "tmp").mkdir()
    (left / "tmp" / "big").write_bytes(b"x" * 1000)
    _age(left)
    mine = Scratch("run")
    try:
        assert not left.exists()
        assert mine.path.is_dir()
    finally:
        mine.remove()
    assert not mine.path.exists()


def test_a_folder_just_made_is_left_even_unheld(tmpdir_here: Path) -> None:
    """Its maker may not hold it yet (made, not yet locked): only an old one is taken."""
    left = _killed_holder("run", tmpdir_here)
    mine = Scratch("run")
    mine.remove()
    assert left.is_dir()
    _age(left, STALE_AFTER - 10)
    assert not is_abandoned(left)


def test_a_live_processs_folder_is_never_taken_however_old(tmpdir_here: Path) -> None:
    held = Scratch("run")
    try:
        _age(held.path)
        other = Scratch("run")  # this process's second run, or another process's
        other.remove()
        assert held.path.is_dir()
        assert not is_abandoned(held.path)
    finally:
        held.remove()


def test_another_kinds_folders_are_left(tmpdir_here: Path) -> None:
    left = _killed_holder("playwright", tmpdir_here)
    _age(left)
    Scratch("run").remove()
    assert left.is_dir()
    Scratch("playwright").remove()
    assert not left.exists()


def test_a_killed_persona_writes_copy_is_removed_by_the_next_save(tmp_path: Path) -> None:
    target = tmp_path / "people.yaml"
    people = [PersonaFactory(1).new()]
    stale = tmp_path / ".people.yaml.k1ll3d.tmp"
    stale.write_text("personas: [half a file", encoding="utf-8")
    _age(stale)
    young = tmp_path / ".people.yaml.wr1t1ng.tmp"  # another save's, a moment ago
    young.write_text("personas: []", encoding="utf-8")
    unrelated = tmp_path / ".other.yaml.k1ll3d.tmp"
    unrelated.write_text("x", encoding="utf-8")
    _age(unrelated)
    save_personas(target, people)
    assert target.is_file()
    assert not stale.exists()
    assert young.exists()
    assert unrelated.exists()


def test_a_persona_copy_held_by_a_writer_is_left(tmp_path: Path) -> None:
    from harness.scratch import hold

    copy = tmp_path / ".people.yaml.wr1t1ng.tmp"
    copy.write_text("personas: []", encoding="utf-8")
    fd = os.open(copy, os.O_RDONLY)
    try:
        hold(fd)
        _age(copy)
        save_personas(tmp_path / "people.yaml", [PersonaFactory(2).new()])
        assert copy.exists()
    finally:
        os.close(fd)
