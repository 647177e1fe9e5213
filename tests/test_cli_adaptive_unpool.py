"""Adaptive and global pooling, and unpooling, on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner
from PIL import Image

from maxpool_cli import adaptive_pool, pool
from maxpool_cli.cli import cli

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
CLASSIC = SAMPLE / "classic_4x4.npy"


def test_output_size_and_global(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["run", str(CLASSIC), "--output-size", "3,3", "--json"])
    assert result.exit_code == 0, result.stderr
    array = json.loads(result.stdout)["arrays"][0]
    assert array["output_size"] == [3, 3]
    assert array["values"] == adaptive_pool(np.load(CLASSIC), 3).tolist()
    out = tmp_path / "g.npz"
    features = SAMPLE / "features.npz"
    result = runner.invoke(cli, ["run", str(features), "--global", "--op", "avg", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert "output (8, 1, 1) float32, avg, global" in result.stdout
    with np.load(out) as pooled, np.load(features) as original:
        means = original["conv1"].mean(axis=(1, 2), keepdims=True, dtype=np.float64)
        np.testing.assert_allclose(pooled["conv1"], means, rtol=1e-6)


def test_adaptive_refuses_fixed_window_options() -> None:
    result = CliRunner().invoke(
        cli, ["run", str(CLASSIC), "--output-size", "2", "-s", "1", "-p", "1"]
    )
    assert result.exit_code == 2
    assert "expected no --stride, --padding" in result.stderr
    result = CliRunner().invoke(cli, ["run", str(CLASSIC), "--output-size", "2", "--global"])
    assert result.exit_code == 2


def test_explain_walks_adaptive_windows() -> None:
    result = CliRunner().invoke(cli, ["explain", "--output-size", "3,3", "--op", "avg"])
    assert result.exit_code == 0, result.stderr
    assert "rows     n = 4, out = 3: [0, 2) [1, 3) [2, 4)" in result.stdout
    assert result.stdout.count("Step ") == 9
    table = result.stdout.split("Output:\n")[-1].strip().splitlines()[1:]
    got = np.array([[float(v) for v in row.split()[1:]] for row in table])
    classic = np.load(CLASSIC)
    np.testing.assert_allclose(got, adaptive_pool(classic, 3, op="avg"), atol=1e-4)


def test_unpool_round_trip(tmp_path: Path) -> None:
    runner = CliRunner()
    pooled, indices, restored = tmp_path / "p.npy", tmp_path / "i.npy", tmp_path / "r.npy"
    args = ["run", str(CLASSIC), "-k", "2", "-o", str(pooled), "--indices", str(indices)]
    assert runner.invoke(cli, args).exit_code == 0
    # The indices file is a plain .npy to NumPy; the input shape rides after its data.
    np.testing.assert_array_equal(np.load(indices), [[5, 7], [8, 15]])
    result = runner.invoke(
        cli, ["unpool", str(pooled), "--indices", str(indices), "-o", str(restored)]
    )
    assert result.exit_code == 0, result.stderr
    back = np.load(restored)
    np.testing.assert_array_equal(back, [[0, 0, 0, 0], [0, 6, 0, 8], [3, 0, 0, 0], [0, 0, 0, 4]])
    assert back.dtype == np.uint8
    np.testing.assert_array_equal(pool(back, 2), np.load(pooled))
    printed = runner.invoke(cli, ["unpool", str(pooled), "--indices", str(indices)])
    assert "unpooled to (4, 4) uint8" in printed.stdout
    agreeing = runner.invoke(
        cli, ["unpool", str(pooled), "--indices", str(indices), "--shape", "4,4"]
    )
    assert agreeing.exit_code == 0, agreeing.stderr
    wrong = runner.invoke(cli, ["unpool", str(pooled), "--indices", str(indices), "--shape", "3,3"])
    assert wrong.exit_code == 2
    assert "--shape 3,3: the indices were recorded for an input of shape 4,4" in wrong.stderr
    axes = runner.invoke(cli, ["unpool", str(pooled), "--indices", str(indices), "--axes", "1"])
    assert axes.exit_code == 2
    assert "--axes 1: the indices were recorded for axes 0,1" in axes.stderr


def test_unpool_of_plain_indices_needs_a_shape(tmp_path: Path) -> None:
    runner = CliRunner()
    pooled, indices = tmp_path / "p.npy", tmp_path / "i.npy"
    np.save(pooled, np.array([[6, 8], [3, 4]], dtype=np.uint8))
    np.save(indices, np.array([[5, 7], [8, 15]]))  # from elsewhere: no recorded shape
    missing = runner.invoke(cli, ["unpool", str(pooled), "--indices", str(indices)])
    assert missing.exit_code == 2
    assert "the indices record no input shape" in missing.stderr
    assert "expected --shape" in missing.stderr
    given = runner.invoke(cli, ["unpool", str(pooled), "--indices", str(indices), "--shape", "4,4"])
    assert given.exit_code == 0, given.stderr
    out_of_range = runner.invoke(
        cli, ["unpool", str(pooled), "--indices", str(indices), "--shape", "3,3"]
    )
    assert out_of_range.exit_code == 1
    assert "indices: values from 5 to 15, expected 0 to 8" in out_of_range.stderr


def test_unpool_of_an_image_and_of_an_archive(tmp_path: Path) -> None:
    runner = CliRunner()
    image = SAMPLE / "astronaut.png"
    pooled, indices, restored = tmp_path / "p.png", tmp_path / "i.npy", tmp_path / "r.npy"
    args = ["run", str(image), "-k", "4", "-o", str(pooled), "--indices", str(indices)]
    assert runner.invoke(cli, args).exit_code == 0
    result = runner.invoke(
        cli, ["unpool", str(pooled), "--indices", str(indices), "-o", str(restored)]
    )
    assert result.exit_code == 0, result.stderr
    back = np.load(restored)
    assert back.shape == (512, 512, 3)
    np.testing.assert_array_equal(pool(back, 4, axes=(0, 1)), np.asarray(Image.open(pooled)))
    # Every member of an archive records its own shape.
    features = SAMPLE / "features.npz"
    pooled_npz, indices_npz = tmp_path / "p.npz", tmp_path / "i.npz"
    args = ["run", str(features), "-k", "2", "-o", str(pooled_npz), "--indices", str(indices_npz)]
    assert runner.invoke(cli, args).exit_code == 0
    out = tmp_path / "r.npz"
    result = runner.invoke(
        cli, ["unpool", str(pooled_npz), "--indices", str(indices_npz), "-o", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    with np.load(out) as back_npz, np.load(features) as original:
        for name in original.files:
            assert back_npz[name].shape == original[name].shape
