"""The options that made a batch's outputs, recorded in its output folder.

A rerun with the same options resumes (outputs that exist are skipped); a rerun with other
options would silently keep outputs made the old way, so it is refused instead, naming what
differs, unless the outputs are to be replaced (``--overwrite``).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .._version import __version__
from ..errors import FileFormatError, MaxpoolError
from ..io.atomic import atomic_write
from .options import Settings

MANIFEST = ".maxpool-batch.json"  # hidden: folders scanned for inputs leave it out


class OptionsChangedError(MaxpoolError):
    """An output folder holds outputs made with other options."""

    def __init__(self, folder: Path, differences: dict[str, tuple[Any, Any]]) -> None:
        self.folder = folder
        self.differences = differences  # option name -> (recorded, now)
        super().__init__(
            f"{folder}: holds outputs made with other options ("
            + ", ".join(f"{name} {old!r}, now {new!r}" for name, (old, new) in differences.items())
            + ")"
        )


def recorded_options(settings: Settings) -> dict[str, Any]:
    """What decides the outputs' content: the pooling options, the format and the member."""
    options = asdict(settings.options)
    options = {k: list(v) if isinstance(v, tuple) else v for k, v in options.items()}
    return {**options, "format": settings.fmt, "key": settings.key}


def check_and_record(folder: Path, settings: Settings) -> None:
    """Refuse a folder whose outputs were made with other options (unless they are to be
    replaced), then record this batch's options in it."""
    path = folder / MANIFEST
    now = json.loads(json.dumps(recorded_options(settings)))  # as it reads back
    if path.exists() and not settings.overwrite:
        try:
            before = json.loads(path.read_text(encoding="utf-8"))["options"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise FileFormatError(f"{path}: unreadable record of a previous batch: {e}") from e
        differences = {
            name: (before.get(name), value)
            for name, value in now.items()
            if before.get(name) != value
        }
        if differences:
            raise OptionsChangedError(folder, differences)
        return
    record = {"maxpool": __version__, "options": now}
    with atomic_write(path, overwrite=True) as f:
        f.write(json.dumps(record, indent=2).encode() + b"\n")
