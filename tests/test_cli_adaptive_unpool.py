"""Adaptive and global pooling, and unpooling, on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

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
    result = runner.invoke(
        cli,
        ["unpool", str(pooled), "--indices", str(indices), "--shape", "4,4", "-o", str(restored)],
    )
    assert result.exit_code == 0, result.stderr
    back = np.load(restored)
    np.testing.assert_array_equal(back, [[0, 0, 0, 0], [0, 6, 0, 8], [3, 0, 0, 0], [0, 0, 0, 4]])
    assert back.dtype == np.uint8
    np.testing.assert_array_equal(pool(back, 2), np.load(pooled))
    printed = runner.invoke(
        cli, ["unpool", str(pooled), "--indices", str(indices), "--shape", "4,4"]
    )
    assert "unpooled to (4, 4) uint8" in printed.stdout
    wrong = runner.invoke(cli, ["unpool", str(pooled), "--indices", str(indices), "--shape", "3,3"])
    assert wrong.exit_code == 1
    assert "indices: values from 5 to 15, expected 0 to 8" in wrong.stderr
