"""ARCHITECTURE.md's layers, checked on the imports themselves: data flows scenarios →
harness → HTTP → mock providers; the mock providers share only ``harness.protocol`` with the
harness, and ``harness.protocol`` imports nothing of the rest. (An architecture review found
the harness's own relying party and a scenario importing the mock VNeID's key module, and the
OpenAPI documents a private name of the version parser.)"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("harness", "mock_providers", "scenarios", "reports", "benchmarks", "tests")

HARNESS_MAY_START_MOCKS = frozenset({
    "harness/targets.py",  # builds the embedded providers and the provider plan's VssID
    "harness/serve.py",  # serves them
    "harness/cli.py",  # `serve`'s options
    "harness/pytest_plugin.py",  # the mocks' default secrets, scrubbed from reports
    "harness/broken_mocks.py",  # the names of the mocks' checks and faults (--broken-*)
})
"""The harness's modules that start or configure the mock providers: the glue the layers
allow (everything else of the harness reaches a provider over HTTP or an ASGI transport)."""


def _imports(path: Path) -> list[tuple[int, str, bool]]:
    """Each import of ``path``: its line, the module, and whether it is a private name
    (``from x import _y``)."""
    found: list[tuple[int, str, bool]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, False) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            private = any(a.name.startswith("_") for a in node.names)
            found.append((node.lineno, node.module, private))
    return found


def _files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _top(module: str) -> str:
    return module.split(".")[0]


def test_the_protocol_model_imports_nothing_of_the_rest() -> None:
    wrong = [f"{p.relative_to(ROOT)}:{line} imports {module}"
             for p in _files("harness/protocol") for line, module, _ in _imports(p)
             if _top(module) in OURS and not module.startswith("harness.protocol")]
    assert not wrong, wrong


def test_the_mock_providers_share_only_the_protocol_model_with_the_harness() -> None:
    wrong = [f"{p.relative_to(ROOT)}:{line} imports {module}"
             for p in _files("mock_providers") for line, module, _ in _imports(p)
             if _top(module) in OURS and _top(module) != "mock_providers"
             and not module.startswith("harness.protocol")]
    assert not wrong, wrong


def test_only_the_glue_of_the_harness_imports_the_mock_providers() -> None:
    wrong = [f"{p.relative_to(ROOT)}:{line} imports {module}"
             for p in _files("harness") for line, module, _ in _imports(p)
             if _top(module) == "mock_providers"
             and str(p.relative_to(ROOT)) not in HARNESS_MAY_START_MOCKS]
    assert not wrong, wrong


@pytest.mark.parametrize("package", ["harness", "mock_providers", "reports", "scenarios"])
def test_no_private_name_crosses_a_package(package: str) -> None:
    wrong = [f"{p.relative_to(ROOT)}:{line} imports a private name of {module}"
             for p in _files(package) for line, module, private in _imports(p)
             if private and _top(module) in OURS and _top(module) != package]
    assert not wrong, wrong
