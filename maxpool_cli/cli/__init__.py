"""The cli layer: the click face (commands, parameter types, rendering, JSON records). It may
import every other layer and holds no pooling or format logic of its own.

Only click is imported at start-up; NumPy and rich load with the commands that need them.
"""

from . import explain, info, pyramid, run, unpool  # noqa: F401  (each registers its command)
from .app import ExitStatus, cli, main

__all__ = ["ExitStatus", "cli", "main"]
