"""mutation/score.py (``make mutation``'s verdict): a survivor is matched to its reviewed entry
by function and changed lines, and an entry that matches no survivor any more (the code moved,
or a scenario kills it now) fails the score, so the review file does not rot (43 such entries
had gathered unnoticed)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]

MUTATED = """\
def x_check__mutmut_orig(value):
    if value < 0:
        raise ValueError("negative")
    return value

def x_check__mutmut_1(value):
    if value < 0:
        raise ValueError("XXnegativeXX")
    return value

def x_check__mutmut_2(value):
    if value <= 0:
        raise ValueError("negative")
    return value
"""

ENTRY = """
[[mutant]]
function = "pkg.mod.x_check"
removed = [{removed}]
added = [{added}]
kind = "description"
reason = "only the message"
"""


def _score() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mutation_score", ROOT / "mutation" / "score.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _checkout(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mutmut]\nonly_mutate = ["pkg/mod.py"]\n', encoding="utf-8"
    )
    mutants = tmp_path / "mutants" / "pkg"
    mutants.mkdir(parents=True)
    (mutants / "mod.py").write_text(MUTATED, encoding="utf-8")
    (mutants / "mod.py.meta").write_text(
        json.dumps(
            {"exit_code_by_key": {"pkg.mod.x_check__mutmut_1": 0, "pkg.mod.x_check__mutmut_2": 1}}
        ),
        encoding="utf-8",
    )
    return tmp_path


def _entry(removed: str, added: str) -> str:
    return ENTRY.format(removed=json.dumps(removed), added=json.dumps(added))


def test_a_reviewed_survivor_passes_and_a_stale_entry_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    score = _score()
    root = _checkout(tmp_path)
    reviewed = root / "equivalent.toml"
    matching = _entry('raise ValueError("negative")', 'raise ValueError("XXnegativeXX")')
    reviewed.write_text(matching, encoding="utf-8")
    args = ["--root", str(root), "--reviewed", str(reviewed), "--min", "50"]
    assert score.main(args) == 0
    assert "OK: killed / (total - equivalent) = 50.0 %" in capsys.readouterr().out

    stale = _entry('raise ValueError("gone")', 'raise ValueError("XXgoneXX")')
    reviewed.write_text(matching + stale, encoding="utf-8")
    assert score.main(args) == 1
    out = capsys.readouterr().out
    assert "1 entry of equivalent.toml matches no surviving mutant" in out
    assert 'pkg.mod.x_check: - raise ValueError("gone")' in out
    assert out.rstrip().endswith("FAIL: remove the 1 stale reviewed entry above")


def test_an_entry_of_a_mutant_that_timed_out_this_time_is_not_stale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A timeout counts as killed; the entry stays for the run in which it survives again
    (removing it would make that run's survivor a gap: the check would flap)."""
    score = _score()
    root = _checkout(tmp_path)
    meta = root / "mutants" / "pkg" / "mod.py.meta"
    meta.write_text(
        json.dumps(
            {"exit_code_by_key": {"pkg.mod.x_check__mutmut_1": 24, "pkg.mod.x_check__mutmut_2": 1}}
        ),
        encoding="utf-8",
    )
    reviewed = root / "equivalent.toml"
    reviewed.write_text(
        _entry('raise ValueError("negative")', 'raise ValueError("XXnegativeXX")'), encoding="utf-8"
    )
    assert score.main(["--root", str(root), "--reviewed", str(reviewed)]) == 0
    assert "stale" not in capsys.readouterr().out


def test_an_unreviewed_survivor_is_a_gap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    score = _score()
    root = _checkout(tmp_path)
    reviewed = root / "equivalent.toml"
    reviewed.write_text("", encoding="utf-8")
    assert score.main(["--root", str(root), "--reviewed", str(reviewed), "--min", "50"]) == 1
    out = capsys.readouterr().out
    assert "1 surviving mutant(s) not reviewed (gaps)" in out
    assert "pkg.mod.x_check__mutmut_1" in out
