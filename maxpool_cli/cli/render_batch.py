"""Rich renderables for batches: the progress bar on stderr and the closing summary."""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..io.sizes import human
from ..jobs.batch import Outcome, Summary, Task


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


def summary_view(summary: Summary, outcomes: list[Outcome]) -> Group:
    """The end of a batch: counts, bytes, time, and every failure with its reason."""
    table = Table(box=None, show_header=False, padding=(0, 2))
    table.add_column(style="dim")
    table.add_column(justify="right")
    table.add_row("done", Text(str(summary.done), style="green" if summary.done else ""))
    table.add_row("skipped (output exists)", str(summary.skipped))
    table.add_row("failed", Text(str(summary.failed), style="bold red" if summary.failed else ""))
    table.add_row("read", human(summary.in_bytes))
    table.add_row("written", human(summary.out_bytes))
    rate = summary.done / summary.seconds if summary.seconds > 0 else 0.0
    table.add_row("time", f"{summary.seconds:.2f} s ({rate:.1f} files/s)")
    parts: list[RenderableType] = [table]
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        reasons = Table(title="failed", title_justify="left", box=None, padding=(0, 2))
        reasons.add_column("file", overflow="fold")
        reasons.add_column("reason", overflow="fold")
        for o in failed:
            reasons.add_row(o.source, o.reason)
        parts.append(reasons)
    return Group(*parts)
