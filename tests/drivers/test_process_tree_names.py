"""``harness.drivers.process_tree`` reads every process's ``/proc/PID/stat``. A process's
name there is the first 15 bytes of its program's file name, which may end inside a UTF-8
character: a Vietnamese name such as ``abcdefghijklmnế-x`` becomes ``abcdefghijklmn\\xe1``.
One such process anywhere on the machine made ``descendants`` raise ``UnicodeDecodeError``,
so stopping Appium, chromedriver and Chromium failed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.drivers.process_tree import _started, alive, descendants

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc")


@pytest.fixture
def cut_name(tmp_path: Path) -> Iterator[int]:
    """A child process whose name in ``/proc`` is not UTF-8: ``sleep`` run from a file named
    ``abcdefghijklmnế-x``."""
    program = tmp_path / "abcdefghijklmnế-x"
    sleep = shutil.which("sleep")
    assert sleep is not None
    shutil.copy(sleep, program)
    child = subprocess.Popen([str(program), "60"])
    try:
        assert b"n\xe1)" in Path(f"/proc/{child.pid}/stat").read_bytes()
        yield child.pid
    finally:
        child.kill()
        child.wait()


def test_a_process_name_cut_inside_a_character_is_read(cut_name: int) -> None:
    assert cut_name in descendants(os.getpid())
    assert alive(cut_name)
    started = _started(cut_name)
    assert started is not None
    assert started.isdigit()


def test_a_process_gone_is_neither_alive_nor_started() -> None:
    child = subprocess.Popen(["true"])
    child.wait()
    assert not alive(child.pid)
    assert _started(child.pid) is None
