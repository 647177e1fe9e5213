"""Benchmark the pooling engine against its baselines, measured in the same run.

    python benchmarks/bench_engine.py            # the full table (about a minute)
    python benchmarks/bench_engine.py --json     # the same, machine-readable
    python benchmarks/bench_engine.py --quick    # 3 repeats instead of 5

Each case times the engine and every baseline on the same array (median of the repeats) and
prints ratio = baseline time / engine time (bigger is better) with the target it must meet.
Baselines: PyTorch's CPU pooling with one thread (skipped with a note when torch is not
installed), the memory floor (one read of the input, ``x.max()``, plus one write of an
output-sized array), Pillow's C ``Image.reduce(2)`` for the RGB image, and the plain-loop
reference for the small case. Peak extra memory is measured with tracemalloc (NumPy reports
its allocations to it) in a separate call, so it does not slow the timed ones.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from maxpool_cli import pool
from maxpool_cli.engine import reference_pool

try:
    import torch
    import torch.nn.functional as F  # noqa: N812

    torch.set_num_threads(1)
except ImportError:  # the baselines that need it are skipped with a note
    torch = None

MiB = 1024 * 1024


@dataclass
class Baseline:
    name: str
    run: Callable[[], Any] | None  # None: not available here
    target: float | None = None  # ratio baseline/engine must be >= target
    target_max: float | None = None  # or: engine/baseline must be <= target_max
    repeats: int | None = None
    note: str = ""


@dataclass
class Case:
    name: str
    engine: Callable[[], Any]
    baselines: list[Baseline] = field(default_factory=list)
    output_bytes: int = 0


def median_ms(fn: Callable[[], Any], repeats: int) -> float:
    fn()  # warm up: page in the input, let allocators settle
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def peak_extra_mib(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / MiB


def torch_baseline(name: str, fn: Callable[[], Any], target: float) -> Baseline:
    if torch is None:
        return Baseline(name, None, target, note="torch not installed")
    return Baseline(name, fn, target)


def memory_floor(x: np.ndarray, out_shape: tuple[int, ...], out_dtype: np.dtype) -> Callable:
    out = np.empty(out_shape, dtype=out_dtype)

    def floor() -> None:
        x.max()
        out.fill(0)

    return floor


def build_cases(quick: bool) -> list[Case]:
    rng = np.random.default_rng(0)
    big = rng.random((4096, 4096), dtype=np.float32)
    chw = rng.random((64, 256, 256), dtype=np.float32)
    rgb = rng.integers(0, 256, size=(4096, 4096, 3), dtype=np.uint8)
    small = rng.random((512, 512), dtype=np.float32)
    cases = []

    def t4(a: np.ndarray) -> Any:
        return torch.from_numpy(a)[None, None] if torch is not None else None

    tbig = t4(big)
    for k, s, target in [(2, 2, 4.0), (3, 2, 3.0), (3, 1, 4.0), (15, 1, 10.0)]:
        out = pool(big, k, stride=s)
        baselines = [
            torch_baseline(
                "torch max_pool2d",
                lambda k=k, s=s: F.max_pool2d(tbig, k, s),
                target,
            )
        ]
        if (k, s) == (2, 2):
            floor = memory_floor(big, out.shape, out.dtype)
            baselines.append(Baseline("memory floor", floor, target_max=2.0))
        cases.append(
            Case(
                f"4096x4096 f32 k{k} s{s}",
                lambda k=k, s=s: pool(big, k, stride=s),
                baselines,
                out.nbytes,
            )
        )

    tchw = torch.from_numpy(chw) if torch is not None else None
    for k in (2, 3):
        out = pool(chw, k, stride=2)
        cases.append(
            Case(
                f"64x256x256 f32 (C,H,W) k{k} s2",
                lambda k=k: pool(chw, k, stride=2),
                [torch_baseline("torch max_pool2d", lambda k=k: F.max_pool2d(tchw, k, 2), 2.0)],
                out.nbytes,
            )
        )

    out = pool(rgb, 2, axes=(0, 1))
    trgb = torch.from_numpy(rgb).permute(2, 0, 1)[None] if torch is not None else None
    baselines = [
        torch_baseline(
            "torch max_pool2d (channels-last uint8)", lambda: F.max_pool2d(trgb, 2, 2), 5.0
        )
    ]
    try:
        from PIL import Image

        image = Image.fromarray(rgb)
        baselines.append(Baseline("Pillow reduce(2)", lambda: image.reduce(2), target_max=1.5))
    except ImportError:
        baselines.append(Baseline("Pillow reduce(2)", None, note="Pillow not installed"))
    cases.append(
        Case("4096x4096x3 u8 image k2 s2", lambda: pool(rgb, 2, axes=(0, 1)), baselines, out.nbytes)
    )

    out = pool(big, 3, stride=2, padding="same")
    cases.append(
        Case(
            "4096x4096 f32 k3 s2 same",
            lambda: pool(big, 3, stride=2, padding="same"),
            # SAME pads (0, 1) here, which is PyTorch's ceil_mode with no padding.
            [
                torch_baseline(
                    "torch max_pool2d ceil_mode",
                    lambda: F.max_pool2d(tbig, 3, 2, 0, ceil_mode=True),
                    3.0,
                )
            ],
            out.nbytes,
        )
    )
    out = pool(big, 3, stride=2, padding=1, ceil_mode=True)
    cases.append(
        Case(
            "4096x4096 f32 k3 s2 p1 ceil",
            lambda: pool(big, 3, stride=2, padding=1, ceil_mode=True),
            [
                torch_baseline(
                    "torch max_pool2d p1 ceil",
                    lambda: F.max_pool2d(tbig, 3, 2, 1, ceil_mode=True),
                    3.0,
                )
            ],
            out.nbytes,
        )
    )

    out = pool(small, 2)
    cases.append(
        Case(
            "512x512 f32 k2 s2",
            lambda: pool(small, 2),
            [Baseline("plain-loop reference", lambda: reference_pool(small, 2), 1000.0, repeats=1)],
            out.nbytes,
        )
    )

    out, idx = pool(big, 3, stride=2, return_indices=True)
    cases.append(
        Case(
            "4096x4096 f32 k3 s2 indices",
            lambda: pool(big, 3, stride=2, return_indices=True),
            [
                torch_baseline(
                    "torch max_pool2d indices",
                    lambda: F.max_pool2d(tbig, 3, 2, return_indices=True),
                    2.0,
                )
            ],
            out.nbytes + idx.nbytes,
        )
    )
    out = pool(big, 3, stride=2, op="avg")
    cases.append(
        Case(
            "4096x4096 f32 k3 s2 avg",
            lambda: pool(big, 3, stride=2, op="avg"),
            [torch_baseline("torch avg_pool2d", lambda: F.avg_pool2d(tbig, 3, 2), 2.0)],
            out.nbytes,
        )
    )
    return cases


def run(cases: list[Case], repeats: int) -> list[dict[str, Any]]:
    rows = []
    for case in cases:
        engine_ms = median_ms(case.engine, repeats)
        peak = peak_extra_mib(case.engine)
        out_mib = case.output_bytes / MiB
        for b in case.baselines:
            row: dict[str, Any] = {
                "case": case.name,
                "engine_ms": round(engine_ms, 2),
                "baseline": b.name,
                "peak_extra_mib": round(peak, 1),
                "output_mib": round(out_mib, 1),
                "memory_ok": peak <= 1.5 * out_mib + 16,
            }
            if b.run is None:
                row.update(baseline_ms=None, ratio=None, target=None, ok=None, note=b.note)
            else:
                base_ms = median_ms(b.run, b.repeats or repeats)
                ratio = base_ms / engine_ms
                if b.target is not None:
                    target, ok = f">= {b.target:g}x", ratio >= b.target
                else:
                    assert b.target_max is not None
                    target, ok = f"engine <= {b.target_max:g}x", 1 / ratio <= b.target_max
                row.update(baseline_ms=round(base_ms, 2), ratio=round(ratio, 2), target=target)
                row.update(ok=ok, note=b.note)
            rows.append(row)
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    head = (
        f"{'case':32} {'engine ms':>9} {'baseline':38} {'base ms':>9} {'ratio':>8} "
        f"{'target':>14} {'ok':>4} {'peak MiB':>9} {'out MiB':>8}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        if r["baseline_ms"] is None:
            base, ratio, ok = "-", "-", f"skipped ({r['note']})"
        else:
            base, ratio, ok = f"{r['baseline_ms']:.1f}", f"{r['ratio']:.2f}x", str(r["ok"])
        mem = f"{r['peak_extra_mib']:.1f}" + ("" if r["memory_ok"] else "!")
        print(
            f"{r['case']:32} {r['engine_ms']:9.1f} {r['baseline']:38} {base:>9} {ratio:>8} "
            f"{r['target'] or '':>14} {ok:>4} {mem:>9} {r['output_mib']:8.1f}"
        )
    print(
        "\nratio = baseline time / engine time. peak MiB: tracemalloc peak during one engine "
        "call; '!' marks a case above 1.5x the output plus 16 MiB."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--quick", action="store_true", help="3 repeats instead of 5")
    args = parser.parse_args()
    rows = run(build_cases(args.quick), 3 if args.quick else 5)
    if args.json:
        versions = {"numpy": np.__version__, "torch": torch.__version__ if torch else None}
        print(json.dumps({"versions": versions, "rows": rows}, indent=2))
    else:
        print_table(rows)


if __name__ == "__main__":
    main()
