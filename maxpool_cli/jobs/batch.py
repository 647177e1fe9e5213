"""Many inputs: finding the files, pooling each in a worker process, and what became of each.

:func:`discover` turns inputs (files and folders) into tasks, one output path per file, the
output tree mirroring the input tree. :func:`run_tasks` pools them, each file read, pooled
and written inside a worker, and reports every :class:`Outcome` as it completes. Nothing
here prints: the command line renders progress and the summary from the outcomes.
"""

from __future__ import annotations

import ctypes
import fnmatch
import functools
import multiprocessing
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from ..errors import FileFormatError, MaxpoolError, OutputExistsError
from ..io.atomic import fsync_folder
from ..io.formats import DEFAULT_EXTENSION, EXTENSIONS, from_extension, is_zarr_store
from .one_file import ArrayReport, pool_to_file
from .options import Settings

Status = Literal["done", "skipped", "failed"]
PR_SET_PDEATHSIG = 1  # linux/prctl.h


@dataclass(frozen=True)
class Task:
    """One input file and the output path it is pooled to."""

    source: Path
    target: Path
    size: int = 0


@dataclass(frozen=True)
class Outcome:
    """What became of one input: done (written), skipped (output already there) or failed."""

    source: str
    target: str | None
    status: Status
    reason: str = ""
    in_bytes: int = 0
    out_bytes: int = 0
    seconds: float = 0.0
    arrays: list[ArrayReport] = field(default_factory=list)
    notes: tuple[str, ...] = ()


def discover(
    inputs: Iterable[str],
    output_dir: Path,
    recursive: bool = False,
    globs: tuple[str, ...] = (),
    fmt: str | None = None,
    overwrite: bool = False,
) -> tuple[list[Task], list[Outcome]]:
    """The tasks for ``inputs`` (found by :func:`find_inputs`), and the outcomes already known:
    missing inputs, outputs that exist and are skipped, outputs two inputs would share, and
    outputs that are folders.
    """
    found, missing = find_inputs(inputs, recursive, globs, output_dir.resolve())
    outcomes = [Outcome(raw, None, "failed", "no such file or folder") for raw in missing]
    tasks: list[Task] = []
    claimed: dict[Path, Path] = {}
    for source, relative in found:
        if fmt is not None:
            relative = relative.with_suffix(DEFAULT_EXTENSION[fmt])
        target = output_dir / relative
        key = target.resolve()
        if key in claimed:
            reason = f"its output {target} is also the output of {claimed[key]}"
            outcomes.append(Outcome(str(source), str(target), "failed", reason))
            continue
        claimed[key] = source
        if target.is_dir():
            reason = f"its output {target} is a folder"
            outcomes.append(Outcome(str(source), str(target), "failed", reason))
            continue
        if target.exists() and not overwrite:
            outcomes.append(Outcome(str(source), str(target), "skipped", "output exists"))
            continue
        tasks.append(Task(source, target, _size(source)))
    return tasks, outcomes


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def find_inputs(
    inputs: Iterable[str],
    recursive: bool = False,
    globs: tuple[str, ...] = (),
    skip: Path | None = None,
) -> tuple[list[tuple[Path, Path]], list[str]]:
    """The files that inputs name, each with the path its output mirrors, and the inputs that
    do not exist.

    Files named directly are taken whatever their extension; folders contribute the files
    with a known extension that match ``globs`` (all of them when there are none). Hidden
    files and folders, ``skip`` (the output folder), and folders seen twice (symlink loops)
    are left out. With several inputs, each folder's tree goes under a folder of its name.
    """
    inputs = list(inputs)
    found: list[tuple[Path, Path]] = []  # (source, path relative to the output folder)
    missing: list[str] = []
    for raw in inputs:
        path = Path(raw)
        if path.is_dir() and not is_zarr_store(path):
            prefix = Path(path.resolve().name) if len(inputs) > 1 else Path()
            for file in _walk(path, recursive, skip):
                if from_extension(file) is None or not _matches(file.name, globs):
                    continue
                found.append((file, prefix / file.relative_to(path)))
        elif path.exists() or raw == "-":
            found.append((path, Path(path.name)))
        else:
            missing.append(raw)
    return found, missing


def nothing_found(
    sources: Iterable[str], globs: tuple[str, ...], recursive: bool, purpose: str
) -> FileFormatError:
    """The error for folders that hold no file to ``purpose`` (pool, describe)."""
    narrowed = f" matching {', '.join(globs)}" if globs else ""
    deeper = "" if recursive else " (-r goes into subfolders)"
    known = ", ".join(sorted(EXTENSIONS))
    return FileFormatError(
        f"{', '.join(sources)}: no file to {purpose}: expected files{narrowed} with one of the "
        f"extensions {known}{deeper}"
    )


def _matches(name: str, globs: tuple[str, ...]) -> bool:
    return not globs or any(fnmatch.fnmatch(name, pattern) for pattern in globs)


def _walk(folder: Path, recursive: bool, skip: Path | None) -> Iterator[Path]:
    """Files under ``folder`` in sorted order, without hidden entries, ``skip`` or loops."""
    seen: set[Path] = set()
    for root, dirs, files in os.walk(folder, followlinks=True):
        here = Path(root)
        real = here.resolve()
        if real in seen or (skip is not None and (real == skip or skip in real.parents)):
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")) if recursive else []
        for name in sorted(files):
            if not name.startswith("."):
                yield here / name


def process(task: Task, settings: Settings) -> Outcome:
    """Read, pool and write one file; every error becomes a failed outcome, never a raise."""
    start = time.perf_counter()
    if task.target.is_dir():
        return Outcome(str(task.source), str(task.target), "failed", "its output is a folder")
    if task.target.exists() and not settings.overwrite:
        # Written since the batch was planned: by a retry of this very task (a worker that
        # died after writing it), or by another run. Either way the file is there.
        return Outcome(str(task.source), str(task.target), "skipped", "output exists")
    try:
        task.target.parent.mkdir(parents=True, exist_ok=True)
        report = pool_to_file(task.source, task.target, settings)
    except OutputExistsError:
        # Another run wrote it meanwhile (two batches on one folder): theirs stands.
        return Outcome(str(task.source), str(task.target), "skipped", "output exists")
    except MaxpoolError as e:
        return Outcome(str(task.source), str(task.target), "failed", _reason(e, task.source))
    except OSError as e:
        reason = f"{e.strerror or e}" + (f": {e.filename}" if e.filename else "")
        return Outcome(str(task.source), str(task.target), "failed", reason)
    except Exception as e:  # a bug must not take the other files down with it
        reason = f"unexpected {type(e).__name__}: {e} (this is a bug)"
        return Outcome(str(task.source), str(task.target), "failed", reason)
    try:
        written = task.target.stat().st_size
    except OSError as e:
        # Removed (or made unreadable) by another process the moment it was written.
        reason = f"written, then gone before it could be checked: {e.strerror or e}"
        return Outcome(str(task.source), str(task.target), "failed", reason)
    return Outcome(
        str(task.source),
        str(task.target),
        "done",
        in_bytes=task.size,
        out_bytes=written,
        seconds=time.perf_counter() - start,
        arrays=report.arrays,
        notes=report.notes,
    )


def _finished_unreported(tasks: list[Task], outcomes: list[Outcome]) -> list[Outcome]:
    """Tasks whose workers wrote the output but were stopped before reporting it (Ctrl-C
    during a batch): as done, so that the count said matches the files on disk. A task's
    output did not exist when the batch was planned (resuming skips those), so one that
    exists now was written by this batch."""
    reported = {o.source for o in outcomes}
    found = []
    for task in tasks:
        if str(task.source) in reported:
            continue
        try:
            written = task.target.stat().st_size
        except OSError:
            continue
        found.append(Outcome(str(task.source), str(task.target), "done", out_bytes=written))
    return found


def _reason(error: Exception, source: Path) -> str:
    """The error's message without the leading file name (the outcome names the file)."""
    message = str(error)
    prefix = f"{source}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


def _worker_init(parent: int) -> None:
    # Ctrl-C goes to the parent, which stops the workers with SIGTERM; raising SystemExit
    # on it lets a worker's atomic write remove its temporary file on the way out.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_on_term)
    _die_with(parent)


def _die_with(parent: int) -> None:
    """Have the kernel send SIGTERM to this worker when its parent dies (SIGKILL of the
    command): no worker goes on writing outputs, or tracebacks, on its own."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):
            pass  # no prctl: the parent's death is then noticed at the next hand-over
    if os.getppid() != parent:  # it died before the request was made
        raise SystemExit(128 + signal.SIGTERM)


def _exit_on_term(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def run_tasks(
    tasks: list[Task],
    settings: Settings,
    jobs: int,
    fail_fast: bool = False,
    on_outcome: Callable[[Outcome], None] = lambda outcome: None,
) -> list[Outcome]:
    """Pool every task (in ``jobs`` worker processes), reporting outcomes as they complete.

    With ``fail_fast`` the first failure stops the batch: files not yet started are not
    done. Ctrl-C (KeyboardInterrupt) stops the workers and is raised again; atomic writes
    leave no partial file either way.
    """
    outcomes: list[Outcome] = []
    # Each output's data is synced before its rename; the renames are made durable once
    # per folder at the end (or on the way out), not once per file.
    settings = replace(settings, sync_folders=False)
    try:
        _run(tasks, settings, jobs, fail_fast, outcomes, on_outcome)
    finally:
        for folder in {Path(o.target).parent for o in outcomes if o.status == "done" and o.target}:
            fsync_folder(folder)
    return outcomes


def _run(
    tasks: list[Task],
    settings: Settings,
    jobs: int,
    fail_fast: bool,
    outcomes: list[Outcome],
    on_outcome: Callable[[Outcome], None],
) -> None:
    if jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            outcome = process(task, settings)
            outcomes.append(outcome)
            on_outcome(outcome)
            if fail_fast and outcome.status == "failed":
                break
        return
    per_worker = replace(settings, memory_limit=settings.memory_limit // jobs)
    context = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    pool = context.Pool(processes=jobs, initializer=_worker_init, initargs=(os.getpid(),))
    try:
        work = functools.partial(process, settings=per_worker)
        # Small chunks amortise the hand-over of many small files; few, so results stream.
        chunk = max(1, min(8, len(tasks) // (jobs * 8)))
        for outcome in pool.imap_unordered(work, tasks, chunksize=chunk):
            outcomes.append(outcome)
            on_outcome(outcome)
            if fail_fast and outcome.status == "failed":
                break
    except BaseException:
        pool.terminate()
        pool.join()
        for outcome in _finished_unreported(tasks, outcomes):
            outcomes.append(outcome)
            on_outcome(outcome)
        raise
    if fail_fast:
        pool.terminate()  # files not yet started are not done
    else:
        pool.close()
    pool.join()


def prepare_output(folder: Path) -> None:
    """Make the output folder, and prove it can be written, before any file is pooled (so
    that a folder that cannot be written is one error, not one per file)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".maxpool-probe."):
            pass
    except FileExistsError:
        raise FileFormatError(f"{folder}: is a file; expected a folder for the outputs") from None
    except OSError as e:
        raise FileFormatError(f"{folder}: cannot write into it: {e.strerror or e}") from e


@dataclass(frozen=True)
class FailureGroup:
    """Failures that share a reason: how many, and the first few files."""

    reason: str
    count: int
    examples: list[str]


def group_failures(outcomes: list[Outcome], examples: int = 3) -> list[FailureGroup]:
    """The failures grouped by reason, the most common first."""
    groups: dict[str, list[str]] = {}
    for o in outcomes:
        if o.status == "failed":
            groups.setdefault(o.reason, []).append(o.source)
    ranked = sorted(groups.items(), key=lambda item: -len(item[1]))
    return [FailureGroup(reason, len(files), files[:examples]) for reason, files in ranked]


@dataclass(frozen=True)
class Summary:
    """Counts and totals of a batch."""

    done: int
    skipped: int
    failed: int
    in_bytes: int
    out_bytes: int
    seconds: float

    @classmethod
    def of(cls, outcomes: list[Outcome], seconds: float) -> Summary:
        return cls(
            done=sum(o.status == "done" for o in outcomes),
            skipped=sum(o.status == "skipped" for o in outcomes),
            failed=sum(o.status == "failed" for o in outcomes),
            in_bytes=sum(o.in_bytes for o in outcomes),
            out_bytes=sum(o.out_bytes for o in outcomes),
            seconds=seconds,
        )
