"""Every parameter of the scenario suites is shown the same way in every run: Allure keys a
test's history (its trend, retries, "flaky") on the parameters' text, and 23 tests started
a new history every run (a determinism review): lambdas shown as ``<function <lambda> at
0x…>``, a sentinel as ``<object object at 0x…>``, times taken when the tests were
collected. ``scenarios.support.shown``, ``FromNow`` and ``DROP``'s own repr fix them."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_COLLECT = """
import json, sys, pytest

class Params:
    shown = {}
    ints = {}
    def pytest_collection_modifyitems(self, items):
        for item in items:
            callspec = getattr(item, "callspec", None)
            if callspec is None:
                continue
            self.shown[item.nodeid] = {k: repr(v) for k, v in callspec.params.items()}
            self.ints[item.nodeid] = [v for p in callspec.params.values()
                                      for v in (p.values() if isinstance(p, dict) else (p,))
                                      if type(v) is int]

found = Params()
status = pytest.main(["scenarios", "--collect-only", "-q", "-o", "addopts=",
                      "-p", "no:cacheprovider"], plugins=[found])
json.dump({"status": int(status), "shown": found.shown, "ints": found.ints},
          open(sys.argv[1], "w"))
"""


def test_no_scenario_parameter_changes_from_run_to_run(tmp_path: Path) -> None:
    out = tmp_path / "params.json"
    subprocess.run(
        [sys.executable, "-c", _COLLECT, str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    found = json.loads(out.read_text())
    assert found["status"] == 0
    assert len(found["shown"]) > 300
    moving = [
        f"{test}: {name}={text}"
        for test, params in found["shown"].items()
        for name, text in params.items()
        if " at 0x" in text
    ]
    assert moving == [], "give such a parameter a stable repr (scenarios.support.shown)"
    now, day = int(time.time()), 86_400
    stale = [
        test for test, ints in found["ints"].items() if any(abs(v - now) < 2 * day for v in ints)
    ]
    assert stale == [], "a time taken at collection: use scenarios.support.FromNow"
