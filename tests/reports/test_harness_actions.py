"""What the harness does to a provider during a test (a clock moved, a fault armed) is part
of the test's evidence: its steps, the conformance report's steps and the sequence diagram.
A T-2 test's evidence went from the callback straight to a refused ``/token``."""

from __future__ import annotations

from harness.targets import embedded_target
from harness.trace import HarnessAction, Trace
from reports.allure_steps import step_title
from reports.diagram import sequence_mermaid, sequence_svg
from reports.evidence import evidence_of


def test_clock_moves_and_faults_are_recorded_in_the_tests_trace() -> None:
    target = embedded_target(seed="actions")
    trace = Trace()
    target.vneid.trace = target.vssid.trace = trace
    try:
        target.vneid.set_clock(59)
        target.vssid.set_clock(-30.5)
        target.vneid.arm_fault("vssid", "id_token_nonce_missing", 2)
        target.vneid.arm_fault("vssid", "id_token_nonce_missing", 1)  # adds to what remains
        target.vneid.set_clock(0)  # back to real time: no event
        target.vneid.trace = target.vssid.trace = None
        target.vneid.set_clock(5)  # outside a test: no trace, nothing recorded
    finally:
        target.close()
    actions = trace.of_type(HarnessAction)
    assert [(a.target, a.action) for a in actions] == [
        ("vneid-server", "clock moved to +59 s from real time"),
        ("vssid-backend", "clock moved to -30.5 s from real time"),
        ("vneid-server", "fault id_token_nonce_missing armed for client vssid (2 uses left)"),
        ("vneid-server", "fault id_token_nonce_missing armed for client vssid (3 uses left)"),
    ]
    assert len(trace) == 4  # the control API's own calls are not the scenario's exchanges
    assert step_title(actions[0]) == "harness → VNeID server: clock moved to +59 s from real time"
    evidence = evidence_of([trace], "t")
    assert evidence is not None
    assert evidence["steps"][2] == (
        "harness → VNeID server: fault id_token_nonce_missing armed for client vssid (2 uses left)"
    )
    assert "harness: clock moved to +59 s from real time" in sequence_svg(list(trace))
    assert "harness: clock moved to -30.5 s from real time" in sequence_mermaid(list(trace))
