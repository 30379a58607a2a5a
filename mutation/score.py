"""The mutation score of the scenario suites, per file and overall, from mutmut's results.

Run after ``mutmut run`` (``make mutation`` does both). Reads the files under mutation from
``[tool.mutmut] only_mutate`` in pyproject.toml, each file's verdicts from
``mutants/<file>.meta``, and the reviewed surviving mutants from ``mutation/equivalent.toml``.

A surviving mutant is matched to a reviewed entry by its key (not by mutmut's number, which
shifts when the file is edited): its function, the lines it removes and adds, and the unchanged
lines around them, ``context = { before = [...], after = [...] }`` (every entry has one): the
nearest non-blank line before the change and the two after it, stripped, fewer at the start or
end of the function. The context tells apart the same change at two places in one function:
``ruff format`` puts a lone argument such as ``"A-2",`` on a line of its own, and the line after
(often the refusal's text) says which call it is. An entry covers one mutant: when two
survivors have the same key, the first takes the entry and the second is reported as ambiguous
(review it: if the same reason holds there, give it an entry of its own with the same key).
Entries have a ``kind``:

- ``equivalent``: no input can tell the mutant from the original;
- ``description``: only the free-text ``error_description`` of a refusal changes (PROTOCOL.md
  §8 fixes ``error``, ``clause`` and the HTTP status; the description is prose for the
  developer), so no conformance check can tell them apart either.

Printed: ``killed / total``, ``killed / (total - equivalent)`` (the score; exit status 1 when it
is below ``--min``, default 90) and ``killed / (total - equivalent - description-only)``. Exit
status 1 too when a survivor is not reviewed: a gap (write a scenario that kills it) or a new
equivalent (add it to ``mutation/equivalent.toml`` with its reason); when a survivor is
ambiguous; and when an entry there matches no surviving mutant (the code moved, or a scenario
kills it now: remove it). ``--toml`` prints each unreviewed or ambiguous survivor as an entry
to fill in (its ``kind`` and ``reason``).
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

Lines = tuple[str, ...]
Key = tuple[str, Lines, Lines, Lines, Lines]
"""A reviewed entry: the function, the lines the mutant removes and adds, and the unchanged
lines just before and after them (its context)."""

ROOT = Path(__file__).resolve().parent.parent
KILLED = {1, 3}
SURVIVED = {0}
TIMEOUT = {24, -24, 36, 152, 255}
_NAME = re.compile(r"^(?P<function>.+)__mutmut_(?P<number>\d+)$")
CONTEXT_BEFORE = 1
"""Non-blank unchanged lines of context kept before a change ..."""
CONTEXT_AFTER = 2
"""... and after it. One each side leaves 9 of the 291 survivors of the run of 2026-12-07
sharing a key (``clause="R-2",`` changed between ``code="issuer_mismatch",`` and ``)`` is the
same at both of ``check_callback``'s ``iss`` refusals); a second line after tells them all
apart. Changing either changes the context of every entry: re-key them all."""


@dataclass(frozen=True)
class Change:
    """The stripped lines a mutant removes and adds, and the unchanged lines around them."""

    removed: Lines = ()
    added: Lines = ()
    before: Lines = ()
    after: Lines = ()


@dataclass
class Mutant:
    name: str
    function: str
    change: Change

    def key(self) -> Key:
        c = self.change
        return self.function, c.removed, c.added, c.before, c.after


@dataclass
class Entry:
    """One reviewed survivor of ``mutation/equivalent.toml``."""

    key: Key
    kind: str
    taken_by: str | None = None
    """The mutant this run matched to the entry (an entry covers one mutant)."""
    copy_of: str | None = None
    """(A stale entry) the mutant another entry of the same key covers: this one is a copy."""


@dataclass
class FileScore:
    path: str
    total: int = 0
    killed: int = 0
    timeout: int = 0
    other: int = 0
    excluded: dict[str, int] = field(default_factory=dict)
    unreviewed: list[Mutant] = field(default_factory=list)
    ambiguous: list[tuple[Mutant, str]] = field(default_factory=list)
    """Survivors whose key's entries were all taken, each with the mutant that took one."""

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


def _context(lines: list[str], start: int, step: int, count: int) -> Lines:
    """Up to ``count`` non-blank lines of ``lines`` from ``start`` on, going by ``step``."""
    found: list[str] = []
    i = start
    while 0 <= i < len(lines) and len(found) < count:
        if lines[i]:
            found.append(lines[i])
        i += step
    return tuple(reversed(found)) if step < 0 else tuple(found)


def mutant_diff(functions: dict[str, str], name: str) -> Change:
    """The stripped lines the mutant removes and adds, compared with the original, and the
    unchanged lines just before the first changed line and just after the last."""
    short = name.rsplit(".", 1)[-1]
    match = _NAME.match(short)
    if match is None or short not in functions:
        return Change()
    original = functions.get(f"{match['function']}__mutmut_orig")
    if original is None:
        return Change()
    before = _lines(original, f"{match['function']}__mutmut_orig")
    after = _lines(functions[short], short)
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    changed = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    if not changed:
        return Change()
    removed, added = [], []
    for _, i1, i2, j1, j2 in changed:
        removed += before[i1:i2]
        added += after[j1:j2]
    return Change(
        tuple(removed),
        tuple(added),
        _context(before, changed[0][1] - 1, -1, CONTEXT_BEFORE),
        _context(before, changed[-1][2], 1, CONTEXT_AFTER),
    )


def load_reviewed(path: Path) -> list[Entry]:
    if not path.exists():
        return []
    entries = tomllib.loads(path.read_text("utf-8")).get("mutant", [])
    reviewed = []
    for n, entry in enumerate(entries, 1):
        context = entry.get("context")
        if not isinstance(context, dict) or set(context) != {"before", "after"}:
            raise SystemExit(
                f"{path.name}: entry {n} ({entry.get('function')}) needs "
                "context = { before = [...], after = [...] }: the unchanged lines around the "
                "change (`python mutation/score.py --toml` prints them for a survivor)"
            )
        key = (
            entry["function"],
            tuple(entry["removed"]),
            tuple(entry["added"]),
            tuple(context["before"]),
            tuple(context["after"]),
        )
        reviewed.append(Entry(key, entry["kind"]))
    return reviewed


def _mutant(functions: dict[str, str], name: str) -> Mutant:
    """Mutant ``name`` with its function and the lines it changes."""
    function = _NAME.match(name)
    return Mutant(name, function["function"] if function else name, mutant_diff(functions, name))


def _in_order(name: str) -> tuple[str, int]:
    """mutmut's order: ``x_f__mutmut_2`` before ``x_f__mutmut_10``."""
    match = _NAME.match(name)
    return (match["function"], int(match["number"])) if match else (name, 0)


def score(root: Path, reviewed_path: Path) -> tuple[list[FileScore], list[Entry]]:
    """Each mutated file's counts, and the entries that match no mutant (stale). An entry
    covers one mutant: survivors take entries first; a mutant that timed out or was not run
    this time holds a free entry of its key (not stale: it may survive again next time)."""
    free: dict[Key, list[Entry]] = {}
    taken: dict[Key, list[Entry]] = {}
    for entry in load_reviewed(reviewed_path):
        free.setdefault(entry.key, []).append(entry)
    held: list[Mutant] = []
    scores = []
    for path in files_under_mutation(root):
        meta = root / "mutants" / f"{path}.meta"
        if not meta.exists():
            raise SystemExit(f"no results for {path}: run `mutmut run` first")
        verdicts = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
        functions = _functions((root / "mutants" / path).read_text("utf-8"))
        result = FileScore(path)
        for name in sorted(verdicts, key=_in_order):
            exit_code = verdicts[name]
            result.total += 1
            if exit_code in KILLED:
                result.killed += 1
            elif exit_code in SURVIVED:
                mutant = _mutant(functions, name)
                key = mutant.key()
                if free.get(key):
                    entry = free[key].pop(0)
                    entry.taken_by = name
                    taken.setdefault(key, []).append(entry)
                    result.excluded[entry.kind] = result.excluded.get(entry.kind, 0) + 1
                elif key in taken:  # its entries cover other survivors
                    result.ambiguous.append((mutant, str(taken[key][0].taken_by)))
                else:
                    result.unreviewed.append(mutant)
            else:
                if exit_code in TIMEOUT:
                    result.timeout += 1
                else:
                    result.other += 1
                held.append(_mutant(functions, name))
        scores.append(result)
    for mutant in held:
        if free.get(mutant.key()):
            free[mutant.key()].pop(0).taken_by = mutant.name
    stale = [entry for entries in free.values() for entry in entries]
    for entry in stale:
        if taken.get(entry.key):
            entry.copy_of = taken[entry.key][0].taken_by
    return scores, stale


def _show(change: Change, indent: str = "    ") -> None:
    for line in change.before:
        print(f"{indent}  {line}")
    for line in change.removed:
        print(f"{indent}- {line}")
    for line in change.added:
        print(f"{indent}+ {line}")
    for line in change.after:
        print(f"{indent}  {line}")


def _toml(lines: Lines) -> str:
    return "[" + ", ".join(json.dumps(line, ensure_ascii=False) for line in lines) + "]"


def entry_toml(mutant: Mutant) -> str:
    """Mutant as an entry of ``mutation/equivalent.toml``, its kind and reason left to fill in."""
    c = mutant.change
    return (
        f"[[mutant]]\nfunction = {json.dumps(mutant.function)}\n"
        f"removed = {_toml(c.removed)}\nadded = {_toml(c.added)}\n"
        f"context = {{ before = {_toml(c.before)}, after = {_toml(c.after)} }}\n"
        f'kind = "equivalent or description"\nreason = "why no scenario can kill it"\n'
        f"# seen as {mutant.name.rsplit('.', 1)[-1]}\n"
    )


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
            totals.ambiguous += s.ambiguous
            totals.other += s.other
        killed = s.killed + (s.timeout if s is not totals else 0)
        equivalent = s.excluded.get("equivalent", 0)
        print(
            f"{s.path:<36} {s.total:>5} {killed:>6} {equivalent:>5} "
            f"{s.excluded.get('description', 0):>5} {_gaps(s):>4} "
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
            _show(m.change)
        print("  (see one with: .venv/bin/mutmut show NAME; --toml prints them as entries)")
    if totals.ambiguous:
        print(
            f"\n{len(totals.ambiguous)} surviving mutant(s) ambiguous: the same change between "
            "the same lines as another survivor, which took the entry of that key (an entry "
            "covers one mutant, and its review was written for the other place):"
        )
        for m, other in totals.ambiguous:
            print(f"  {m.name} (the entry was taken by {other.rsplit('.', 1)[-1]})")
            _show(m.change)
        print(
            "  Review each here (.venv/bin/mutmut show NAME): if the reason holds, add an entry of "
            "its own, with the same key (--toml prints it); if not, kill it with a scenario."
        )
    return value, _gaps(totals)


def _gaps(s: FileScore) -> int:
    return len(s.unreviewed) + len(s.ambiguous) + s.other


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
    parser.add_argument(
        "--toml",
        action="store_true",
        help="print the unreviewed and ambiguous survivors as entries to fill in, and stop",
    )
    args = parser.parse_args(argv)
    scores, stale = score(args.root, args.reviewed)
    if args.toml:
        for s in scores:
            for mutant in [*s.unreviewed, *(m for m, _ in s.ambiguous)]:
                print(entry_toml(mutant))
        return 0
    value, gaps = report(scores)
    if stale:  # the code moved or a scenario now kills them: the review no longer holds
        one = len(stale) == 1
        print(
            f"\n{len(stale)} entr{'y' if one else 'ies'} of {args.reviewed.name} "
            f"match{'es' if one else ''} no surviving mutant (the code changed, or a scenario "
            f"kills it now): remove {'it' if one else 'them'}"
        )
        for entry in stale:
            function, removed, added, before, after = entry.key
            print(f"  {function}: - {' / '.join(removed)[:80]}  + {' / '.join(added)[:80]}")
            print(f"      between {' / '.join(before)[:60]!r} and {' / '.join(after)[:60]!r}")
            if entry.copy_of is not None:
                print(f"      a copy: another entry of the same key covers {entry.copy_of}")
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
