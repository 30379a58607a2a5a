"""Both HTTP stacks of ``vneid-harness serve --http`` (h11, httptools with uvloop) serve the
whole login, and an unknown stack is refused before anything listens."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from harness.cli import app
from harness.flows import login_with_vneid
from harness.serve import ServedInThread, build_served
from harness.targets import remote_target
from harness.world import PersonaPool, make_device
from mock_providers._served import HTTP_STACKS, uvicorn_config


@pytest.mark.parametrize("http", HTTP_STACKS)
def test_each_stack_serves_a_whole_login(http: str) -> None:
    with ServedInThread(build_served(0, 0), http=http) as served:
        target = remote_target(served.vneid_url, served.vssid_url)
        persona = PersonaPool(target, seed=f"stack-{http}").new()
        device = make_device(target, "android")
        assert login_with_vneid(device.driver, persona).id == "vssid-home"
        device.close()
        target.close()


def test_an_unknown_stack_is_refused() -> None:
    with pytest.raises(ValueError, match="choose one of h11, httptools"):
        uvicorn_config(object(), http="granian")
    result = CliRunner().invoke(
        app, ["serve", "--vneid-port", "0", "--vssid-port", "0", "--http", "granian"]
    )
    assert result.exit_code == 2
    assert "--http 'granian': choose one of h11, httptools" in result.output
