"""What a person sees: plain text off a terminal, rich tables on one (a recording console)."""

from __future__ import annotations

import numpy as np
from rich.console import Console

from maxpool_cli import pool_geometry
from maxpool_cli.cli import render, text


def _text(renderable: object, width: int = 100) -> str:
    console = Console(record=True, width=width, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_classic_table_shows_the_pooled_numbers() -> None:
    y = np.array([[6, 8], [3, 4]], dtype=np.uint8)
    rows = [line.split() for line in _text(render.matrix_table(y)).splitlines()]
    assert rows == [["0", "1"], ["0", "6", "8"], ["1", "3", "4"]]
    assert [line.split() for line in text.grid_lines(y)] == rows


def test_numbers_are_written_in_full() -> None:
    assert text.number_strings(np.array([1.5, 2.0, np.nan])).tolist() == ["1.5", "2", "nan"]
    assert text.number_strings(np.array([1 / 3])).tolist() == ["0.3333333333333333"]
    assert text.number_strings(np.array([1e-5, 2.0])).tolist() == ["1e-05", "2e+00"]
    assert text.number_strings(np.array([True, False])).tolist() == ["1", "0"]
    assert text.number_strings(np.array([0.1], dtype=np.float32)).tolist() == ["0.1"]
    assert text.number_strings(np.array([-np.inf, 1e300])).tolist() == ["-inf", "1e+300"]
    values = np.random.default_rng(3).normal(size=200) * 10.0 ** np.arange(-100, 100)
    assert [float(v) for v in text.number_strings(values)] == values.tolist()  # exact


def test_wide_tables_split_into_column_blocks_on_a_terminal() -> None:
    y = np.arange(20 * 20, dtype=np.float64).reshape(20, 20) / 7
    shown = _text(render.array_view(y, width=60), width=60)
    assert "…" not in shown
    assert max(len(line) for line in shown.splitlines()) <= 60
    assert len(render.matrix_tables(y, 60)) > 1
    cells = {}  # every value shows, in full, in one block or another
    for block in shown.split("\n\n"):
        lines = block.strip("\n").splitlines()
        columns = [int(c) for c in lines[0].split()]
        for line in lines[1:]:
            row, *values = line.split()
            cells.update({(int(row), c): float(v) for c, v in zip(columns, values)})
    assert len(cells) == 400
    assert all(cells[i, j] == y[i, j] for i, j in cells)


def test_large_array_is_summarised_never_printed_in_full() -> None:
    big = np.arange(1_000_000, dtype=np.float64).reshape(1000, 1000)
    lines = text.array_lines(big)
    assert "shape (1000, 1000), dtype float64" in lines
    joined = "\n".join(lines)
    assert "999999" in joined  # max, and the last corner
    assert len(joined) < 2000  # a summary, never 10^6 cells
    assert "..." in joined
    assert "499999.5" in joined  # the mean, exactly


def test_image_summary_is_per_channel() -> None:
    image = np.zeros((64, 64, 3), dtype=np.uint8)
    image[..., 1] = 200
    lines = text.array_lines(image, channels_last=True)
    assert any("channel 0" in line for line in lines)
    line = next(line for line in lines if "channel 1" in line)
    assert line.split()[2:5] == ["200", "200", "200"]


def test_header_and_padding() -> None:
    geometry = pool_geometry((5, 5), 3, 2, "same")
    line = text.header_line("x.npy", (5, 5), "float64", (3, 3), "float64", geometry, "max", "same")
    assert line == (
        "x.npy: input (5, 5) float64 -> output (3, 3) float64, max, kernel 3x3, stride 2x2, "
        "padding same (1:1, 1:1)"
    )
    valid = pool_geometry((5, 5), 2)
    assert text.describe_padding(valid, (0, 0)) == "valid"  # one word everywhere


def test_preview_draws_both_images_at_the_same_size_scaled_to_the_width() -> None:
    before = np.zeros((40, 40), dtype=bool)
    before[::10, :] = True
    after = before[::4, ::4]
    lines = _text(render.image_preview(before, after, "1", width=80), width=80).splitlines()
    assert "input 40x40" in lines[0]
    assert "output 10x10" in lines[0]
    assert all(line.count("▀") == 64 for line in lines[1:])  # 32 + 32 columns, 16 rows
    narrow = _text(render.image_preview(before, after, "1", width=40), width=40).splitlines()
    assert all(line.count("▀") == 38 for line in narrow[1:])  # 19 + 19: scaled, not cropped
    assert "…" not in "".join(narrow)


def test_16_bit_colour_is_shown_as_its_8_bit_colour() -> None:
    rgba = np.array([[[65535, 0, 32896, 65535], [257, 514, 771, 0]]], dtype=np.uint16)
    shown = render._display_rgb(rgba, "RGBA;16")
    np.testing.assert_array_equal(
        shown, render._display_rgb((rgba // 257).astype(np.uint8), "RGBA")
    )
    np.testing.assert_array_equal(shown[0, 0], [255, 0, 128])
    np.testing.assert_array_equal(shown[0, 1], [40, 40, 40])  # alpha 0: the dark grey beneath


def test_no_color_is_honoured(monkeypatch: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setenv("NO_COLOR", "1")
    assert render.stdout_console().no_color
    assert not render.has_colour(render.stdout_console())
