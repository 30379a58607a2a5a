"""Property-based and stateful conformance tests (issue 4), with Hypothesis.

- ``test_versions_props``, ``test_identifiers_props``, ``test_links_props``: pure properties of
  :mod:`harness.protocol` (V-1…V-3, §1, A-2/A-5/A-6 links).
- ``test_login_state_machine``: the whole login as a ``RuleBasedStateMachine`` over the embedded
  providers and the simulated phone, checked against the reference model of :mod:`.model` and
  by invariants that each name their clause.
- :mod:`.profiles`: the ``dev``, ``ci`` and ``deep`` hypothesis profiles (``ci`` by default;
  ``VNEID_HARNESS_HYPOTHESIS_PROFILE`` selects another).
"""
