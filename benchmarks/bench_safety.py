"""Reliability under hostile inputs and kills (issue 13): time, peak memory and result of each.

    python benchmarks/bench_safety.py                  # every scenario (a few minutes, ~200 MB)
    python benchmarks/bench_safety.py --bomb-gib 1 --pages 2000 --csv-mb 20 --kill-trials 1

Each scenario runs ``maxpool`` in a child process (``--maxpool``: a Python with maxpool
installed, or a ``maxpool`` script; default: this Python's ``-m maxpool_cli``), under an
address-space cap (RLIMIT_AS, ``--cap``, 4 GiB) for the memory scenarios, started by a small
intermediate process that reports the wall time and the peak RSS of the command's largest
process (the kernel's ``ru_maxrss``); for batches the peak of the whole tree's summed RSS is
sampled from /proc too. The result is the exit code and the last line of standard error, or
OK (with a check of the output). The hostile files come from tests/bombs.py:

- a GIF frame bomb: 115 KB, 5,000 1x1 frames on a 4000x4000 canvas (``run``, ``info``), and
  the same with 60 frames (1.4 KB);
- a TIFF of 10,000 pages (``run -o out.npz``);
- an ``.npz`` whose member inflates to 4 GiB (``run --memory-limit 256M``, ``info``, and two
  of them in a ``-j 2`` batch);
- one-line CSVs of 10M columns (20 MB) and 50M columns (100 MB) (``run -k 1,2 -o out.npy``);
- SIGKILL of a ``-j 2`` batch's parent while it works: seconds until no worker is left,
  outputs written after the kill, lines on standard error (tracebacks), and whether a rerun
  right away (at the kill, and once the workers are gone) exits 0 with every output whole.

Targets (the issue): every hostile input is refused with one line in seconds or pooled within
its memory limit, never an unexpected MemoryError or a traceback; after a SIGKILL no worker
goes on and nothing more is written, and a rerun at once finishes the batch.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from measure import maxpool_command  # (benchmarks/measure.py, beside this script)
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import bombs

GIB = 2**30
MiB = 2**20

# The intermediate process: small (the kernel carries a parent's peak RSS into the child it
# starts), it caps the address space it and the command share, and reports the command's peak.
PROBE = """
import resource, subprocess, sys, time
cap, timeout = int(sys.argv[1]), float(sys.argv[2])
if cap:
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
start = time.perf_counter()
try:
    done = subprocess.run(sys.argv[3:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          timeout=timeout)
    code, err = done.returncode, done.stderr
except subprocess.TimeoutExpired as e:
    code, err = "timeout", e.stderr or b""
seconds = time.perf_counter() - start
sys.stderr.write(err.decode(errors="replace"))
print(code, seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


# --- processes ----------------------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, str, int] | None:
    """(parent pid, state, RSS in bytes) of a process, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return int(fields[1]), fields[0], int(fields[21]) * os.sysconf("SC_PAGE_SIZE")


def _all_stats() -> dict[int, tuple[int, str, int]]:
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            found = _stat(int(entry))
            if found is not None:
                stats[int(entry)] = found
    return stats


def descendants(root: int) -> dict[int, int]:
    """The live descendants of ``root``: pid -> RSS in bytes."""
    stats = _all_stats()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = {}, list(children.get(root, []))
    while todo:
        pid = todo.pop()
        if stats[pid][1] != "Z":
            found[pid] = stats[pid][2]
        todo.extend(children.get(pid, []))
    return found


def alive(pids: set[int]) -> set[int]:
    """The ones still running (a zombie waiting for its reaper is not)."""
    return {pid for pid in pids if (s := _stat(pid)) is not None and s[1] != "Z"}


def mentioning(text: str) -> set[int]:
    """Processes whose command line holds ``text`` (forked workers keep their parent's)."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                if text.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                    found.add(int(entry))
            except OSError:
                pass
    return alive(found)


# --- one measured run ---------------------------------------------------------------------------


@dataclass
class Result:
    code: str
    seconds: float
    rss_mib: float  # the largest process, by the kernel
    tree_mib: float  # the summed RSS of the command's processes, sampled every 20 ms
    stderr: str

    def summary(self, ok: str = "OK") -> str:
        lines = self.stderr.strip().splitlines()
        tracebacks = self.stderr.count("Traceback")
        if self.code == "0" and not lines:
            return ok
        if not lines:
            return f"exit {self.code}"
        text = f"exit {self.code}: {lines[-1]}"
        if len(lines) > 1:
            text += f" ({len(lines)} lines on stderr, {tracebacks} tracebacks)"
        return text


def measure(command: list[str], cap: int = 0, timeout: float = 300) -> Result:
    probe_cmd = [sys.executable, "-S", "-c", PROBE, str(cap), str(timeout), *command]
    probe = subprocess.Popen(probe_cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    tree = 0
    while probe.poll() is None:
        tree = max(tree, sum(descendants(probe.pid).values()))
        time.sleep(0.02)
    out, err = probe.communicate()
    code, seconds, rss_kib = out.decode().split()
    stderr = re.sub(r"\S*/maxpool-safety-[^/]+/", "", err.decode(errors="replace"))  # names only
    return Result(code, float(seconds), int(rss_kib) / 1024, tree / MiB, stderr)


# --- scenarios ----------------------------------------------------------------------------------


@dataclass
class Row:
    scenario: str
    before: str
    cap: str
    time: str
    rss: str
    result: str


def row(scenario: str, before: str, cap: int, result: Result, ok: str = "OK") -> Row:
    cap_text = f"{cap / GIB:g} GiB" if cap else "none"
    print(f"  {scenario}: {result.summary(ok)}", flush=True)
    return Row(
        scenario,
        before,
        cap_text,
        f"{result.seconds:.1f} s",
        f"{result.rss_mib:.0f} MiB",
        result.summary(ok),
    )


def gif_rows(maxpool: list[str], work: Path, cap: int) -> list[Row]:
    bomb = bombs.gif_frame_bomb(work / "bomb.gif")
    small = bombs.gif_frame_bomb(work / "bomb60.gif", frames=60)
    kb, small_kb = bomb.stat().st_size / 1000, small.stat().st_size / 1000
    before = "unexpected MemoryError after 14-26 s (4 GB cap)"
    rows = []
    for args, what in [
        (["run", str(bomb), "-o", str(work / "out.gif")], "run -o out.gif"),
        (["info", str(bomb)], "info"),
    ]:
        name = f"GIF frame bomb ({kb:.0f} KB, 5,000 frames of 4000x4000): `{what}`"
        rows.append(row(name, before, cap, measure([*maxpool, *args], cap)))
    name = f"GIF of 60 frames of 4000x4000 ({small_kb:.1f} KB): `run -o out.gif`"
    args = ["run", str(small), "-o", str(work / "out60.gif")]
    rows.append(row(name, "7.4 GB", cap, measure([*maxpool, *args], cap)))
    return rows


def tiff_row(maxpool: list[str], work: Path, cap: int, pages: int) -> Row:
    src = bombs.tiff_of_pages(work / "pages.tif", pages=pages)
    out = work / "pages.npz"
    result = measure([*maxpool, "run", str(src), "-o", str(out)], cap)
    ok = "OK"
    if result.code == "0":
        with zipfile.ZipFile(out) as archive:
            ok = f"OK, {len(archive.namelist()):,} arrays"
        out.unlink()
    size = src.stat().st_size / 1e6
    name = f"TIFF of {pages:,} pages ({size:.1f} MB): `run -o out.npz`"
    return row(name, "106 s, 1.35 GB", cap, result, ok)


def npz_rows(maxpool: list[str], work: Path, cap: int, gib: float) -> list[Row]:
    bomb = bombs.npz_zip_bomb(work / "bomb.npz", nbytes=int(gib * GIB))
    mb = bomb.stat().st_size / 1e6
    what = f"npz zip bomb ({mb:.1f} MB, a member of {gib:g} GiB)"
    rows = []
    args = ["run", str(bomb), "-o", str(work / "out.npz"), "--memory-limit", "256M"]
    rows.append(
        row(
            f"{what}: `run --memory-limit 256M`",
            "6.2 GB, 49 s",
            cap,
            measure([*maxpool, *args], cap),
        )
    )
    result = measure([*maxpool, "info", str(bomb)], cap)
    rows.append(row(f"{what}: `info`", "9.2 GB", cap, result))
    folder = work / "bombs"
    folder.mkdir()
    for name in ("a", "b"):
        (folder / f"{name}.npz").hardlink_to(bomb)
    args = ["run", str(folder), "-o", str(work / "bombs_out"), "-j", "2"]
    result = measure([*maxpool, *args], cap)
    found = row("two of them, `run DIR -o OUT -j 2`", "12 GiB", cap, result)
    found.rss += f" (tree {result.tree_mib:.0f} MiB)"
    rows.append(found)
    bomb.unlink()
    shutil.rmtree(folder)
    return rows


def csv_rows(maxpool: list[str], work: Path, cap: int, sizes_mb: list[int]) -> list[Row]:
    before = {20: "421 MB", 100: "1.8 GB"}
    rows = []
    for mb in sizes_mb:
        columns = mb * 500_000  # 2 bytes a number
        src = bombs.csv_one_line(work / f"wide{mb}.csv", columns=columns)
        out = work / "wide.npy"
        result = measure([*maxpool, "run", str(src), "-k", "1,2", "-o", str(out)], cap)
        ok = "OK"
        if result.code == "0":
            shape = np.load(out, mmap_mode="r").shape
            ok = "OK" if shape == (1, columns // 2) else f"exit 0 but shape {shape}"
            out.unlink()
        name = f"one-line CSV of {columns / 1e6:g}M columns ({src.stat().st_size / 1e6:.0f} MB)"
        rows.append(row(f"{name}: `run -k 1,2 -o out.npy`", before.get(mb, ""), cap, result, ok))
        src.unlink()
    return rows


@dataclass
class Kill:
    workers: int
    seconds_to_no_worker: float
    written_after: int
    stderr_lines: int
    tracebacks: int
    rerun_code: int
    rerun_line: str
    complete: bool


def make_batch(folder: Path, count: int) -> None:
    folder.mkdir()
    noise = np.random.default_rng(4).integers(0, 255, (512, 512, 3), dtype=np.uint8)
    for i in range(count):
        Image.fromarray(np.roll(noise, i, axis=1)).save(folder / f"{i:03d}.png", compress_level=1)


def outputs(folder: Path) -> int:
    return len(list(folder.glob("*.png"))) if folder.is_dir() else 0


def kill_trial(maxpool: list[str], src: Path, out: Path, rerun_at_once: bool) -> Kill:
    """SIGKILL a ``-j 2`` batch's parent once it has written 3 outputs; then rerun it, at once
    or once no worker is left."""
    shutil.rmtree(out, ignore_errors=True)
    command = [*maxpool, "run", str(src), "-o", str(out), "-j", "2"]
    parent = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and outputs(out) < 3:
        time.sleep(0.005)
    workers = set(descendants(parent.pid)) | (mentioning(str(src)) - {parent.pid})
    parent.send_signal(signal.SIGKILL)
    killed_at = time.perf_counter()
    parent.wait()
    at_kill = outputs(out)
    rerun = None
    if rerun_at_once:
        rerun = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    gone = float("nan")
    while time.perf_counter() - killed_at < 30:
        if not alive(workers):
            gone = time.perf_counter() - killed_at
            break
        time.sleep(0.005)
    stderr = parent.stderr.read().decode(errors="replace") if parent.stderr else ""
    written_after = 0
    if rerun is None:
        time.sleep(0.5)
        written_after = outputs(out) - at_kill
        rerun = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, rerun_err = rerun.communicate(timeout=300)
    lines = rerun_err.decode(errors="replace").strip().splitlines()
    names = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    leftovers = [p for p in out.iterdir() if p.name.endswith(".part")]  # a writer's temporary
    complete = names == sorted(p.name for p in src.iterdir()) and not leftovers
    for name in names if complete else []:  # whole files: each decodes
        with Image.open(out / name) as image:
            image.load()
    return Kill(
        workers=len(workers),
        seconds_to_no_worker=gone,
        written_after=written_after,
        stderr_lines=len(stderr.strip().splitlines()),
        tracebacks=stderr.count("Traceback"),
        rerun_code=rerun.returncode,
        rerun_line=lines[-1][:120] if lines else "",
        complete=complete,
    )


def kill_rows(maxpool: list[str], work: Path, trials: int, files: int) -> list[Row]:
    src = work / "batch"
    make_batch(src, files)
    out = work / "batch_out"
    print(f"  SIGKILL of a -j 2 batch of {files} PNGs, {trials} trials of each kind...")
    waited = [kill_trial(maxpool, src, out, rerun_at_once=False) for _ in range(trials)]
    at_once = [kill_trial(maxpool, src, out, rerun_at_once=True) for _ in range(trials)]
    both = waited + at_once

    def reruns(kills: list[Kill]) -> str:
        good = sum(k.rerun_code == 0 and k.complete for k in kills)
        text = f"{good} of {len(kills)} exit 0 with every output whole"
        bad = [k for k in kills if k.rerun_code != 0 or not k.complete]
        if bad:
            text += f"; e.g. exit {bad[0].rerun_code}: {bad[0].rerun_line or 'incomplete'}"
        return text

    gone = [k.seconds_to_no_worker for k in both]
    written = [k.written_after for k in waited]
    stderr = [k.stderr_lines for k in both]
    tracebacks = sum(k.tracebacks for k in both)
    name = f"SIGKILL of a `-j 2` batch's parent ({files} PNGs)"
    result = (
        f"{min(k.workers for k in both)}-{max(k.workers for k in both)} workers at the kill; "
        f"no worker left after {statistics.median(gone):.2f} s (max {max(gone):.2f}); "
        f"{min(written)}-{max(written)} outputs written after the kill; "
        f"{max(stderr)} lines on stderr, {tracebacks} tracebacks in {len(both)} kills; "
        f"rerun once the workers are gone: {reruns(waited)}; rerun at the kill: {reruns(at_once)}"
    )
    print(f"  {name}: {result}", flush=True)
    before = (
        "workers go on ~1 s, write 6-11 more outputs, ~68 lines of BrokenPipeError "
        "tracebacks; an immediate rerun fails 2 times in 3"
    )
    return [Row(name, before, "none", "", "", result)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--maxpool", default=sys.executable, help="Python or maxpool command")
    parser.add_argument("--cap", type=float, default=4, help="RLIMIT_AS in GiB (0: none)")
    parser.add_argument("--bomb-gib", type=float, default=4, help="the npz member's size")
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--csv-mb", type=int, nargs="+", default=[20, 100])
    parser.add_argument("--kill-trials", type=int, default=3, help="of each kind")
    parser.add_argument("--kill-files", type=int, default=100)
    args = parser.parse_args()
    maxpool = maxpool_command(args.maxpool)
    cap = int(args.cap * GIB)
    print(f"maxpool: {shlex.join(maxpool)}", flush=True)
    with tempfile.TemporaryDirectory(prefix="maxpool-safety-") as tmp:
        work = Path(tmp)
        rows = gif_rows(maxpool, work, cap)
        rows.append(tiff_row(maxpool, work, cap, args.pages))
        rows += npz_rows(maxpool, work, cap, args.bomb_gib)
        rows += csv_rows(maxpool, work, cap, args.csv_mb)
        rows += kill_rows(maxpool, work, args.kill_trials, args.kill_files)
    print("\n| scenario | before (issue 13) | RLIMIT_AS | time | peak RSS | result |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r.scenario} | {r.before} | {r.cap} | {r.time} | {r.rss} | {r.result} |")


if __name__ == "__main__":
    main()
