"""Check the ``--code`` snippets against PyTorch and TensorFlow themselves (run by hand).

Draws random option combinations (1-D, 2-D and 3-D pooling with batch axes, pooled axes
anywhere, every padding kind, ceil_mode, dilation, avg with and without count_pad, pad_value,
NaN ignored, adaptive pooling; values with negatives, ties, NaN and infinities; many dtypes),
runs the torch, tf and numpy snippet of each, and compares ``y`` with ``pool(x, ...)``: max,
min and mode must be identical (shape, dtype, every bit but the sign of zero), avg and sum
within the rounding a different order of additions gives (see ``close``).

    cd /work/main && /work/fwenv/bin/python tests/golden/verify_snippets.py [COUNT] [SEED]

Prints one line per library (combinations checked, identical, within rounding, failed) and
the first failures in full; exits 1 if any failed.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

from maxpool_cli import MaxpoolError, adaptive_pool, pool
from maxpool_cli.engine import adaptive_geometry, pool_geometry, reference_pool
from maxpool_cli.engine.kernels import OPS
from maxpool_cli.engine.reference import walk_adaptive
from maxpool_cli.jobs.options import PoolOptions
from maxpool_cli.jobs.snippets import LIBRARIES, snippet

POOLING_FUNCTIONS = ("F.max_pool", "F.avg_pool", "F.adaptive_", "tf.nn.max_pool", "tf.nn.avg_pool")
POOLING_FUNCTIONS += ("tf.nn.pool(",)
DTYPES = [
    "float32", "float64", "float16", "int64", "int32", "int16", "int8",
    "uint8", "uint16", "uint32", "uint64", "bool",
]  # fmt: skip


def draw_values(rng: np.random.Generator, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """Values that find the edge cases: negatives, ties, extremes, NaN and infinities."""
    if dtype.kind == "b":
        return rng.random(shape) < rng.choice([0.2, 0.5, 0.8])
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if rng.random() < 0.5:  # few distinct values: ties, and modes worth finding
            lo = max(int(info.min), -3)
            return rng.integers(lo, lo + 5, shape).astype(dtype)
        x = rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
        extremes = rng.random(shape)
        x[extremes < 0.05] = info.min
        x[extremes > 0.95] = info.max
        return x
    x = rng.normal(0, 3, shape)
    if rng.random() < 0.4:
        x = np.round(x)  # ties, and -0.0
    x = x.astype(dtype)
    special = rng.random(shape)
    if rng.random() < 0.5:
        x[special < 0.12] = np.nan
    if rng.random() < 0.3:
        x[(special > 0.9) & (special < 0.95)] = -np.inf
        x[special > 0.97] = np.inf
    return x


def draw_options(rng: np.random.Generator, ndim: int, m: int, dtype: np.dtype) -> dict:
    """Random ``pool`` keyword arguments for ``m`` pooled axes of an ``ndim``-d array."""
    ops = [op for op in OPS if op != "mode" or dtype.kind in "biu"]
    op = str(rng.choice(ops))
    axes = tuple(int(a) for a in sorted(rng.choice(ndim, m, replace=False)))
    if rng.random() < 0.3:
        axes = tuple(int(a) for a in rng.permutation(axes))
    kwargs: dict = {"op": op, "axes": axes}
    if rng.random() < 0.12:
        kwargs["output_size"] = tuple(int(v) for v in rng.integers(1, 5, m))
        if rng.random() < 0.5 and dtype.kind == "f":
            kwargs["nan"] = "ignore"
        return kwargs

    def per_axis(lo: int, hi: int) -> int | tuple[int, ...]:
        values = tuple(int(v) for v in rng.integers(lo, hi, m))
        return values[0] if rng.random() < 0.5 else values

    kwargs["kernel"] = per_axis(1, 5)
    if rng.random() < 0.7:
        kwargs["stride"] = per_axis(1, 4)
    if rng.random() < 0.3:
        kwargs["dilation"] = per_axis(1, 3)
    kind = rng.choice(["valid", "same", "int", "axis", "pairs"], p=[0.2, 0.2, 0.25, 0.15, 0.2])
    if kind in ("valid", "same"):
        kwargs["padding"] = str(kind)
    elif kind == "int":
        kwargs["padding"] = int(rng.integers(0, 3))
    elif kind == "axis":
        kwargs["padding"] = tuple(int(v) for v in rng.integers(0, 3, m))
    else:
        kwargs["padding"] = tuple((int(b), int(a)) for b, a in rng.integers(0, 4, (m, 2)))
    if kind != "same" and rng.random() < 0.35:
        kwargs["ceil_mode"] = True
    if rng.random() < 0.2 and kind != "valid":
        kwargs["pad_value"] = draw_pad_value(rng, dtype, op)
    if op == "avg" and rng.random() < 0.5:
        kwargs["count_pad"] = True
    if dtype.kind == "f" and rng.random() < 0.3:
        kwargs["nan"] = "ignore"
    return kwargs


def draw_pad_value(rng: np.random.Generator, dtype: np.dtype, op: str) -> float:
    if dtype.kind == "b":
        return float(rng.integers(0, 2))
    if dtype.kind in "iu" and op in ("max", "min", "mode"):
        info = np.iinfo(dtype)
        return float(rng.choice([int(info.min), int(info.max), 0, 1, int(info.min) + 2]))
    if dtype.kind in "iu":
        return float(rng.integers(-5, 6))
    return float(rng.choice([0.0, -1.5, 2.0, 0.1, -np.inf, np.inf, 1e4]))


def case(rng: np.random.Generator) -> tuple[np.ndarray, dict, PoolOptions, object] | None:
    """One random combination, or None when the engine refuses it (drawn again)."""
    dtype = np.dtype(str(rng.choice(DTYPES)))
    m = int(rng.choice([1, 2, 3, 4], p=[0.3, 0.4, 0.25, 0.05]))
    lead = int(rng.choice([0, 1, 2], p=[0.4, 0.4, 0.2]))
    shape = [int(rng.integers(1, 4)) for _ in range(lead)]
    shape += [int(rng.integers(1, 8 if m < 3 else 6)) for _ in range(m)]
    kwargs = draw_options(rng, len(shape), m, dtype)
    x = draw_values(rng, tuple(shape), dtype)
    options = PoolOptions(
        kernel=kwargs.get("kernel"),
        stride=kwargs.get("stride"),
        padding=kwargs.get("padding", "valid"),
        dilation=kwargs.get("dilation", 1),
        ceil_mode=kwargs.get("ceil_mode", False),
        op=kwargs["op"],
        pad_value=kwargs.get("pad_value"),
        count_pad=kwargs.get("count_pad", False),
        nan=kwargs.get("nan", "propagate"),
        axes=kwargs["axes"],
        output_size=kwargs.get("output_size"),
    )
    try:
        if options.output_size is not None:
            expected = adaptive_pool(x, **options.for_adaptive())
            geometry: object = adaptive_geometry(x.shape, options.output_size, options.axes)
        else:
            args = options.for_pool()
            expected = pool(x, **args)
            geometry = pool_geometry(
                x.shape,
                args["kernel"],
                args["stride"],
                args["padding"],
                args["dilation"],
                args["ceil_mode"],
                args["axes"],
            )
    except MaxpoolError:
        return None
    return x, {"expected": expected}, options, geometry


def close(y: np.ndarray, expected: np.ndarray, x: np.ndarray, options: PoolOptions) -> bool:
    """Equal but for rounding: NaN where NaN, infinities equal, and finite values within what
    adding the window in another order can change (a few ulp of the largest magnitude the
    window holds, times its cell count)."""
    if y.shape != expected.shape or y.dtype != expected.dtype:
        return False
    if expected.dtype.kind != "f":
        return bool(np.array_equal(y, expected))
    nan = np.isnan(expected)
    if not np.array_equal(nan, np.isnan(y)):
        return False
    finite = np.isfinite(expected)
    if not np.array_equal(y[~finite & ~nan], expected[~finite & ~nan]):
        return False
    magnitude = np.abs(np.nan_to_num(x.astype(np.float64), posinf=0, neginf=0)).max(initial=0)
    if options.pad_value is not None and np.isfinite(options.pad_value):
        magnitude = max(magnitude, abs(options.pad_value))
    cells = np.prod(options.kernel or 2) * 4 if options.output_size is None else x.size
    accumulate = np.float32 if expected.dtype.itemsize <= 4 else np.float64
    tolerance = 4 * np.finfo(accumulate).eps * cells * magnitude
    tolerance = np.maximum(tolerance, 2 * np.spacing(np.abs(expected[finite])))
    return bool(np.all(np.abs(y[finite].astype(np.float64) - expected[finite]) <= tolerance))


def reference(
    x: np.ndarray, options: PoolOptions, geometry: object, like: np.ndarray
) -> np.ndarray:
    """The plain-loop reference's result: the second oracle, for where ``pool`` and a
    snippet disagree."""
    if options.output_size is None:
        return reference_pool(x, **options.for_pool())
    out = np.empty(like.shape, like.dtype)
    for step in walk_adaptive(x, geometry, options.op, options.nan):  # type: ignore[arg-type]
        out[step.out_index] = step.value
    return out


def agree(y: np.ndarray | None, expected: np.ndarray, x: np.ndarray, options: PoolOptions) -> str:
    """``identical``, ``rounding`` (avg and sum only) or ``""``."""
    if y is None:
        return ""
    if identical(y, expected):
        return "identical"
    exact_op = options.op in ("max", "min", "mode")
    return "rounding" if not exact_op and close(y, expected, x, options) else ""


def kind_of(options: PoolOptions) -> str:
    """Which of pool's known disagreements with its reference a combination falls under."""
    if options.output_size is not None and options.op == "mode":
        return "adaptive_pool with op='mode' (it sums)"
    if options.output_size is not None and options.nan == "ignore":
        return "adaptive_pool with nan='ignore' and infinities (NaN from inf - inf skipped)"
    if options.pad_value is not None and np.isinf(options.pad_value):
        return "avg or sum with an infinite pad_value (inf * 0 = NaN where no padding)"
    return "other"


def identical(y: np.ndarray, expected: np.ndarray) -> bool:
    return (
        y.shape == expected.shape
        and y.dtype == expected.dtype
        and bool(np.array_equal(y, expected, equal_nan=expected.dtype.kind == "f"))
    )


def run(snippet_text: str, x: np.ndarray) -> np.ndarray:
    scope = {"x": x.copy()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(snippet_text, "<snippet>", "exec"), scope)
    return np.asarray(scope["y"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", nargs="?", type=int, default=400, help="combinations to draw")
    parser.add_argument("seed", nargs="?", type=int, default=2024, help="random seed")
    args = parser.parse_args()
    count, seed = args.count, args.seed
    import tensorflow as tf
    import torch

    print(f"torch {torch.__version__}, tensorflow {tf.__version__}, numpy {np.__version__}")
    rng = np.random.default_rng(seed)
    tally = {lib: {"identical": 0, "rounding": 0, "failed": 0} for lib in LIBRARIES}
    native = dict.fromkeys(LIBRARIES, 0)  # snippets that call the library's pooling function
    failures: list[str] = []
    engine_bugs: list[tuple[str, str]] = []
    done = 0
    while done < count:
        drawn = case(rng)
        if drawn is None:
            continue
        x, found, options, geometry = drawn
        expected = found["expected"]
        done += 1
        oracle = None
        for lib in LIBRARIES:
            text = snippet(lib, options, geometry, x.dtype)  # type: ignore[arg-type]
            error = ""
            native[lib] += any(f in text for f in POOLING_FUNCTIONS)
            try:
                y = run(text, x)
            except Exception as e:  # a snippet that fails to run is a failure, shown in full
                y, error = None, f"{type(e).__name__}: {e}"
            verdict = agree(y, expected, x, options)
            if not verdict and y is not None:
                # pool and the snippet disagree: the plain-loop reference decides which is right
                if oracle is None:
                    oracle = reference(x, options, geometry, expected)
                if agree(y, oracle, x, options) and not agree(expected, oracle, x, options):
                    engine_bugs.append((kind_of(options), f"{options} on {x.dtype} {x.shape}"))
                    verdict = agree(y, oracle, x, options)
            if verdict:
                tally[lib][verdict] += 1
                continue
            tally[lib]["failed"] += 1
            if y is not None:
                error = f"got\n{y!r}\nexpected\n{expected!r}"
            failures.append(f"--- {lib}, x = {x!r}\n{text}{error}\n")
    print(f"{count} option combinations (seed {seed}), each run in torch, tf and numpy:")
    for lib, counts in tally.items():
        print(
            f"  {lib:<6} identical {counts['identical']}, equal within rounding (avg, sum) "
            f"{counts['rounding']}, failed {counts['failed']}; its pooling functions in "
            f"{native[lib]}"
        )
    if engine_bugs:
        print(
            f"{len(engine_bugs)} snippet runs agree with the plain-loop reference where pool() "
            "does not (pool's bugs, counted as agreeing), by kind, with an example:"
        )
        kinds: dict[str, list[str]] = {}
        for kind, example in engine_bugs:
            kinds.setdefault(kind, []).append(example)
        for kind, examples in sorted(kinds.items()):
            print(f"  {len(examples):4d}  {kind}, e.g. {examples[0]}")
    for failure in failures[:8]:
        print(failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
