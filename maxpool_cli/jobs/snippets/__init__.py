"""The same pooling in PyTorch, TensorFlow or NumPy: short runnable snippets (``--code``).

A snippet turns a NumPy array ``x`` into ``y`` equal to what ``pool(x, ...)`` (or
``adaptive_pool``) gives with the same options: the same shape and dtype, and the same values
(bit for bit for max, min and mode; within a few ulp for avg and sum, whose additions run in
another order). It calls the library's own pooling function where that computes exactly this
(``F.max_pool2d``, ``tf.nn.max_pool``, ...); where it cannot, a comment says why, and the
snippet takes the windows apart itself (``unfold``, ``tf.gather``, ``sliding_window_view``)
and reduces them. Snippets are built from the options and the geometry alone: plain strings,
no framework is imported here.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import DTypeLike

from ... import io
from ...errors import ParameterError
from ..options import PoolOptions
from .job import Geometry, _Job
from .tf_native import _tf_native, _tf_route
from .torch_native import _torch_adaptive, _torch_adaptive_work, _torch_native, _torch_route
from .windows import _adaptive_loop, _windows
from .writer import _array_lines, _Code

LIBRARIES = ("torch", "tf", "numpy")
LITERAL_UP_TO = 400  # inputs of at most this many cells are written out in the snippet


@dataclass(frozen=True)
class Data:
    """Where a snippet's ``x`` comes from, so that the pasted snippet runs: its ``values``
    (written out when there are at most :data:`LITERAL_UP_TO`), else ``load``, a Python
    expression reading it (see :func:`load_expression`); ``what`` names it in the header."""

    values: np.ndarray | None = None
    load: str | None = None
    what: str = ""


def load_expression(path: str, name: str | None = None, index: str = "") -> str | None:
    """How a snippet reads array ``name`` of the file ``path`` as maxpool does, then takes
    ``index`` of it (``[0:6, 0:6, 1]``); None for standard input, which cannot be read again.

    >>> load_expression("a.npy"), load_expression("f.npz", "conv1")
    ('np.load("a.npy")', 'np.load("f.npz")["conv1"]')
    >>> load_expression("dot.gif", "frame2"), load_expression("a.png", "image", "[0:4, 0:4, 1]")
    ('maxpool_cli.load("dot.gif")[2]', 'maxpool_cli.load("a.png")[0:4, 0:4, 1]')
    >>> load_expression("f.npz", "heatmap", "[1, 0:24, 0:24]")
    'np.load("f.npz")["heatmap"][1, 0:24, 0:24]'
    """
    if path == io.STDIO:
        return None
    quoted = json.dumps(path)  # (a JSON string is a Python string literal)
    suffix = Path(path).suffix.lower()
    frame = re.fullmatch(r"frame(\d+)", name or "")
    if suffix == ".npy":
        text = f"np.load({quoted})"
    elif suffix == ".npz" and name is not None:
        text = f"np.load({quoted})[{json.dumps(name)}]"
    elif frame is not None:  # one frame of an image, which maxpool_cli.load stacks
        text = f"maxpool_cli.load({quoted})[{frame.group(1)}]"
    else:
        text = f"maxpool_cli.load({quoted})"
    return text + index


def file_snippet(
    library: str,
    options: PoolOptions,
    geometry: Geometry,
    dtype: DTypeLike,
    path: str,
    name: str | None = None,
) -> str:
    """:func:`snippet` for array ``name`` of the file ``path`` (as ``maxpool run --code``
    pools it): a small array written out (read again: a few hundred cells), a larger one
    read by a line of the snippet."""
    values = None
    if path != io.STDIO and math.prod(geometry.input_shape) <= LITERAL_UP_TO:
        doc = io.read(path)
        values = doc.arrays[name] if name in doc.arrays else doc.single()
    return snippet(library, options, geometry, dtype, Data(values, load_expression(path, name)))


def snippet(
    library: str,
    options: PoolOptions,
    geometry: Geometry,
    dtype: DTypeLike,
    data: Data | None = None,
) -> str:
    """Python code computing, from a NumPy array ``x``, ``y`` equal to maxpool's result.

    Parameters
    ----------
    library : {"torch", "tf", "numpy"}
    options : PoolOptions
        The op, ``pad_value``, ``count_pad`` and ``nan`` policy (and ``padding``, to tell
        TensorFlow's ``same`` apart).
    geometry : PoolGeometry or AdaptiveGeometry
        The geometry the engine pools ``x`` with (it holds the input shape and pooled axes).
    dtype : dtype-like
        The dtype of ``x``.
    data : Data, optional
        Where ``x`` comes from: the snippet then defines it first (written out, or read),
        and runs as pasted. Without it, the snippet starts from an ``x`` already defined.

    Returns
    -------
    str
        The snippet: imports, a comment saying what it computes, ``x`` when ``data`` says
        how, the code; ends with a newline.

    Examples
    --------
    >>> from maxpool_cli.engine import pool_geometry
    >>> g = pool_geometry((4, 4), kernel=2)
    >>> print(snippet("numpy", PoolOptions(kernel=2), g, "int64"), end="")
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view
    <BLANKLINE>
    # x: a (4, 4) int64 array; y = maxpool_cli.pool(x, kernel=2)
    w = sliding_window_view(x, (2, 2), axis=(0, 1))[::2, ::2]  # every 2x2 window, 2 cells apart
    y = w.max(axis=(-2, -1))  # the largest of each window's cells (axes -2, -1)
    """
    if library not in LIBRARIES:
        raise ParameterError(f"--code: expected one of {', '.join(LIBRARIES)}; got {library!r}")
    job = _Job.of(options, geometry, np.dtype(dtype))
    code = _Code()
    if job.spans:
        if library == "torch" and _torch_adaptive_work(job) is not None:
            _torch_adaptive(job, code)
        else:
            _adaptive_loop(job, code, library)
    elif library == "numpy":
        _windows(job, code, "numpy")
    else:
        work, why = (_torch_route if library == "torch" else _tf_route)(job)
        if work is None:
            _windows(job, code, library, why)
        elif library == "torch":
            _torch_native(job, code, work)
        else:
            _tf_native(job, code, work)
    body = _header(job, data) + code.text()
    return f"{_imports(library, body)}\n\n{body}"


def _header(job: _Job, data: Data | None) -> str:
    """The comment saying what ``x`` is and which maxpool call agrees, then ``x`` itself."""
    header = _Code()
    what = f" ({data.what})" if data is not None and data.what else ""
    header.note(f"x: a {job.shape} {job.dtype} array{what}; y = {job.call}")
    for line in [] if data is None else _defined(data):
        header.add(line)
    return header.text()


def _defined(data: Data) -> list[str]:
    """The lines defining ``x``: its values, or how to read it, or what to do first."""
    values = data.values
    exact = values is not None and (values.dtype.kind != "f" or values.dtype.itemsize <= 8)
    if values is not None and exact and values.size <= LITERAL_UP_TO:
        return _array_lines(values)
    if data.load is not None:
        return [f"x = {data.load}"]
    return ["# x must be defined first: save the input (np.save) and np.load it here"]


def _imports(library: str, body: str) -> str:
    lines = ["import numpy as np"]
    if library == "torch":
        lines.append("import torch")
        if "F." in body:
            lines.append("import torch.nn.functional as F")
    elif library == "tf":
        lines.append("import tensorflow as tf")
    if "sliding_window_view" in body:
        lines.append("from numpy.lib.stride_tricks import sliding_window_view")
    if "maxpool_cli.load(" in body:  # (reads the input as maxpool does)
        lines.append("import maxpool_cli")
    return "\n".join(lines)
