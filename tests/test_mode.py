"""Mode pooling: the most frequent value per window, ties to the smallest, padding never
counting unless it holds a value; for integer and bool data (label maps)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from maxpool_cli import DTypeError, adaptive_pool, pool
from maxpool_cli.cli import cli
from maxpool_cli.engine import mode, reference_pool
from maxpool_cli.jobs.options import PoolOptions
from maxpool_cli.jobs.out_of_core import pool_file


def test_by_hand() -> None:
    labels = np.array(
        [
            [1, 1, 2, 3, 9, 9],
            [4, 1, 3, 2, 9, 8],
            [0, 0, 5, 5, 7, 7],
            [0, 6, 6, 5, 8, 8],
        ],
        dtype=np.uint8,
    )
    # 1 three times; 2 and 3 twice (the smaller wins); 9 three times; 0 three times;
    # 5 three times; 7 and 8 twice (7).
    np.testing.assert_array_equal(pool(labels, 2, op="mode"), [[1, 2, 9], [0, 5, 7]])


def test_padding_never_counts_unless_it_holds_a_value() -> None:
    row = np.array([7, 7, 2], dtype=np.int16)
    # Windows of 3 cells from position -1, 2 apart: (pad, 7, 7) and (7, 2, pad).
    np.testing.assert_array_equal(pool(row, 3, stride=2, padding=1, op="mode"), [7, 2])  # a tie
    # Padding holding 7 counts: (7, 7, 7) and (7, 2, 7).
    np.testing.assert_array_equal(pool(row, 3, stride=2, padding=1, op="mode", pad_value=7), [7, 7])
    # (3, 3, 5) and (1, 3, 3): padding holding 3 outnumbers the real cells.
    np.testing.assert_array_equal(
        pool(np.array([5, 1, 3], dtype=np.int32), 3, stride=3, padding=2, op="mode", pad_value=3),
        [3, 3],
    )


def test_bool_and_extreme_integers() -> None:
    flags = np.array([[True, False], [False, True]])
    assert pool(flags, 2, op="mode").tolist() == [[False]]  # a tie: the smaller, False
    big = np.array([[2**63 - 1, 2**63 - 1], [-(2**63), 0]], dtype=np.int64)
    assert pool(big, 2, op="mode").tolist() == [[2**63 - 1]]
    huge = np.array([[2**64 - 1, 3], [3, 2**64 - 1]], dtype=np.uint64)
    assert pool(huge, 2, op="mode").tolist() == [[3]]


def test_floats_are_refused() -> None:
    with pytest.raises(DTypeError, match=r"mode counts equal values, for integer or bool data"):
        pool(np.zeros((4, 4), dtype=np.float32), 2, op="mode")


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.uint16, np.int32, np.uint64, np.bool_])
@pytest.mark.parametrize(
    ("kernel", "stride", "padding", "dilation"),
    [(2, 2, 0, 1), (3, 2, 1, 1), (3, 1, "same", 2), (5, 1, 2, 1), ((2, 5), (1, 3), (1, 0), 1)],
)
def test_equals_the_counting_reference(
    dtype: type, kernel: object, stride: object, padding: object, dilation: int
) -> None:
    rng = np.random.default_rng(11)
    low = -3 if np.dtype(dtype).kind == "i" else 0
    labels = rng.integers(low, 2 if dtype is np.bool_ else 4, (2, 13, 17)).astype(dtype)
    for pad_value in (None, 1):
        params = {"padding": padding, "dilation": dilation, "op": "mode", "pad_value": pad_value}
        got = pool(labels, kernel, stride, **params)
        np.testing.assert_array_equal(got, reference_pool(labels, kernel, stride, **params))
        assert got.dtype == labels.dtype


def test_both_algorithms_agree_around_the_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    labels = np.random.default_rng(12).integers(0, 3, (20, 20)).astype(np.uint16)
    expected = reference_pool(labels, 4, stride=1, padding=1, op="mode")
    for taps in (1, 16, 100):
        monkeypatch.setattr(mode, "PAIRWISE_TAPS", taps)
        np.testing.assert_array_equal(pool(labels, 4, stride=1, padding=1, op="mode"), expected)
    monkeypatch.setattr(mode, "STACK_BYTES", 1)  # one output row a band
    np.testing.assert_array_equal(pool(labels, 4, stride=1, padding=1, op="mode"), expected)


def test_out_of_core_and_command_line(tmp_path: Path) -> None:
    labels = np.random.default_rng(13).integers(0, 6, (300, 200)).astype(np.uint8)
    np.save(tmp_path / "labels.npy", labels)
    pool_file(
        tmp_path / "labels.npy",
        tmp_path / "o.npy",
        PoolOptions(kernel=3, stride=2, op="mode"),
        20_000,
    )
    np.testing.assert_array_equal(np.load(tmp_path / "o.npy"), pool(labels, 3, 2, op="mode"))
    Image.fromarray(labels).save(tmp_path / "labels.png")
    runner = CliRunner()
    result = runner.invoke(
        cli, ["run", str(tmp_path / "labels.png"), "--op", "mode", "-o", str(tmp_path / "m.png")]
    )
    assert result.exit_code == 0, result.stderr
    np.testing.assert_array_equal(
        np.asarray(Image.open(tmp_path / "m.png")), pool(labels, 2, op="mode")
    )
    refused = runner.invoke(
        cli,
        ["run", str(Path(__file__).parent.parent / "sample_data" / "features.npz"), "--op", "mode"],
    )
    assert refused.exit_code == 1
    assert "mode counts equal values, for integer or bool data" in refused.stderr
    hint = runner.invoke(cli, ["run", str(tmp_path / "labels.png"), "--op", "majority"])
    assert "did you mean 'mode'?" in hint.stderr


def test_adaptive_mode_by_hand_leaves_the_input_alone() -> None:
    x = np.array(
        [
            [9, 7, 1, 2, 3],
            [4, 7, 5, 6, 8],
            [10, 11, 7, 12, 13],
            [2, 15, 16, 17, 18],
            [19, 20, 21, 22, 23],
        ]
    )
    before = x.copy()
    # One window of 25 cells (sorted, not compared pairwise): 7 three times, 2 twice.
    assert adaptive_pool(x, 1, op="mode").tolist() == [[7]]
    np.testing.assert_array_equal(x, before)  # (its cells were once sorted in place)
    # Windows of rows and columns 0-2 and 2-4: 7 three times; all once (the smallest, 1);
    # all once (2); 7 once among values all larger.
    assert adaptive_pool(x, 2, op="mode").tolist() == [[7, 1], [2, 7]]
    np.testing.assert_array_equal(x, before)
