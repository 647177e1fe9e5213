"""An input is never modified or lost, and a replaced folder output is at every instant the
old folder or the new one, whole: ``pyramid`` refuses its own input as output (as ``run``
does), and ``--overwrite`` swaps the new folder in before the old one is removed."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from maxpool_cli.cli import cli
from maxpool_cli.io import atomic

ASTRONAUT = Path(__file__).resolve().parents[1] / "sample_data" / "astronaut.png"


def _digest(folder: Path) -> str:
    """Every file under ``folder``, by relative name and content."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


@pytest.fixture
def store(tmp_path: Path) -> Path:
    out = tmp_path / "s.ome.zarr"
    done = CliRunner().invoke(cli, ["pyramid", str(ASTRONAUT), "-o", str(out), "-q"])
    assert done.exit_code == 0, done.output
    return out


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [
        ("s.ome.zarr", "s.ome.zarr", "is the input"),
        ("s.ome.zarr", "./sub/../s.ome.zarr", "is the input"),
        ("link.zarr", "s.ome.zarr", "is the input"),
        ("s.ome.zarr/0", "s.ome.zarr", "holds the input"),
        ("s.ome.zarr", "s.ome.zarr/0/inner.zarr", "is inside the input store"),
    ],
)
def test_pyramid_refuses_its_input_as_output(
    store: Path, source: str, target: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(store.parent)
    (store.parent / "sub").mkdir()
    (store.parent / "link.zarr").symlink_to(store.name)
    before = _digest(store)
    for extra in ([], ["--overwrite"]):
        done = CliRunner().invoke(cli, ["pyramid", source, "-o", target, *extra])
        assert done.exit_code == 2, done.output
        assert message in done.output
        assert _digest(store) == before  # untouched, with or without --overwrite


def test_pyramid_refuses_a_hard_link_of_its_input(tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(ASTRONAUT.read_bytes())
    os.link(image, tmp_path / "b.png")
    done = CliRunner().invoke(cli, ["pyramid", str(image), "-o", str(tmp_path / "b.png")])
    assert done.exit_code == 2, done.output
    assert "is the input" in done.output
    assert image.read_bytes() == ASTRONAUT.read_bytes()


def test_a_folder_is_replaced_by_swapping_never_missing(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "old").write_text("old")
    seen: list[bool] = []
    real_rename = os.rename

    def watching(a: object, b: object) -> None:
        seen.append(target.exists())
        real_rename(a, b)  # type: ignore[arg-type]

    with atomic.atomic_folder(target, overwrite=True) as folder:
        (folder / "new").write_text("new")
        os.rename = watching  # type: ignore[assignment]
    os.rename = real_rename
    assert sorted(p.name for p in target.iterdir()) == ["new"]
    assert all(seen)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(atomic.SUFFIX)]


def test_the_slow_way_round_also_keeps_a_whole_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the file system cannot exchange two names: the old folder is renamed aside,
    the new one in, then the old one removed."""
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    target = tmp_path / "out"
    target.mkdir()
    (target / "old").write_text("old")
    with atomic.atomic_folder(target, overwrite=True) as folder:
        (folder / "new").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["new"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def _pyramid(src: Path, out: Path) -> list[str]:
    flags = ["--overwrite", "--chunks", "16", "-q"]
    return [sys.executable, "-m", "maxpool_cli", "pyramid", str(src), "-o", str(out), *flags]


def test_sigkill_while_replacing_leaves_the_old_or_the_new_store_whole(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    inputs = []
    for n in range(2):
        inputs.append(tmp_path / f"in{n}.npy")
        np.save(inputs[-1], rng.integers(0, 255, (384, 384), dtype=np.uint8))
    out = tmp_path / "out.ome.zarr"
    digests = []
    start = time.perf_counter()
    for src in inputs:  # the two whole results, to compare against
        subprocess.run(_pyramid(src, out), check=True)
        digests.append(_digest(out))
    seconds = (time.perf_counter() - start) / 2
    for attempt, late in enumerate([0.7, 0.8, 0.85, 0.9, 0.95, 1.0]):
        process = subprocess.Popen(_pyramid(inputs[attempt % 2], out))
        time.sleep(seconds * late)  # late in the job, where the old store is replaced
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert _digest(out) in digests  # whole: the old or the new, never a mixture
    subprocess.run(_pyramid(inputs[0], out), check=True)  # a rerun cleans up after them
    assert _digest(out) == digests[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in0.npy", "in1.npy", "out.ome.zarr"]


def test_two_overwriting_pyramids_on_one_target_both_succeed(tmp_path: Path) -> None:
    out = tmp_path / "out.ome.zarr"
    src = tmp_path / "in.npy"
    np.save(src, np.arange(256 * 256, dtype=np.uint16).reshape(256, 256))
    subprocess.run(_pyramid(src, out), check=True)
    for _ in range(3):
        runs = [subprocess.Popen(_pyramid(src, out), stderr=subprocess.PIPE) for _ in range(2)]
        for run in runs:
            _, err = run.communicate(timeout=120)
            assert run.returncode == 0, err
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(atomic.SUFFIX)] == []
    done = CliRunner().invoke(cli, ["info", str(out)])
    assert done.exit_code == 0, done.output
