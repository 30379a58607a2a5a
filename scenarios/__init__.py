"""The conformance suites: one theme per file, each test tagged with the clauses it checks.

They run against the embedded mock providers by default, or against served or external
providers with ``--vneid-url`` / ``--vssid-url``.
"""
