"""Whatever the input, memory stays within budget or the run refuses fast with one line;
whatever kills a run, the next one cleans up and finishes; races end in complete files.

Hostile files come from tests/bombs.py; runs are child processes, under an address-space cap
(RLIMIT_AS) where memory is the point, killed with SIGKILL where faults are.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import bombs
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from maxpool_cli import io as mio
from maxpool_cli import pool
from maxpool_cli.cli import cli
from maxpool_cli.io import atomic

GIB = 2**30


def run_child(
    args: list[str], address_space: int | None = None, user: int | None = None, timeout: float = 120
) -> tuple[subprocess.CompletedProcess[str], float]:
    """``maxpool ARGS`` in a child process, optionally under RLIMIT_AS or as another user;
    returns the result and the seconds it took."""

    def limits() -> None:
        if address_space is not None:
            resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
        if user is not None:
            os.setgid(user)
            os.setuid(user)

    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "maxpool_cli", *args],
        capture_output=True,
        text=True,
        preexec_fn=limits,
        timeout=timeout,
        check=False,
    )
    return done, time.perf_counter() - start


def _one_clean_error(done: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("Error: ")
    assert "unexpected" not in done.stderr
    assert "Traceback" not in done.stderr
    for fragment in fragments:
        assert fragment in done.stderr


# --- 1-3. memory: frame bombs, zip bombs, CSV --------------------------------------------------


def test_gif_frame_bomb_is_refused_fast(tmp_path: Path) -> None:
    bomb = bombs.gif_frame_bomb(tmp_path / "bomb.gif")  # 115 KB, 5,000 frames of 4000x4000
    assert bomb.stat().st_size < 200_000
    for args in (["run", str(bomb), "-o", str(tmp_path / "out.gif")], ["info", str(bomb)]):
        done, seconds = run_child(args, address_space=4 * GIB)
        _one_clean_error(done, "its 5,000 frames of 4000x4000 have more than 178,956,970 pixels")
        assert seconds < 10
    raised = ["run", str(bomb), "-o", str(tmp_path / "out.gif"), "--max-pixels", str(10**12)]
    done, seconds = run_child(raised, address_space=4 * GIB)
    _one_clean_error(done, "5,000 frames of 4000x4000 would need")  # memory, before decoding
    assert seconds < 10
    assert not (tmp_path / "out.gif").exists()


def test_many_pages_are_read_in_bounded_memory(tmp_path: Path) -> None:
    pages = bombs.tiff_of_pages(tmp_path / "pages.tif", pages=3000)
    out = tmp_path / "out.npz"
    done, seconds = run_child(["run", str(pages), "-o", str(out)], address_space=2 * GIB)
    assert done.returncode == 0, done.stderr
    assert seconds < 30
    with np.load(out) as pooled:
        assert len(pooled.files) == 3000
        np.testing.assert_array_equal(pooled["frame2999"], pool(np.asarray(Image.open(pages)), 2))


def test_npz_zip_bomb_is_never_inflated(tmp_path: Path) -> None:
    bomb = bombs.npz_zip_bomb(tmp_path / "bomb.npz", nbytes=GIB)  # about 1 MB on disk
    assert bomb.stat().st_size < 8 * 2**20
    cap = 1 * GIB  # inflating the member alone would need more
    args = ["run", str(bomb), "-o", str(tmp_path / "out.npz"), "--memory-limit", "256M"]
    done, seconds = run_child(args, address_space=cap)
    _one_clean_error(done, "pooling it in memory would need 1.5 GiB", "--memory-limit")
    assert seconds < 10
    done, seconds = run_child(["info", str(bomb), "--json"], address_space=cap)
    assert done.returncode == 0, done.stderr
    assert '"input_shape": [134217728]' in done.stdout  # described from its header
    assert seconds < 10
    # Two of them in a batch of two workers: each worker has half the budget.
    (tmp_path / "in").mkdir()
    for name in ("a", "b"):
        (tmp_path / "in" / f"{name}.npz").hardlink_to(bomb)
    args = ["run", str(tmp_path / "in"), "-o", str(tmp_path / "o"), "-j", "2"]
    done, seconds = run_child([*args, "--memory-limit", "1G"], address_space=2 * GIB)
    assert done.returncode == 1
    assert done.stderr.count("more than the memory limit 512.0 MiB") == 2
    assert seconds < 20


def test_one_line_csv_is_parsed_near_its_size(tmp_path: Path) -> None:
    csv = bombs.csv_one_line(tmp_path / "wide.csv", columns=10_000_000)  # 20 MB
    out = tmp_path / "out.npy"
    done, _ = run_child(["run", str(csv), "-k", "1,2", "-o", str(out)], address_space=2 * GIB)
    assert done.returncode == 0, done.stderr
    expected = pool((np.arange(10_000_000) % 10).reshape(1, -1), (1, 2))
    np.testing.assert_array_equal(np.load(out), expected)
    small = ["run", str(csv), "-k", "1,2", "-o", str(tmp_path / "o2.npy"), "--memory-limit", "64M"]
    done, seconds = run_child(small)
    _one_clean_error(done, "about 10,000,001 numbers would need", "--memory-limit")
    assert seconds < 5


# --- 4-6. kills and leftovers -------------------------------------------------------------------


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def test_sigkill_of_a_batch_takes_its_workers_too(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    noise = np.random.default_rng(4).integers(0, 255, (512, 512, 3), dtype=np.uint8)
    for i in range(60):
        Image.fromarray(np.roll(noise, i, axis=1)).save(src / f"{i:02d}.png", compress_level=1)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "maxpool_cli", "run", str(src), "-o", str(out), "-j", "2"]
    parent = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(list(out.glob("*.png"))) < 3:
        time.sleep(0.01)
    parent.send_signal(signal.SIGKILL)  # the parent only: its workers must notice
    _, stderr = parent.communicate(timeout=30)
    time.sleep(0.5)
    assert _processes_mentioning(str(src)) == []
    written = len(list(out.glob("*.png")))
    time.sleep(1.0)
    assert len(list(out.glob("*.png"))) == written  # nobody went on writing
    assert b"Traceback" not in stderr
    assert b"BrokenPipeError" not in stderr
    rerun = subprocess.run(command, capture_output=True, text=True, check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == sorted(
        p.name for p in src.iterdir()
    )
    assert [p.name for p in out.iterdir() if p.name.endswith(atomic.SUFFIX)] == []
    for name in ("00.png", "59.png"):
        expected = pool(np.asarray(Image.open(src / name)), 2, axes=(0, 1))
        np.testing.assert_array_equal(np.asarray(Image.open(out / name)), expected)


def test_a_killed_writers_temporary_is_removed_by_the_next_run(tmp_path: Path) -> None:
    x = np.random.default_rng(6).normal(size=(6000, 2000)).astype(np.float32)  # 48 MB
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "y.npy"
    args = [sys.executable, "-m", "maxpool_cli", "run", str(tmp_path / "x.npy"), "-o", str(out)]
    args += ["-k", "3", "-s", "1", "--memory-limit", "2M"]  # many small bands: a long write
    writer = subprocess.Popen(args, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not list(tmp_path.glob(f"*{atomic.SUFFIX}")):
        time.sleep(0.005)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    left = list(tmp_path.glob(f"*{atomic.SUFFIX}"))
    assert len(left) == 1  # SIGKILL leaves it: nothing can run on the way out
    assert not out.exists()
    rerun = subprocess.run(args, capture_output=True, text=True, check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert list(tmp_path.glob(f"*{atomic.SUFFIX}")) == []
    np.testing.assert_array_equal(np.load(out), pool(x, 3, stride=1))


def test_only_dead_writers_temporaries_are_removed(tmp_path: Path) -> None:
    target = tmp_path / "out.npy"
    host = socket.gethostname().replace(".", "_")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(dead.stdout)
    names = {
        "live": f".out.npy.{host}.{os.getpid()}.abc{atomic.SUFFIX}",  # a concurrent writer
        "dead": f".out.npy.{host}.{dead_pid}.def{atomic.SUFFIX}",
        "other host": f".out.npy.elsewhere.{dead_pid}.ghi{atomic.SUFFIX}",
        "other output": f".other.npy.{host}.{dead_pid}.jkl{atomic.SUFFIX}",
    }
    for name in names.values():
        (tmp_path / name).write_bytes(b"partial")
    (tmp_path / f".out.npy.{host}.{dead_pid}.zarr{atomic.SUFFIX}").mkdir()  # a Zarr store's
    removed = atomic.remove_stale_temporaries(target)
    assert sorted(p.name for p in removed) == sorted(
        [names["dead"], f".out.npy.{host}.{dead_pid}.zarr{atomic.SUFFIX}"]
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [names["live"], names["other host"], names["other output"]]
    )


def test_the_folder_is_synced_after_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append("folder" if os.path.isdir(f"/proc/self/fd/{fd}") else "file")
        real_fsync(fd)

    monkeypatch.setattr(atomic.os, "fsync", recording_fsync)
    mio.save(tmp_path / "x.npy", np.zeros(3))
    assert synced == ["file", "folder"]  # the data, then the rename


def test_a_folder_output_is_on_disk_before_it_takes_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A Zarr store or a folder of levels: thousands of files, synced in one syncfs.
    target = tmp_path / "store.zarr"
    seen: list[tuple[list[str], bool]] = []
    real = atomic.sync_tree

    def recording(folder: Path) -> None:
        real(folder)
        seen.append((sorted(p.name for p in folder.rglob("*")), target.exists()))

    monkeypatch.setattr(atomic, "sync_tree", recording)
    with atomic.atomic_folder(target) as folder:
        (folder / "0").mkdir()
        (folder / "0" / "c").write_bytes(b"chunk")
    assert seen == [(["0", "c"], False)]  # synced whole, and only then named
    assert (target / "0" / "c").read_bytes() == b"chunk"


def test_a_batch_syncs_every_file_and_each_folder_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Per file, the data before its rename; the renames once per folder at the end: a
    # folder sync per file cost a third of the time of a batch of small PNGs.
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    for name in ("a", "b", "c", "sub/d", "sub/e"):
        np.save(src / f"{name}.npy", np.arange(16.0).reshape(4, 4))
    synced: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        path = os.readlink(f"/proc/self/fd/{fd}")
        synced.append(f"folder {Path(path).name}" if os.path.isdir(path) else "file")
        real_fsync(fd)

    monkeypatch.setattr(atomic.os, "fsync", recording_fsync)
    args = ["run", str(src), "-r", "-o", str(tmp_path / "out"), "-q", "-j", "1"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    files = [s for s in synced if s == "file"]
    folders = sorted(s for s in synced if s.startswith("folder"))
    assert len(files) == 1 + 5  # the batch's manifest, then the outputs
    assert folders == ["folder out", "folder out", "folder sub"]  # the manifest's, then...
    assert sorted(synced[-2:]) == ["folder out", "folder sub"]  # ...each folder once, last


def test_a_batch_lists_its_output_folder_once_for_dead_writers_temporaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    host = socket.gethostname().replace(".", "_")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    left = out / f".b.npy.{host}.{int(dead.stdout)}.xyz{atomic.SUFFIX}"
    left.write_bytes(b"partial")  # a killed writer's, from an earlier run
    listed: list[str] = []
    real_scandir = os.scandir

    def counting_scandir(path: object) -> object:
        listed.append(os.fspath(path))  # type: ignore[arg-type]
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(atomic.os, "scandir", counting_scandir)
    monkeypatch.setattr(atomic, "_seen_temporaries", {})
    for name in "abcdef":
        mio.save(out / f"{name}.npy", np.zeros(3))
    assert listed == [str(out)]  # once, not once per file (a square in a folder of 10,000)
    assert not left.exists()


# --- 7. races -----------------------------------------------------------------------------------


def test_two_batches_on_one_folder_both_succeed(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    rng = np.random.default_rng(7)
    for i in range(80):
        np.save(src / f"{i:02d}.npy", rng.normal(size=(64, 64)))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "maxpool_cli", "run", str(src), "-o", str(out), "-j", "2"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in "ab"]
    results = [(r.wait(timeout=120), r.stderr.read().decode() if r.stderr else "") for r in runs]
    assert results == [(0, ""), (0, "")]  # losing the race for a file is a skip, not a failure
    for i in range(80):
        np.testing.assert_array_equal(
            np.load(out / f"{i:02d}.npy"), pool(np.load(src / f"{i:02d}.npy"), 2)
        )


def test_two_overwriting_runs_on_one_file_leave_one_whole_result(tmp_path: Path) -> None:
    x = np.random.default_rng(8).normal(size=(2000, 2000))
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "y.npy"
    command = [sys.executable, "-m", "maxpool_cli", "run", str(tmp_path / "x.npy")]
    command += ["-o", str(out), "--overwrite"]
    runs = [subprocess.Popen(command, stderr=subprocess.PIPE) for _ in range(3)]
    assert [r.wait(timeout=120) for r in runs] == [0, 0, 0]
    np.testing.assert_array_equal(np.load(out), pool(x, 2))
    assert list(tmp_path.glob(f"*{atomic.SUFFIX}")) == []


# --- 9, 12-14. errors that must be one clear line -----------------------------------------------


@contextlib.contextmanager
def _unprivileged() -> Iterator[None]:
    """File access as an ordinary user: root reads anything, so it acts as nobody (its
    effective user only, taken back at the end)."""
    if os.geteuid() != 0:
        yield
        return
    os.setegid(65534)
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A temporary folder every user can reach (pytest's own is private to its user)."""
    folder = Path(tempfile.mkdtemp(prefix="maxpool-test-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_unreadable_inputs_are_one_line(runner: CliRunner, open_tmp: Path) -> None:
    tmp_path = open_tmp
    folder = tmp_path / "in"
    folder.mkdir()
    np.save(folder / "small.npy", np.zeros((4, 4)))
    np.save(folder / "large.npy", np.zeros((3000, 3000)))  # 72 MB: the out-of-core path
    Image.fromarray(np.zeros((4, 4), dtype=np.uint8)).save(folder / "image.png")
    np.savez(folder / "archive.npz", a=np.zeros((4, 4)))
    (folder / "table.csv").write_text("1,2\n3,4\n")
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o777)
    paths = sorted(folder.iterdir())
    for path in paths:  # the code paths, loaded while they can be read
        assert runner.invoke(cli, ["run", str(path), "-o", str(out / path.name)]).exit_code == 0
        assert runner.invoke(cli, ["info", str(path)]).exit_code == 0
        (out / path.name).unlink()
        path.chmod(0)
    with _unprivileged():
        for path in paths:
            result = runner.invoke(cli, ["run", str(path), "-o", str(out / path.name)])
            assert result.exit_code == 1, result.stderr
            assert result.stderr == f"Error: {path}: cannot read: Permission denied\n"
            result = runner.invoke(cli, ["info", str(path)])
            assert result.stderr == f"Error: {path}: cannot read: Permission denied\n"


def test_npz_member_names_are_kept_exactly(runner: CliRunner, tmp_path: Path) -> None:
    src = tmp_path / "odd.npz"  # names numpy.savez cannot take as keywords
    with zipfile.ZipFile(src, "w") as archive:
        for member, array in (("allow_pickle", np.ones((4, 4))), ("file", np.zeros((4, 4)))):
            with archive.open(f"{member}.npy", "w") as f:
                np.lib.format.write_array(f, array)
        with archive.open("x y.npy", "w") as f:
            np.lib.format.write_array(f, np.eye(4))
    out = tmp_path / "out.npz"
    result = runner.invoke(cli, ["run", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    with np.load(out) as pooled:
        assert sorted(pooled.files) == ["allow_pickle", "file", "x y"]
        np.testing.assert_array_equal(pooled["allow_pickle"], np.ones((2, 2)))
    clash = tmp_path / "clash.npz"
    with zipfile.ZipFile(clash, "w") as archive:
        for member in ("a", "a.npy"):
            with archive.open(member, "w") as f:
                np.lib.format.write_array(f, np.zeros((4, 4)))
    result = runner.invoke(cli, ["run", str(clash), "-o", str(tmp_path / "c.npz")])
    assert result.exit_code == 1
    assert "members 'a' and 'a.npy' are both the array 'a' to NumPy" in result.stderr
    assert not (tmp_path / "c.npz").exists()


def test_an_output_that_is_a_folder_is_a_failure(runner: CliRunner, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    np.save(src / "a.npy", np.zeros((4, 4)))
    np.save(src / "b.npy", np.zeros((4, 4)))
    (tmp_path / "out" / "a.npy").mkdir(parents=True)
    result = runner.invoke(cli, ["run", str(src), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert f"Error: {src / 'a.npy'}: its output {tmp_path / 'out' / 'a.npy'} is a folder" in (
        result.stderr
    )
    assert (tmp_path / "out" / "b.npy").is_file()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
