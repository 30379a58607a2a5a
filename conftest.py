"""Root conftest: an index only. Options, markers and fixtures live in harness.pytest_plugin's
parts (registered by its pytest11 entry point); test-only fixtures live beside their tests."""

pytest_plugins = ("pytester",)
