"""The simulated apps (§9 screens, §4 HTTP): VssID, VNeID, and a scheme hijacker (S-4)."""

from harness.apps.base import App, Reply
from harness.apps.hijacker import HIJACKER_SCREEN, RECEIVER_SCREEN, HijackerApp
from harness.apps.screens import Element, Screen, error_screen, update_screen
from harness.apps.vneid import VNeIDApp
from harness.apps.vssid import VssIDApp

__all__ = [
    # apps
    "App",
    "HijackerApp",
    "Reply",
    "VNeIDApp",
    "VssIDApp",
    # screens
    "HIJACKER_SCREEN",
    "RECEIVER_SCREEN",
    "Element",
    "Screen",
    "error_screen",
    "update_screen",
]
