"""Ctrl-C and SIGTERM (which main's ``sigterm_interrupts`` turns into a KeyboardInterrupt)
while ``personas generate`` makes a large file and while ``serve`` starts: both exited 130
without a word (typer's silent ``Exit(130)``), leaving the user to guess whether the persona
or state file they kept had been touched (an interruption review)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import harness.serve as serve_module
from harness.cli import app
from harness.personas import PersonaFactory, save_personas


def _said(done: Any) -> str:
    return " ".join(done.output.split())


@pytest.mark.parametrize("where", ["generating", "writing"])
def test_generate_stopped_says_so_and_keeps_the_earlier_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    target = tmp_path / "team.yaml"
    save_personas(target, PersonaFactory(1).many(2))
    before = target.read_bytes()
    if where == "generating":
        made: list[object] = []
        real_new = PersonaFactory.new

        def new_then_ctrl_c(self: PersonaFactory, **kwargs: Any) -> Any:
            made.append(None)
            if len(made) == 3:
                raise KeyboardInterrupt
            return real_new(self, **kwargs)

        monkeypatch.setattr(PersonaFactory, "new", new_then_ctrl_c)
    else:

        def fsync_then_sigterm(fd: int) -> None:
            raise KeyboardInterrupt("terminated (SIGTERM)")

        monkeypatch.setattr(os, "fsync", fsync_then_sigterm)  # harness.personas calls os.fsync
    done = CliRunner().invoke(
        app, ["personas", "generate", "-o", str(target), "--count", "5", "--force"]
    )
    reason = "Ctrl-C" if where == "generating" else "terminated (SIGTERM)"
    assert done.exit_code == 130, done.output
    assert f"error: {reason}: the personas were not written: {target} is as it was" in _said(done)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["team.yaml"]  # no temp file left


def test_serve_stopped_while_it_starts_says_so_and_leaves_the_state_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    personas = tmp_path / "team.yaml"
    save_personas(personas, PersonaFactory(3).many(3))
    state = tmp_path / "state.json"

    def seeding_then_ctrl_c(*args: Any, **kwargs: Any) -> list[str]:
        raise KeyboardInterrupt

    monkeypatch.setattr(serve_module, "seed_personas", seeding_then_ctrl_c)
    monkeypatch.delenv("VNEID_HARNESS_ADMIN_TOKEN", raising=False)
    done = CliRunner().invoke(
        app,
        [
            "serve",
            "--vneid-port",
            "0",
            "--vssid-port",
            "0",
            "--personas",
            str(personas),
            "--state",
            str(state),
        ],
    )
    assert done.exit_code == 130, done.output
    assert "error: Ctrl-C: serve was stopped while it started" in _said(done)
    left = sorted(p.name for p in tmp_path.iterdir() if p.name != personas.name)
    assert left in ([], ["state.json"]), left  # no lock file, no temporary copy
    if state.exists():
        assert os.path.getsize(state) > 0
