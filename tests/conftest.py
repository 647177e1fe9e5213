"""Shared pytest configuration."""

# The golden generator needs PyTorch and TensorFlow; it is run by hand, never collected.
collect_ignore = ["golden"]
