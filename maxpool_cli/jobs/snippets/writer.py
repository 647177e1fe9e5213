"""Writing code: lines of Python with their comments, and values written into it as
literals and indices. Plain strings; no framework is imported."""

from __future__ import annotations

import math

import numpy as np

LINE = 99  # a comment goes beside its code when the line stays this short, else above it


class _Code:
    """Lines of Python, each with an optional comment (beside it if short, else above)."""

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._indent = ""

    def add(self, line: str, comment: str = "") -> None:
        line = self._indent + line
        if comment and len(line) + 4 + len(comment) <= LINE:
            line = f"{line}  # {comment}"
        elif comment:
            self.note(comment)
        self._lines.append(line)

    def note(self, comment: str) -> None:
        """A comment line of its own, wrapped to the line length."""
        words, line = comment.split(), ""
        for word in words:
            if line and len(self._indent) + 2 + len(line) + 1 + len(word) > LINE:
                self._lines.append(f"{self._indent}# {line}")
                line = word
            else:
                line = f"{line} {word}" if line else word
        self._lines.append(f"{self._indent}# {line}")

    def block(self, header: str) -> None:
        self._lines.append(self._indent + header)
        self._indent += "    "

    def end(self) -> None:
        self._indent = self._indent[:-4]

    def text(self) -> str:
        return "".join(line + "\n" for line in self._lines)


# --- values written into code -----------------------------------------------------------------


def _one_or_all(values: tuple[int, ...]) -> str:
    return str(values[0]) if len(set(values)) == 1 else str(values)


def _dtype_name(dtype: np.dtype) -> str:
    return "np.bool_" if dtype.kind == "b" else f"np.{dtype.name}"


def _literal(value: object, dtype: np.dtype, library: str) -> str:
    """``value`` as a literal of ``dtype`` (ints as ints, infinities and NaN by name)."""
    if dtype.kind == "b":
        return "True" if value else "False"
    if dtype.kind in "iu":
        return str(int(value))  # type: ignore[call-overload]
    number = float(value)  # type: ignore[arg-type]
    module = "torch" if library == "torch" else "np"
    if math.isnan(number):
        return f"{module}.nan"
    if math.isinf(number):
        return f"{module}.inf" if number > 0 else f"-{module}.inf"
    return repr(number)


def _extreme(dtype: np.dtype, library: str, highest: bool) -> str:
    """The value a max (``highest=False``) or a min never picks."""
    if dtype.kind == "f":
        return _literal(math.inf if highest else -math.inf, dtype, library)
    if dtype.kind == "b":
        return _literal(highest, dtype, library)
    return f"np.iinfo({_dtype_name(dtype)}).{'max' if highest else 'min'}"


def _seq(values: tuple[int, ...]) -> str:
    return str(values[0]) if len(values) == 1 else str(values)


def _index(whole: int, parts: list[str]) -> str:
    """``[:, ::2, ::2]``: ``whole`` leading axes taken whole, then ``parts`` (trailing whole
    axes dropped; nothing at all when every axis is whole)."""
    items = [":"] * whole + parts
    while items and items[-1] == ":":
        items.pop()
    return f"[{', '.join(items)}]" if items else ""


# --- the input written into code ---------------------------------------------------------------


def _array_lines(x: np.ndarray) -> list[str]:
    """``x = np.array([[1, 2], [3, 4]], dtype=np.int64)``: every value exactly (each float in
    the shortest text its own dtype reads back the same), on one line when it fits, else
    nested a row a line."""
    dtype = f"dtype={_dtype_name(x.dtype)}"
    cells = np.empty(x.shape, dtype=object)
    for index, value in np.ndenumerate(x):
        cells[index] = _exact(value)
    one = f"x = np.array({_flat(cells)}, {dtype})"
    if len(one) <= LINE:
        return [one]
    return ["x = np.array(", *_nested(cells, "    "), f"    {dtype},", ")"]


def _exact(value: object) -> str:
    """A value as Python reads it back exactly: ``3``, ``True``, ``0.1`` (a float32's own
    shortest digits: read as a float64 and then rounded to float32, they give it back),
    ``-0.0``, ``np.nan``, ``-np.inf``."""
    if isinstance(value, np.bool_):
        return "True" if value else "False"
    if isinstance(value, np.integer):
        return str(int(value))
    number = float(value)  # type: ignore[arg-type]
    if math.isnan(number):
        return "np.nan"
    if math.isinf(number):
        return "np.inf" if number > 0 else "-np.inf"
    return str(value)


def _flat(cells: np.ndarray) -> str:
    if cells.ndim == 1:
        return f"[{', '.join(cells.tolist())}]"
    return f"[{', '.join(_flat(sub) for sub in cells)}]"


def _nested(cells: np.ndarray, indent: str) -> list[str]:
    """``cells`` as lines at ``indent``, each ending in a comma: one line when it fits, else
    its rows, and the values of a long row over as many lines as they need."""
    one = f"{indent}{_flat(cells)},"
    if len(one) <= LINE:
        return [one]
    lines = [f"{indent}["]
    if cells.ndim == 1:
        line = ""
        for value in cells.tolist():
            if line and len(indent) + 4 + len(line) + len(value) + 2 > LINE:
                lines.append(f"{indent}    {line.rstrip()}")
                line = ""
            line += f"{value}, "
        lines.append(f"{indent}    {line.rstrip()}")
    else:
        for sub in cells:
            lines += _nested(sub, indent + "    ")
    return [*lines, f"{indent}],"]
