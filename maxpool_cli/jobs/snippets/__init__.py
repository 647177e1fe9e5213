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

import numpy as np
from numpy.typing import DTypeLike

from ...errors import ParameterError
from ..options import PoolOptions
from .job import Geometry, _Job
from .tf_native import _tf_native, _tf_route
from .torch_native import _torch_adaptive, _torch_adaptive_work, _torch_native, _torch_route
from .windows import _adaptive_loop, _windows
from .writer import _Code

LIBRARIES = ("torch", "tf", "numpy")


def snippet(library: str, options: PoolOptions, geometry: Geometry, dtype: DTypeLike) -> str:
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

    Returns
    -------
    str
        The snippet: imports, a comment saying what it computes, the code; ends with a newline.

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
    header = _Code()
    header.note(f"x: a {job.shape} {job.dtype} array; y = {job.call}")
    return f"{_imports(library, code.text())}\n\n{header.text()}{code.text()}"


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
    return "\n".join(lines)
