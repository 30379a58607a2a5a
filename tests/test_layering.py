"""ARCHITECTURE.md's layers, checked on the imports themselves: data flows scenarios →
harness → HTTP → mock providers; the mock providers share only ``harness.protocol`` with the
harness, and ``harness.protocol`` imports nothing of the rest. The front ends (the pytest
plugin, the ``run`` engine behind the CLI, the CLI) sit on top: a reporter imports none of
them, the plugin neither the runner nor the CLI, and no module of ``harness`` and ``reports``
imports another that imports it back, however late. (An architecture review found the
harness's own relying party and a scenario importing the mock VNeID's key module, and the
OpenAPI documents a private name of the version parser; a code-health review the reporters
importing the replay line from the plugin, which imported them and the runner, which imported
it.)"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("harness", "mock_providers", "scenarios", "reports", "benchmarks", "tests")

HARNESS_MAY_START_MOCKS = frozenset(
    {
        "harness/targets.py",  # builds the embedded providers and the provider plan's VssID
        "harness/serve.py",  # serves them
        "harness/cli.py",  # `serve`'s options
        "harness/plugin_reports.py",  # the mocks' default secrets, scrubbed from reports
        "harness/broken_mocks.py",  # the names of the mocks' checks and faults (--broken-*)
    }
)
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


def _modules_named(path: Path) -> list[tuple[int, str]]:
    """Each module ``path`` imports, at any depth (in a function, under ``TYPE_CHECKING``),
    with its line: ``from a import b`` names ``a`` and ``a.b`` (``b`` may be a module)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _top(module: str) -> str:
    return module.split(".")[0]


def test_the_protocol_model_imports_nothing_of_the_rest() -> None:
    wrong = [
        f"{p.relative_to(ROOT)}:{line} imports {module}"
        for p in _files("harness/protocol")
        for line, module, _ in _imports(p)
        if _top(module) in OURS and not module.startswith("harness.protocol")
    ]
    assert not wrong, wrong


def test_the_mock_providers_share_only_the_protocol_model_with_the_harness() -> None:
    wrong = [
        f"{p.relative_to(ROOT)}:{line} imports {module}"
        for p in _files("mock_providers")
        for line, module, _ in _imports(p)
        if _top(module) in OURS
        and _top(module) != "mock_providers"
        and not module.startswith("harness.protocol")
    ]
    assert not wrong, wrong


def test_only_the_glue_of_the_harness_imports_the_mock_providers() -> None:
    wrong = [
        f"{p.relative_to(ROOT)}:{line} imports {module}"
        for p in _files("harness")
        for line, module, _ in _imports(p)
        if _top(module) == "mock_providers"
        and str(p.relative_to(ROOT)) not in HARNESS_MAY_START_MOCKS
    ]
    assert not wrong, wrong


@pytest.mark.parametrize("package", ["harness", "mock_providers", "reports", "scenarios"])
def test_no_private_name_crosses_a_package(package: str) -> None:
    wrong = [
        f"{p.relative_to(ROOT)}:{line} imports a private name of {module}"
        for p in _files(package)
        for line, module, private in _imports(p)
        if private and _top(module) in OURS and _top(module) != package
    ]
    assert not wrong, wrong


PLUGIN_PARTS = frozenset(
    {
        "harness.plugin_config",
        "harness.plugin_fixtures",
        "harness.plugin_markers",
        "harness.plugin_remote",
        "harness.plugin_reports",
        "harness.plugin_signals",
        "harness.plugin_timeout",
    }
)
"""The pytest plugin's parts, each registered by the plugin (:data:`harness.pytest_plugin.PARTS`);
one front end with its entry point, ``harness.pytest_plugin``, which pytest loads."""
_PLUGIN_FILES = frozenset(
    f"{name.replace('.', '/')}.py" for name in {*PLUGIN_PARTS, "harness.pytest_plugin"}
)

RUN_PARTS = frozenset({"harness.run_out", "harness.run_progress", "harness.run_reports"})
"""The ``run`` engine's parts, modules of their own that :mod:`harness.run` imports: a front
end's code as it is, which only it imports. (:mod:`harness.run_checks` is not one: the
front ends share it.)"""

FRONT_ENDS = {
    "harness.pytest_plugin": frozenset[str](),  # loaded by pytest (its pytest11 entry point)
    **{part: _PLUGIN_FILES for part in PLUGIN_PARTS},  # the plugin's parts, one another
    "harness.run": frozenset({"harness/cli.py"}),
    **{part: frozenset({"harness/run.py"}) for part in RUN_PARTS},
    "harness.cli": frozenset({"harness/__main__.py"}),
}
"""The front ends of the engine, each with the modules of ``harness`` and ``reports`` that
may import it: the reporters, the replay line, the preflight and the plugin import none.
(``harness.plugin_options``, names only, is not one: the reporters and the replay line
name the options by it.)"""

RUN_CHECKS_MAY_IMPORT = ("harness", "harness.protocol")
"""What :mod:`harness.run_checks`, the option checks the front ends and the engine share,
imports of ours: the package's constants and the protocol model, so that any module of the
engine can use it without a cycle."""


def test_the_plugins_parts_are_the_ones_the_layers_know() -> None:
    """A new part of the plugin is a front end too: it gets the rule above."""
    from harness.pytest_plugin import PARTS

    assert {part.__name__ for part in PARTS} == PLUGIN_PARTS


def test_the_runs_parts_are_the_ones_the_layers_know() -> None:
    """A new part of the run is a front end too: it gets the rule above."""
    found = {_module_of(p) for p in (ROOT / "harness").glob("run_*.py")}
    assert found - {"harness.run_checks"} == RUN_PARTS


def test_the_shared_option_checks_import_nothing_of_the_engine() -> None:
    path = ROOT / "harness" / "run_checks.py"
    wrong = [
        f"harness/run_checks.py:{line} imports {module}"
        for line, module, _ in _imports(path)
        if _top(module) in OURS
        and module not in RUN_CHECKS_MAY_IMPORT
        and not module.startswith("harness.protocol.")
    ]
    assert not wrong, wrong


def test_no_module_of_the_engine_or_the_reporters_imports_a_front_end() -> None:
    wrong = [
        f"{p.relative_to(ROOT)}:{line} imports {module}"
        for p in [*_files("harness"), *_files("reports")]
        for line, module in _modules_named(p)
        if module in FRONT_ENDS
        and _module_of(p) != module
        and str(p.relative_to(ROOT)) not in FRONT_ENDS[module]
    ]
    assert not wrong, wrong


def test_no_import_cycle_among_the_harness_and_the_reporters() -> None:
    """Every import counts, however late (in a function, under ``TYPE_CHECKING``): a cycle
    through a lazy import is still two modules that cannot be understood, or moved, apart."""
    paths = {_module_of(p): p for package in ("harness", "reports") for p in _files(package)}
    graph = {
        module: sorted(
            {named for _, named in _modules_named(path) if named in paths and named != module}
        )
        for module, path in paths.items()
    }
    done: set[str] = set()

    def cycle_from(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        for imported in graph[module]:
            found = cycle_from(imported, [*path, module])
            if found is not None:
                return found
        done.add(module)
        return None

    for module in sorted(graph):
        found = cycle_from(module, [])
        assert found is None, " -> ".join(found)
