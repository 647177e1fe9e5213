"""Shared pytest configuration."""

import os

from hypothesis import settings

# The golden generator needs PyTorch and TensorFlow; it is run by hand, never collected.
collect_ignore = ["golden"]

# On CI the property tests draw the same examples every run, so that a red run is
# reproducible; locally they explore new ones each time.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
