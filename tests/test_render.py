"""Rendering on a fixed-width recording console: what a person sees."""

from __future__ import annotations

import numpy as np
from rich.console import Console

from maxpool_cli import pool_geometry
from maxpool_cli.cli import render


def _text(renderable: object, width: int = 100) -> str:
    console = Console(record=True, width=width, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_classic_table_shows_the_pooled_numbers() -> None:
    y = np.array([[6, 8], [3, 4]], dtype=np.uint8)
    text = _text(render.matrix_table(y))
    rows = [line.split() for line in text.splitlines()]
    assert rows == [["0", "1"], ["0", "6", "8"], ["1", "3", "4"]]


def test_large_array_is_summarised_never_printed_in_full() -> None:
    big = np.arange(1_000_000, dtype=np.float64).reshape(1000, 1000)
    text = _text(render.array_view(big))
    assert "shape (1000, 1000), dtype float64" in text
    assert "999999" in text  # max, and the last corner
    assert len(text) < 2000  # a summary, never 10^6 cells
    assert "..." in text


def test_image_summary_is_per_channel() -> None:
    image = np.zeros((64, 64, 3), dtype=np.uint8)
    image[..., 1] = 200
    text = _text(render.array_view(image, channels_last=True))
    assert "channel 0" in text
    assert "channel 1" in text
    line = next(line for line in text.splitlines() if "channel 1" in line)
    assert line.split()[2:5] == ["200", "200", "200"]


def test_header_and_padding() -> None:
    geometry = pool_geometry((5, 5), 3, 2, "same")
    header = render.header("x.npy", (5, 5), "float64", (3, 3), "float64", geometry, "max", "same")
    text = _text(header, width=200)
    assert text.strip() == (
        "x.npy: input (5, 5) float64 -> output (3, 3) float64, max, kernel 3x3, stride 2x2, "
        "padding same (1:1, 1:1)"
    )


def test_values_of_one_format_align() -> None:
    assert list(render.format_values(np.array([1.5, 2.0, np.nan]))) == ["1.5000", "2.0000", "nan"]
    assert list(render.format_values(np.array([1.0, 2.0]))) == ["1", "2"]
    assert list(render.format_values(np.array([1e-5, 2.0]))) == ["1.000e-05", "2.000e+00"]
    assert list(render.format_values(np.array([True, False]))) == ["1", "0"]


def test_preview_draws_both_images_at_the_same_size() -> None:
    before = np.zeros((40, 40), dtype=bool)
    before[::10, :] = True
    after = before[::4, ::4]
    text = _text(render.image_preview(before, after, "1"), width=80)
    lines = text.splitlines()
    assert "input 40x40" in lines[0]
    assert "output 10x10" in lines[0]
    assert all(line.count("▀") == 64 for line in lines[1:])  # 32 + 32 columns, 16 rows


def test_no_color_is_honoured(monkeypatch: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setenv("NO_COLOR", "1")
    assert render.stdout_console().no_color
