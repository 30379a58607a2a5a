"""Root conftest: an index only. Fixtures and options live in harness.pytest_plugin."""
