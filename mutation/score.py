"""The mutation score of the scenario suites, per file and overall, from mutmut's results.

Run after ``mutmut run`` (``make mutation`` does both). Reads the files under mutation from
``[tool.mutmut] only_mutate`` in pyproject.toml, each file's verdicts from
``mutants/<file>.meta``, and the reviewed surviving mutants from ``mutation/equivalent.toml``.

A surviving mutant is matched to a reviewed entry by its function and the lines it changes
(not by mutmut's number, which shifts when the file is edited). Entries have a ``kind``:

- ``equivalent``: no input can tell the mutant from the original;
- ``description``: only the free-text ``error_description`` of a refusal changes (PROTOCOL.md
  §8 fixes ``error``, ``clause`` and the HTTP status; the description is prose for the
  developer), so no conformance check can tell them apart either.

Printed: ``killed / total``, ``killed / (total - equivalent)`` (the score; exit status 1 when it
is below ``--min``, default 90) and ``killed / (total - equivalent - description-only)``. Exit
status 1 too when a survivor is not reviewed: a gap (write a scenario that kills it) or a new
equivalent (add it to ``mutation/equivalent.toml`` with its reason); and when an entry there
matches no surviving mutant (the code moved, or a scenario kills it now: remove it).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

Key = tuple[str, tuple[str, ...], tuple[str, ...]]
"""A reviewed entry: the function and the lines the mutant removes and adds."""

ROOT = Path(__file__).resolve().parent.parent
KILLED = {1, 3}
SURVIVED = {0}
TIMEOUT = {24, -24, 36, 152, 255}
_NAME = re.compile(r"^(?P<function>.+)__mutmut_(?P<number>\d+)$")


@dataclass
class Mutant:
    name: str
    function: str
    removed: tuple[str, ...]
    added: tuple[str, ...]

    def key(self) -> Key:
        return self.function, self.removed, self.added


@dataclass
class FileScore:
    path: str
    total: int = 0
    killed: int = 0
    timeout: int = 0
    other: int = 0
    excluded: dict[str, int] = field(default_factory=dict)
    unreviewed: list[Mutant] = field(default_factory=list)

    @property
    def excluded_total(self) -> int:
        return sum(self.excluded.values())


def files_under_mutation(root: Path) -> list[str]:
    config = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))["tool"]["mutmut"]
    return list(config["only_mutate"])


def _functions(source: str) -> dict[str, str]:
    """Every function (and method) of a mutants/ file by name, with its source."""
    tree = ast.parse(source)
    lines = source.splitlines()
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno:
            found[node.name] = "\n".join(lines[node.lineno - 1 : node.end_lineno])
    return found


def _lines(text: str, name: str) -> list[str]:
    body = text.split("\n")
    body[0] = body[0].replace(name, "", 1)
    return [line.strip() for line in body]


def mutant_diff(functions: dict[str, str], name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The stripped lines the mutant removes and adds, compared with the original."""
    short = name.rsplit(".", 1)[-1]
    match = _NAME.match(short)
    if match is None or short not in functions:
        return (), ()
    original = functions.get(f"{match['function']}__mutmut_orig")
    if original is None:
        return (), ()
    before = _lines(original, f"{match['function']}__mutmut_orig")
    after = _lines(functions[short], short)
    removed, added = [], []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            removed += before[i1:i2]
            added += after[j1:j2]
    return tuple(removed), tuple(added)


def load_reviewed(path: Path) -> dict[Key, str]:
    if not path.exists():
        return {}
    entries = tomllib.loads(path.read_text("utf-8")).get("mutant", [])
    reviewed = {}
    for entry in entries:
        key = (entry["function"], tuple(entry["removed"]), tuple(entry["added"]))
        reviewed[key] = entry["kind"]
    return reviewed


def _where(functions: dict[str, str], name: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """Mutant ``name``'s function and the lines it removes and adds."""
    function = _NAME.match(name)
    return (function["function"] if function else name, *mutant_diff(functions, name))


def score(root: Path, reviewed_path: Path) -> tuple[list[FileScore], set[Key]]:
    """Each mutated file's counts, and the keys of the mutants an entry may still be for
    (survivors, and those that timed out or were not run this time: not flagged as stale)."""
    reviewed = load_reviewed(reviewed_path)
    used: set[Key] = set()
    scores = []
    for path in files_under_mutation(root):
        meta = root / "mutants" / f"{path}.meta"
        if not meta.exists():
            raise SystemExit(f"no results for {path}: run `mutmut run` first")
        verdicts = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
        functions = _functions((root / "mutants" / path).read_text("utf-8"))
        result = FileScore(path)
        for name, exit_code in sorted(verdicts.items()):
            result.total += 1
            if exit_code in KILLED:
                result.killed += 1
            elif exit_code in TIMEOUT:
                result.timeout += 1
                # still there: its entry holds for the run in which it survives again
                used.add(Mutant(name, *_where(functions, name)).key())
            elif exit_code in SURVIVED:
                mutant = Mutant(name, *_where(functions, name))
                kind = reviewed.get(mutant.key())
                if kind is None:
                    result.unreviewed.append(mutant)
                else:
                    used.add(mutant.key())
                    result.excluded[kind] = result.excluded.get(kind, 0) + 1
            else:
                result.other += 1
                used.add(Mutant(name, *_where(functions, name)).key())
        scores.append(result)
    return scores, used


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f} %" if whole else "   -  "


def report(scores: list[FileScore]) -> tuple[float, int]:
    header = (
        f"{'file':<36} {'total':>5} {'killed':>6} {'equiv':>5} {'descr':>5} "
        f"{'gaps':>4} {'k/total':>8} {'k/(t-equiv)':>11} {'k/(t-equiv-descr)':>17}"
    )
    print(header)
    print("-" * len(header))
    totals = FileScore("TOTAL")
    for s in [*scores, totals]:
        if s is not totals:
            totals.total += s.total
            totals.killed += s.killed + s.timeout
            for kind, n in s.excluded.items():
                totals.excluded[kind] = totals.excluded.get(kind, 0) + n
            totals.unreviewed += s.unreviewed
            totals.other += s.other
        killed = s.killed + (s.timeout if s is not totals else 0)
        equivalent = s.excluded.get("equivalent", 0)
        print(
            f"{s.path:<36} {s.total:>5} {killed:>6} {equivalent:>5} "
            f"{s.excluded.get('description', 0):>5} {len(s.unreviewed) + s.other:>4} "
            f"{_pct(killed, s.total):>8} {_pct(killed, s.total - equivalent):>11} "
            f"{_pct(killed, s.total - s.excluded_total):>17}"
        )
    adjusted = totals.total - totals.excluded_total
    without_equivalent = totals.total - totals.excluded.get("equivalent", 0)
    value = 100 * totals.killed / without_equivalent if without_equivalent else 0.0
    print()
    print(
        f"killed / total                 = {totals.killed} / {totals.total} = "
        f"{_pct(totals.killed, totals.total).strip()}"
    )
    print(
        f"killed / (total - equivalent)  = {totals.killed} / "
        f"{totals.total - totals.excluded.get('equivalent', 0)} = "
        f"{_pct(totals.killed, totals.total - totals.excluded.get('equivalent', 0)).strip()}"
    )
    print(
        f"killed / (total - equivalent - description-only) = {totals.killed} / {adjusted} = "
        f"{_pct(totals.killed, adjusted).strip()}"
    )
    if totals.unreviewed or totals.other:
        print(
            f"\n{len(totals.unreviewed)} surviving mutant(s) not reviewed (gaps), "
            f"{totals.other} with no tests, suspicious or interrupted:"
        )
        for m in totals.unreviewed:
            print(f"  {m.name}")
            for line in m.removed:
                print(f"    - {line}")
            for line in m.added:
                print(f"    + {line}")
        print("  (see one with: .venv/bin/mutmut show NAME)")
    return value, len(totals.unreviewed) + totals.other


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min", type=float, default=90.0, help="lowest acceptable score")
    parser.add_argument("--reviewed", type=Path, default=ROOT / "mutation" / "equivalent.toml")
    parser.add_argument(
        "--root",
        type=Path,
        default=ROOT,
        help="the checkout holding pyproject.toml and mutmut's mutants/",
    )
    args = parser.parse_args(argv)
    scores, used = score(args.root, args.reviewed)
    value, gaps = report(scores)
    stale = [key for key in load_reviewed(args.reviewed) if key not in used]
    if stale:  # the code moved or a scenario now kills them: the review no longer holds
        one = len(stale) == 1
        print(
            f"\n{len(stale)} entr{'y' if one else 'ies'} of {args.reviewed.name} "
            f"match{'es' if one else ''} no surviving mutant (the code changed, or a scenario "
            f"kills it now): remove {'it' if one else 'them'}"
        )
        for function, removed, added in stale:
            print(f"  {function}: - {' / '.join(removed)[:80]}  + {' / '.join(added)[:80]}")
    if value < args.min:
        print(f"\nFAIL: killed / (total - equivalent) = {value:.1f} % is below {args.min:g} %")
        return 1
    if gaps:
        print("\nFAIL: review or kill the surviving mutants above")
        return 1
    if stale:
        print(
            f"\nFAIL: remove the {len(stale)} stale reviewed entr"
            f"{'y' if len(stale) == 1 else 'ies'} above"
        )
        return 1
    print(f"\nOK: killed / (total - equivalent) = {value:.1f} % (at least {args.min:g} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
