"""mutation/score.py (``make mutation``'s verdict): a survivor is matched to its reviewed entry
by function, changed lines and the unchanged lines around them (so the same change at two
places in one function needs two entries), an entry covers one mutant, and an entry that
matches no survivor any more (the code moved, or a scenario kills it now) fails the score, so
the review file does not rot (43 such entries had gathered unnoticed)."""

from __future__ import annotations

import importlib.util
import json
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]

CHECK = """\
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


def _refuse(first: str, second: str, *, name: str = "orig", texts: tuple[str, str]) -> str:
    """A function refusing twice with the clause on a line of its own, as ``ruff format``
    leaves a call whose arguments do not fit on one line."""
    return f"""
def x_refuse__mutmut_{name}(value):
    if value is None:
        raise refuse(
            {first},
            "{texts[0]}",
        )

    if value == "":
        raise refuse(
            {second},
            "{texts[1]}",
        )
    return value
"""


def _refusals(texts: tuple[str, str]) -> str:
    """``x_refuse``: mutant 1 drops the first call's clause, mutant 2 the second's."""
    return (
        _refuse('"A-2"', '"A-2"', texts=texts)
        + _refuse("None", '"A-2"', name="1", texts=texts)
        + _refuse('"A-2"', "None", name="2", texts=texts)
    )


TWO_PLACES = ("value is missing", "value is empty")
SAME_TEXT = ("value is missing", "value is missing")


def _score() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mutation_score", ROOT / "mutation" / "score.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _checkout(tmp_path: Path, verdicts: dict[str, int], source: str = CHECK) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mutmut]\nonly_mutate = ["pkg/mod.py"]\n', encoding="utf-8"
    )
    mutants = tmp_path / "mutants" / "pkg"
    mutants.mkdir(parents=True)
    (mutants / "mod.py").write_text(source, encoding="utf-8")
    (mutants / "mod.py.meta").write_text(
        json.dumps({"exit_code_by_key": {f"pkg.mod.{k}": v for k, v in verdicts.items()}}),
        encoding="utf-8",
    )
    return tmp_path


def _entry(
    removed: str,
    added: str,
    before: list[str],
    after: list[str],
    function: str = "x_check",
    *,
    kind: str = "description",
) -> str:
    return f"""
[[mutant]]
function = "pkg.mod.{function}"
removed = [{json.dumps(removed)}]
added = [{json.dumps(added)}]
context = {{ before = {json.dumps(before)}, after = {json.dumps(after)} }}
kind = "{kind}"
reason = "reviewed"
"""


CHECK_1 = _entry(
    'raise ValueError("negative")',
    'raise ValueError("XXnegativeXX")',
    ["if value < 0:"],
    ["return value"],
)


def _refusal_entry(text: str) -> str:
    """The entry of a mutant dropping the clause of the refusal whose text is ``text``."""
    return _entry('"A-2",', "None,", ["raise refuse("], [f'"{text}",', ")"], "x_refuse")


def _run(score: ModuleType, root: Path, entries: str, *extra: str) -> int:
    reviewed = root / "equivalent.toml"
    reviewed.write_text(entries, encoding="utf-8")
    result: int = score.main(["--root", str(root), "--reviewed", str(reviewed), *extra])
    return result


def test_a_reviewed_survivor_passes_and_a_stale_entry_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    score = _score()
    root = _checkout(tmp_path, {"x_check__mutmut_1": 0, "x_check__mutmut_2": 1})
    assert _run(score, root, CHECK_1, "--min", "50") == 0
    assert "OK: killed / (total - equivalent) = 50.0 %" in capsys.readouterr().out

    stale = _entry(
        'raise ValueError("gone")', 'raise ValueError("XXgoneXX")', ["if value < 0:"], []
    )
    assert _run(score, root, CHECK_1 + stale, "--min", "50") == 1
    out = capsys.readouterr().out
    assert "1 entry of equivalent.toml matches no surviving mutant" in out
    assert 'pkg.mod.x_check: - raise ValueError("gone")' in out
    assert out.rstrip().endswith("FAIL: remove the 1 stale reviewed entry above")


def test_the_context_is_the_unchanged_lines_around_the_change_blank_lines_skipped() -> None:
    score = _score()
    functions = score._functions(CHECK + _refusals(TWO_PLACES))
    assert score.mutant_diff(functions, "pkg.mod.x_check__mutmut_1") == score.Change(
        removed=('raise ValueError("negative")',),
        added=('raise ValueError("XXnegativeXX")',),
        before=("if value < 0:",),
        after=("return value",),
    )
    # at the start of the function, the def line (its name left out) is the line before
    assert score.mutant_diff(functions, "pkg.mod.x_check__mutmut_2").before == ("def (value):",)
    second = score.mutant_diff(functions, "pkg.mod.x_refuse__mutmut_2")
    assert (second.removed, second.added) == (('"A-2",',), ("None,",))
    assert second.before == ("raise refuse(",)
    assert second.after == ('"value is empty",', ")")
    first = score.mutant_diff(functions, "pkg.mod.x_refuse__mutmut_1")
    assert first.after == ('"value is missing",', ")")
    # the key of either is the same without the context, different with it
    assert first.removed == second.removed
    assert first.added == second.added


def test_an_entry_without_context_is_refused(tmp_path: Path) -> None:
    score = _score()
    root = _checkout(tmp_path, {"x_check__mutmut_1": 0, "x_check__mutmut_2": 1})
    without = "\n".join(line for line in CHECK_1.splitlines() if not line.startswith("context"))
    with pytest.raises(SystemExit, match=r"entry 1 \(pkg\.mod\.x_check\) needs context"):
        _run(score, root, without)


def test_the_same_change_at_two_places_needs_an_entry_for_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before the context was part of the key, the entry written for the first refusal also
    covered the second: a survivor there went unnoticed."""
    score = _score()
    verdicts = {"x_refuse__mutmut_1": 0, "x_refuse__mutmut_2": 0}
    root = _checkout(tmp_path, verdicts, _refusals(TWO_PLACES))
    first = _refusal_entry("value is missing")
    assert _run(score, root, first, "--min", "0") == 1
    out = capsys.readouterr().out
    assert "1 surviving mutant(s) not reviewed (gaps)" in out
    assert "pkg.mod.x_refuse__mutmut_2\n" in out
    assert "pkg.mod.x_refuse__mutmut_1\n" not in out
    assert '      "value is empty",' in out  # its context, to write its entry from
    assert "stale" not in out

    assert _run(score, root, first + _refusal_entry("value is empty"), "--min", "0") == 0
    out = capsys.readouterr().out
    assert "OK" in out
    assert "not reviewed" not in out


def test_an_entry_of_one_place_does_not_cover_a_survivor_at_the_other(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The first refusal's mutant is killed now and the second's survives: the entry does not
    move to the second (its review was for the first); it is stale, and the survivor a gap."""
    score = _score()
    verdicts = {"x_refuse__mutmut_1": 1, "x_refuse__mutmut_2": 0}
    root = _checkout(tmp_path, verdicts, _refusals(TWO_PLACES))
    assert _run(score, root, _refusal_entry("value is missing"), "--min", "0") == 1
    out = capsys.readouterr().out
    assert "1 surviving mutant(s) not reviewed (gaps)" in out
    assert "pkg.mod.x_refuse__mutmut_2\n" in out
    assert "1 entry of equivalent.toml matches no surviving mutant" in out
    assert '"value is missing"' in out


def test_an_entry_covers_one_survivor_the_second_with_its_key_is_ambiguous(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two places alike to the lines around them give the same key: one entry takes the first
    survivor only, the second is reported; a second entry with the same key covers it; a third
    covers nothing and is stale."""
    score = _score()
    verdicts = {"x_refuse__mutmut_1": 0, "x_refuse__mutmut_2": 0, "x_check__mutmut_1": 1}
    root = _checkout(tmp_path, verdicts, CHECK + _refusals(SAME_TEXT))
    entry = _refusal_entry("value is missing")
    assert _run(score, root, entry, "--min", "0") == 1
    out = capsys.readouterr().out
    assert "1 surviving mutant(s) ambiguous" in out
    assert "pkg.mod.x_refuse__mutmut_2 (the entry was taken by x_refuse__mutmut_1)" in out
    assert "add an entry of its own, with the same key" in out
    assert "not reviewed (gaps)" not in out
    row = next(line for line in out.splitlines() if line.startswith("pkg/mod.py"))
    assert row.split()[1:6] == ["3", "1", "0", "1", "1"]  # total killed equiv descr gaps

    assert _run(score, root, entry * 2, "--min", "0") == 0
    capsys.readouterr()

    assert _run(score, root, entry * 3, "--min", "0") == 1
    out = capsys.readouterr().out
    assert "1 entry of equivalent.toml matches no surviving mutant" in out
    assert "a copy: another entry of the same key covers pkg.mod.x_refuse__mutmut_1" in out
    assert "ambiguous" not in out


def test_an_entry_of_a_mutant_that_timed_out_this_time_is_not_stale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A timeout counts as killed; the entry stays for the run in which it survives again
    (removing it would make that run's survivor a gap: the check would flap). It holds one
    entry, like a survivor: a second entry of its key is stale."""
    score = _score()
    root = _checkout(tmp_path, {"x_check__mutmut_1": 24, "x_check__mutmut_2": 1})
    assert _run(score, root, CHECK_1) == 0
    assert "stale" not in capsys.readouterr().out
    assert _run(score, root, CHECK_1 * 2) == 1
    out = capsys.readouterr().out
    assert "1 entry of equivalent.toml matches no surviving mutant" in out
    assert "a copy" not in out  # the entry it copies holds for a mutant not surviving now


def test_an_unreviewed_survivor_is_a_gap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    score = _score()
    root = _checkout(tmp_path, {"x_check__mutmut_1": 0, "x_check__mutmut_2": 1})
    assert _run(score, root, "", "--min", "50") == 1
    out = capsys.readouterr().out
    assert "1 surviving mutant(s) not reviewed (gaps)" in out
    assert "pkg.mod.x_check__mutmut_1" in out


def test_toml_prints_the_entries_that_cover_the_unreviewed_survivors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    score = _score()
    verdicts = {"x_refuse__mutmut_1": 0, "x_refuse__mutmut_2": 0, "x_check__mutmut_1": 0}
    root = _checkout(tmp_path, verdicts, CHECK + _refusals(SAME_TEXT))
    assert _run(score, root, CHECK_1, "--toml") == 0
    printed = capsys.readouterr().out
    entries = tomllib.loads(printed)["mutant"]
    assert [e["function"] for e in entries] == ["pkg.mod.x_refuse", "pkg.mod.x_refuse"]
    assert entries[0]["context"] == {
        "before": ["raise refuse("],
        "after": ['"value is missing",', ")"],
    }
    assert "# seen as x_refuse__mutmut_2" in printed
    filled = printed.replace("equivalent or description", "equivalent")
    assert _run(score, root, CHECK_1 + filled, "--min", "0") == 0
    assert "OK" in capsys.readouterr().out
