"""Batches on screen: the progress bar on stderr (rich, terminals only) and the closing summary
(plain text)."""

from __future__ import annotations

from rich.console import Console

from ..io.sizes import human
from ..jobs.batch import FailureGroup, Outcome, Summary, Task


class BatchProgress:
    """A progress bar on stderr: files, bytes, rate and time left.

    It refreshes only when a file completes (no refresh thread), so that worker processes
    are never forked while a thread holds a lock.
    """

    def __init__(self, console: Console, tasks: list[Task]) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("[bold]pooling"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[size]}"),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=console,
            auto_refresh=False,
            transient=True,
        )
        self._total_bytes = sum(t.size for t in tasks)
        self._bytes = 0
        self._task = self._progress.add_task("", total=len(tasks), size="", rate="")
        self._progress.start()

    def advance(self, outcome: Outcome) -> None:
        self._bytes += outcome.in_bytes
        task = self._progress.tasks[0]
        elapsed = task.elapsed or 0.0
        rate = f"{(task.completed + 1) / elapsed:.1f} files/s" if elapsed > 0 else ""
        size = f"{human(self._bytes)} of {human(self._total_bytes)}"
        self._progress.update(self._task, advance=1, size=size, rate=rate)
        self._progress.refresh()

    def stop(self) -> None:
        self._progress.stop()


def summary_lines(summary: Summary, groups: list[FailureGroup], notes: dict[str, int]) -> list[str]:
    """The end of a batch in plain text: counts, bytes, time, the failures grouped by reason
    (how many, and the first few files), and notes with the number of files they concern."""
    rate = summary.done / summary.seconds if summary.seconds > 0 else 0.0
    rows = [
        ("done", str(summary.done)),
        ("skipped (output exists)", str(summary.skipped)),
        ("failed", str(summary.failed)),
        ("read", human(summary.in_bytes)),
        ("written", human(summary.out_bytes)),
        ("time", f"{summary.seconds:.2f} s ({rate:.1f} files/s)"),
    ]
    width = max(len(label) for label, _ in rows)
    lines = [f"  {label:<{width}}  {value}" for label, value in rows]
    if groups:
        lines.append("failed, by reason:")
        for group in groups:
            more = group.count - len(group.examples)
            files = ", ".join(group.examples) + (f" and {more} more" if more else "")
            lines.append(f"  {group.count:>5}  {group.reason}: {files}")
    for note, count in notes.items():
        lines.append(f"note: {note} ({count} file{'s' if count > 1 else ''})")
    return lines
