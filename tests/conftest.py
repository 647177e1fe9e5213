"""Shared pytest configuration."""

import os
from pathlib import Path

import pytest
from hypothesis import settings

# The golden generator needs PyTorch and TensorFlow; it is run by hand, never collected.
collect_ignore = ["golden"]

# On CI the property tests draw the same examples every run, so that a red run is
# reproducible; locally they explore new ones each time.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _in_a_folder_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs in its own empty folder: a relative output name (``-o i.npy``) lands
    under tmp_path, and files the README's examples left in the checkout change nothing."""
    monkeypatch.chdir(tmp_path)
