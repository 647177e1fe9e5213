"""Generate the golden parity files under tests/data/ with PyTorch and TensorFlow.

Run it in an environment that has both (they are never needed by the package or its tests):

    pip install torch==2.13.0 tensorflow-cpu numpy
    python tests/golden/make_golden.py

Each output file ``tests/data/golden_<suite>.npz`` holds a JSON list of cases under ``cases``
(the engine parameters, the framework call that produced them, the dtype) and, per case ``i``,
the input ``x<i>``, the framework's output ``y<i>`` and, for max pooling, its indices ``i<i>``.
The parameters are drawn at random from a fixed seed, so the files are reproducible.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf
import torch
import torch.nn.functional as F

OUT = Path(__file__).resolve().parent.parent / "data"
rng = np.random.default_rng(20261127)
torch.set_num_threads(1)


def make_input(shape: tuple[int, ...], dtype: str, nan: bool = False) -> np.ndarray:
    """Values with many ties and mostly negative, so zero padding would visibly win."""
    if dtype == "uint8":
        high = int(rng.choice([4, 256]))
        return rng.integers(0, high, size=shape).astype(np.uint8)
    if dtype == "int32":
        return rng.integers(-1000, 50, size=shape).astype(np.int32)
    x = np.round(rng.normal(-2.0, 2.0, size=shape) * 2) / 2
    if rng.random() < 0.5:
        x = x + rng.normal(0, 1e-3, size=shape)  # some cases without ties
    x = x.astype(dtype)
    if nan:
        x[rng.random(shape) < 0.08] = np.nan
    return x


def windows_touch_input(n: int, k: int, s: int, d: int, pb: int, pa: int, ceil: bool) -> bool:
    """Every window overlaps a real cell (the engine refuses geometries where one does not)."""
    room = n + pb + pa - (d * (k - 1) + 1)
    if room < 0:
        return False
    out = (math.ceil(room / s) if ceil else room // s) + 1
    if ceil and (out - 1) * s >= n + pb:
        out -= 1
    return all(any(0 <= i * s - pb + j * d < n for j in range(k)) for i in range(out))


def draw_axis(n: int, torch_pad_rule: bool, dilate: bool) -> dict[str, int]:
    """Random kernel, stride, dilation and symmetric padding PyTorch accepts for length n."""
    while True:
        k = int(rng.integers(1, 5))
        s = int(rng.integers(1, 5))
        d = int(rng.integers(1, 4)) if dilate and rng.random() < 0.4 else 1
        span = d * (k - 1) + 1
        limit = span // 2 if torch_pad_rule else k // 2
        p = int(rng.integers(0, limit + 1)) if rng.random() < 0.6 else 0
        if n + 2 * p >= span:
            return {"k": k, "s": s, "d": d, "p": p}


def torch_max_cases(dims: int, count: int, dtypes: list[str]) -> list[dict[str, Any]]:
    fn = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}[dims]
    cases = []
    while len(cases) < count:
        dtype = dtypes[len(cases) % len(dtypes)]
        op = "min" if dtype.startswith("float") and rng.random() < 0.15 else "max"
        sizes = [int(rng.integers(1, 12 if dims < 3 else 7)) for _ in range(dims)]
        axes = [draw_axis(n, True, True) for n in sizes]
        ceil = bool(rng.random() < 0.4)
        if not all(
            windows_touch_input(n, a["k"], a["s"], a["d"], a["p"], a["p"], ceil)
            for n, a in zip(sizes, axes)
        ):
            continue
        nan = dtype.startswith("float") and rng.random() < 0.2
        x = make_input((2, 2, *sizes), dtype, nan)
        t = torch.from_numpy(-x if op == "min" else x)
        try:
            y, idx = fn(
                t,
                kernel_size=[a["k"] for a in axes],
                stride=[a["s"] for a in axes],
                padding=[a["p"] for a in axes],
                dilation=[a["d"] for a in axes],
                ceil_mode=ceil,
                return_indices=True,
            )
        except RuntimeError:  # a configuration PyTorch refuses (its padding limits vary)
            continue
        y = y.numpy()
        cases.append(
            {
                "params": {
                    "kernel": [a["k"] for a in axes],
                    "stride": [a["s"] for a in axes],
                    "dilation": [a["d"] for a in axes],
                    "padding": [[a["p"], a["p"]] for a in axes],
                    "ceil_mode": ceil,
                    "op": op,
                },
                "source": f"torch.nn.functional.max_pool{dims}d"
                + (" of -x" if op == "min" else ""),
                "x": x,
                "y": -y if op == "min" else y,
                "i": idx.numpy().astype(np.int64),
            }
        )
    return cases


def torch_avg_cases(dims: int, count: int) -> list[dict[str, Any]]:
    fn = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}[dims]
    cases = []
    while len(cases) < count:
        dtype = ["float32", "float64"][len(cases) % 2]
        sizes = [int(rng.integers(1, 12 if dims < 3 else 7)) for _ in range(dims)]
        axes = [draw_axis(n, False, False) for n in sizes]
        ceil = bool(rng.random() < 0.4)
        count_pad = bool(rng.random() < 0.5)
        if not all(
            windows_touch_input(n, a["k"], a["s"], 1, a["p"], a["p"], ceil)
            for n, a in zip(sizes, axes)
        ):
            continue
        x = make_input((2, 2, *sizes), dtype)
        try:
            y = fn(
                torch.from_numpy(x),
                kernel_size=[a["k"] for a in axes],
                stride=[a["s"] for a in axes],
                padding=[a["p"] for a in axes],
                ceil_mode=ceil,
                count_include_pad=count_pad,
            ).numpy()
        except RuntimeError:
            continue
        cases.append(
            {
                "params": {
                    "kernel": [a["k"] for a in axes],
                    "stride": [a["s"] for a in axes],
                    "padding": [[a["p"], a["p"]] for a in axes],
                    "ceil_mode": ceil,
                    "count_pad": count_pad,
                    "op": "avg",
                },
                "source": f"torch.nn.functional.avg_pool{dims}d",
                "x": x,
                "y": y,
            }
        )
    return cases


def tf_cases(op: str, dims: int, count: int, dtypes: list[str]) -> list[dict[str, Any]]:
    """tf.nn.max_pool / avg_pool on channels-last input, SAME and VALID."""
    fn = tf.nn.max_pool if op == "max" else tf.nn.avg_pool
    cases = []
    while len(cases) < count:
        dtype = dtypes[len(cases) % len(dtypes)]
        sizes = [int(rng.integers(1, 12 if dims < 3 else 7)) for _ in range(dims)]
        kernel = [int(rng.integers(1, 5)) for _ in range(dims)]
        stride = [int(rng.integers(1, 5)) for _ in range(dims)]
        padding = "SAME" if rng.random() < 0.6 else "VALID"
        if padding == "VALID" and any(n < k for n, k in zip(sizes, kernel)):
            continue
        x = make_input((2, *sizes, 2), dtype, nan=False)
        y = fn(tf.constant(x), ksize=kernel, strides=stride, padding=padding).numpy()
        cases.append(
            {
                "params": {
                    "kernel": kernel,
                    "stride": stride,
                    "padding": padding.lower(),
                    "axes": list(range(1, dims + 1)),
                    "op": op,
                },
                "source": f"tf.nn.{op}_pool ({dims}-d, {padding})",
                "x": x,
                "y": y,
            }
        )
    return cases


def tf_dilated_cases(count: int) -> list[dict[str, Any]]:
    """tf.nn.pool with dilation (TensorFlow allows it only with stride 1 and VALID)."""
    cases = []
    while len(cases) < count:
        op = ["max", "avg"][len(cases) % 2]
        dtype = ["float32", "float64"][(len(cases) // 2) % 2]
        sizes = [int(rng.integers(1, 12)) for _ in range(2)]
        kernel = [int(rng.integers(1, 4)) for _ in range(2)]
        dilation = [int(rng.integers(1, 4)) for _ in range(2)]
        padding = "VALID"
        spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
        if any(n < e for n, e in zip(sizes, spans)):
            continue
        x = make_input((2, *sizes, 2), dtype)
        y = tf.nn.pool(
            tf.constant(x),
            window_shape=kernel,
            pooling_type=op.upper(),
            strides=[1, 1],
            padding=padding,
            dilations=dilation,
        ).numpy()
        cases.append(
            {
                "params": {
                    "kernel": kernel,
                    "stride": [1, 1],
                    "dilation": dilation,
                    "padding": padding.lower(),
                    "axes": [1, 2],
                    "op": op,
                },
                "source": "tf.nn.pool (dilated, VALID)",
                "x": x,
                "y": y,
            }
        )
    return cases


def torch_unpool_cases(count: int) -> list[dict[str, Any]]:
    """max_pool with indices (overlapping windows too), then max_unpool back to the input size."""
    cases = []
    while len(cases) < count:
        dims = [1, 2, 3][len(cases) % 3]
        pool_fn = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}[dims]
        unpool_fn = {1: F.max_unpool1d, 2: F.max_unpool2d, 3: F.max_unpool3d}[dims]
        sizes = [int(rng.integers(2, 10 if dims < 3 else 6)) for _ in range(dims)]
        k = [int(rng.integers(1, 4)) for _ in range(dims)]
        s_ = [int(rng.integers(1, 4)) for _ in range(dims)]
        if any(n < kk for n, kk in zip(sizes, k)):
            continue
        dtype = ["float32", "float64"][len(cases) % 2]
        x = make_input((2, 2, *sizes), dtype)
        y, idx = pool_fn(torch.from_numpy(x), k, s_, return_indices=True)
        u = unpool_fn(y, idx, k, s_, output_size=sizes).numpy()
        cases.append(
            {
                "params": {"input_shape": sizes},
                "source": f"torch.nn.functional.max_unpool{dims}d",
                "x": y.numpy(),
                "i": idx.numpy().astype(np.int64),
                "y": u,
            }
        )
    return cases


def torch_unpool_shape_cases(count: int) -> list[dict[str, Any]]:
    """max_unpool with output_size given in full or spatially, with and without batch axes.

    The engine is called as users call it: ``unpool(y, i, x.shape)`` with the whole input
    shape (and ``axes`` where the shape alone cannot say which axes were pooled), or with
    the pooled sizes only.
    """
    cases = []
    while len(cases) < count:
        dims = [1, 2, 3][len(cases) % 3]
        lead = [(2, 3), (3,), ()][(len(cases) // 3) % 3]  # batched, unbatched, bare
        pool_fn = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}[dims]
        unpool_fn = {1: F.max_unpool1d, 2: F.max_unpool2d, 3: F.max_unpool3d}[dims]
        sizes = [int(rng.integers(2, 10 if dims < 3 else 6)) for _ in range(dims)]
        k = [int(rng.integers(1, 4)) for _ in range(dims)]
        s_ = [int(rng.integers(1, 4)) for _ in range(dims)]
        p = [int(rng.integers(0, kk // 2 + 1)) for kk in k]
        if any(n + 2 * pp < kk for n, kk, pp in zip(sizes, k, p)):
            continue
        dtype = ["float32", "float64"][len(cases) % 2]
        x = make_input((*lead, *sizes), dtype)
        # PyTorch takes (C, ...) or (N, C, ...): a bare array gets a channel axis and loses it.
        tx = torch.from_numpy(x if lead else x[None])
        y, idx = pool_fn(tx, k, s_, p, return_indices=True)
        full = len(lead) == 2
        output_size = list(tx.shape) if full else sizes
        u = unpool_fn(y, idx, k, s_, p, output_size=output_size)
        if not lead:
            y, idx, u = y[0], idx[0], u[0]
        axes = list(range(x.ndim - dims, x.ndim))
        changed = [a for a in range(x.ndim) if y.shape[a] != x.shape[a]]
        default = list(range(max(0, x.ndim - 2), x.ndim))
        spatial = bool(lead) and rng.random() < 0.3  # (a bare array's sizes are its shape)
        params: dict[str, Any] = {"shape": sizes if spatial else list(x.shape)}
        if not spatial and (changed != default or axes != default) and x.ndim > 1:
            params["axes"] = axes
        if spatial and rng.random() < 0.5:
            params["axes"] = axes
        cases.append(
            {
                "params": params,
                "source": f"torch.nn.functional.max_unpool{dims}d(output_size={output_size})",
                "x": y.numpy(),
                "i": idx.numpy().astype(np.int64),
                "y": u.numpy(),
            }
        )
    return cases


def torch_backward_cases(count: int) -> list[dict[str, Any]]:
    """The gradient autograd gives for max and avg pooling, with ties, overlap and padding."""
    cases = []
    while len(cases) < count:
        op = ["max", "avg"][len(cases) % 2]
        dims = [1, 2, 2, 3][(len(cases) // 2) % 4]
        dtype = ["float64", "float32"][(len(cases) // 8) % 2]
        sizes = [int(rng.integers(1, 10 if dims < 3 else 6)) for _ in range(dims)]
        axes = [draw_axis(n, op == "max", op == "max") for n in sizes]
        ceil = bool(rng.random() < 0.4)
        count_pad = bool(rng.random() < 0.5)
        if not all(
            windows_touch_input(n, a["k"], a["s"], a["d"], a["p"], a["p"], ceil)
            for n, a in zip(sizes, axes)
        ):
            continue
        # Few distinct values: ties are common, and overlapping windows share winners.
        x = (rng.integers(-3, 3, size=(2, 2, *sizes)) / 2).astype(dtype)
        t = torch.from_numpy(x).requires_grad_(True)
        kw = {
            "kernel_size": [a["k"] for a in axes],
            "stride": [a["s"] for a in axes],
            "padding": [a["p"] for a in axes],
            "ceil_mode": ceil,
        }
        try:
            if op == "max":
                fn = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}[dims]
                out = fn(t, dilation=[a["d"] for a in axes], **kw)
            else:
                fn = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}[dims]
                out = fn(t, count_include_pad=count_pad, **kw)
        except RuntimeError:
            continue
        g = rng.normal(size=tuple(out.shape)).astype(dtype)
        out.backward(torch.from_numpy(g))
        params = {
            "kernel": kw["kernel_size"],
            "stride": kw["stride"],
            "padding": [[p, p] for p in kw["padding"]],
            "ceil_mode": ceil,
            "op": op,
        }
        if op == "max":
            params["dilation"] = [a["d"] for a in axes]
        else:
            params["count_pad"] = count_pad
        cases.append(
            {
                "params": params,
                "source": f"autograd of {fn.__name__}",
                "x": x,
                "i": g,  # the output's gradient
                "y": t.grad.numpy(),
            }
        )
    return cases


def torch_adaptive_cases(count: int) -> list[dict[str, Any]]:
    """adaptive_max_pool (with indices) and adaptive_avg_pool, sizes that do not divide."""
    cases = []
    while len(cases) < count:
        op = ["max", "avg"][len(cases) % 2]
        dims = [1, 2, 3][(len(cases) // 2) % 3]
        dtype = ["float32", "float64"][(len(cases) // 6) % 2]
        sizes = [int(rng.integers(1, 14 if dims < 3 else 7)) for _ in range(dims)]
        out_size = [int(rng.integers(1, n + 3)) for n in sizes]
        x = make_input((2, 2, *sizes), dtype, nan=op == "max" and rng.random() < 0.3)
        t = torch.from_numpy(x)
        if op == "max":
            fn = {1: F.adaptive_max_pool1d, 2: F.adaptive_max_pool2d, 3: F.adaptive_max_pool3d}
            y, idx = fn[dims](t, out_size, return_indices=True)
            extra = {"i": idx.numpy().astype(np.int64)}
        else:
            fn = {1: F.adaptive_avg_pool1d, 2: F.adaptive_avg_pool2d, 3: F.adaptive_avg_pool3d}
            y = fn[dims](t, out_size)
            extra = {}
        cases.append(
            {
                "params": {"output_size": out_size, "op": op},
                "source": f"torch adaptive_{op}_pool{dims}d",
                "x": x,
                "y": y.numpy(),
                **extra,
            }
        )
    return cases


def save(suite: str, cases: list[dict[str, Any]]) -> None:
    arrays: dict[str, np.ndarray] = {}
    meta = []
    for n, case in enumerate(cases):
        meta.append({"params": case["params"], "source": case["source"]})
        arrays[f"x{n}"] = case["x"]
        arrays[f"y{n}"] = case["y"]
        if "i" in case:
            arrays[f"i{n}"] = case["i"]
    arrays["cases"] = np.array(json.dumps(meta))
    path = OUT / f"golden_{suite}.npz"
    np.savez_compressed(path, **arrays)
    print(f"{path.name}: {len(cases)} cases, {path.stat().st_size / 1024:.0f} KiB")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    dtypes = ["float32", "float64", "uint8", "int32"]
    save(
        "torch_max",
        torch_max_cases(1, 60, dtypes)
        + torch_max_cases(2, 120, dtypes)
        + torch_max_cases(3, 40, dtypes),
    )
    save("torch_avg", torch_avg_cases(1, 20) + torch_avg_cases(2, 60) + torch_avg_cases(3, 20))
    save(
        "tf",
        tf_cases("max", 2, 60, dtypes)
        + tf_cases("avg", 2, 40, ["float32", "float64"])
        + tf_cases("max", 1, 10, ["float32", "float64"])
        + tf_cases("max", 3, 10, ["float32"])
        + tf_cases("avg", 3, 10, ["float32"])
        + tf_dilated_cases(20),
    )
    save("torch_unpool", torch_unpool_cases(45))
    save("torch_backward", torch_backward_cases(120))
    save("torch_adaptive", torch_adaptive_cases(72))
    save("torch_unpool_shapes", torch_unpool_shape_cases(90))
    print(f"torch {torch.__version__}, tensorflow {tf.__version__}, numpy {np.__version__}")


if __name__ == "__main__":
    sys.exit(main())
