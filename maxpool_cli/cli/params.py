"""Click parameter types and the pooling options the commands share.

The types only parse text into the values the library takes; the library checks the values
themselves (a kernel of 0 parses here and is refused by the engine).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from ..jobs.options import PoolOptions

IntList = tuple[int, ...]
PaddingSpec = str | int | tuple[int | tuple[int, int], ...]


class IntListType(click.ParamType):
    """``3`` or ``3,2``: one integer for every pooled axis, or one per axis.

    >>> IntListType().convert("3,2", None, None)
    (3, 2)
    """

    name = "N[,N...]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, tuple):
            return value
        try:
            return tuple(int(part) for part in str(value).split(","))
        except ValueError:
            self.fail(
                f"expected an integer or comma-separated integers like 3 or 3,2; got {value!r}",
                param,
                ctx,
            )


class PaddingType(click.ParamType):
    """``valid``, ``same``, ``N``, ``N,M`` or per-axis ``before:after`` pairs like ``1:0,0:1``.

    >>> PaddingType().convert("1:0,2", None, None)
    ((1, 0), 2)
    >>> PaddingType().convert("SAME", None, None)
    'same'
    """

    name = "valid|same|N[,N...]|B:A[,B:A...]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        text = value.strip().lower()
        if text in ("valid", "same"):
            return text
        try:
            parts = [self._part(p) for p in text.split(",")]
        except ValueError:
            self.fail(
                "expected valid, same, an integer (3), one per axis (1,2) or before:after "
                f"pairs (1:0,0:1); got {value!r}",
                param,
                ctx,
            )
        return parts[0] if len(parts) == 1 and isinstance(parts[0], int) else tuple(parts)

    @staticmethod
    def _part(part: str) -> int | tuple[int, int]:
        if ":" in part:
            before, after = part.split(":")
            return int(before), int(after)
        return int(part)


class HintedChoice(click.Choice):
    """A choice that points at the right word for a common slip (``--op mean``: ``avg``).

    >>> HintedChoice(["max", "avg"], {"mean": "avg"}).convert("mean", None, None)
    Traceback (most recent call last):
    ...
    click.exceptions.BadParameter: 'mean' is not one of max, avg; did you mean 'avg'?
    """

    def __init__(self, choices: list[str], hints: dict[str, str]) -> None:
        super().__init__(choices)
        self.hints = hints

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        hint = self.hints.get(str(value).lower())
        if hint is not None:
            choices = ", ".join(map(str, self.choices))
            self.fail(f"{value!r} is not one of {choices}; did you mean {hint!r}?", param, ctx)
        return super().convert(value, param, ctx)


# --code: the libraries a snippet is written for, and the names people try first.
CODE_CHOICE = HintedChoice(
    ["torch", "tf", "numpy"], {"pytorch": "torch", "tensorflow": "tf", "np": "numpy"}
)


INT_LIST = IntListType()
PADDING = PaddingType()
OP_HINTS = {
    "mean": "avg",
    "average": "avg",
    "maximum": "max",
    "minimum": "min",
    "total": "sum",
    "majority": "mode",
    "most": "mode",
    "add": "sum",
}


def _ceil(given: bool | None, padding: object, default: bool) -> bool:
    if given is not None:
        return given
    return default and not (isinstance(padding, str) and padding == "same")


def _scalar_or_tuple(values: IntList) -> int | IntList:
    """One value for every pooled axis stays a scalar, so the default pooled axes apply."""
    return values[0] if len(values) == 1 else values


def _optional(values: IntList | None) -> int | IntList | None:
    return None if values is None else _scalar_or_tuple(values)


def pooling_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the pooling options of ``run``, ``explain`` and ``info``; pass them as ``options``."""
    return _with_pooling_options(command, ceil_default=False)


def pyramid_pooling_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The pooling options of ``pyramid``: ceil mode on by default (odd sizes keep their last
    row and column), and off where ``-p same`` already rounds sizes up."""
    return _with_pooling_options(command, ceil_default=True)


def _with_pooling_options(command: Callable[..., Any], ceil_default: bool) -> Callable[..., Any]:
    @functools.wraps(command)
    def with_options(*args: Any, **kwargs: Any) -> Any:
        padding = kwargs.pop("padding")
        options = PoolOptions(
            kernel=_optional(kwargs.pop("kernel")),
            stride=_optional(kwargs.pop("stride")),
            padding=padding,
            dilation=_scalar_or_tuple(kwargs.pop("dilation")),  # (default "1": never None)
            ceil_mode=_ceil(kwargs.pop("ceil_mode"), padding, ceil_default),
            op=kwargs.pop("op"),
            pad_value=kwargs.pop("pad_value"),
            count_pad=kwargs.pop("count_pad"),
            nan=kwargs.pop("nan_policy"),
            axes=kwargs.pop("axes"),
            output_size=_optional(kwargs.pop("output_size")),
            global_pool=kwargs.pop("global_pool"),
        )
        return command(*args, options=options, **kwargs)

    decorators = [
        click.option(
            "-k",
            "--kernel",
            type=INT_LIST,
            default=None,
            help="Window size: one value, or one per pooled axis (3,2).  [default: 2]",
        ),
        click.option(
            "-s",
            "--stride",
            type=INT_LIST,
            default=None,
            help="Step between windows (default: the kernel).",
        ),
        click.option(
            "-p",
            "--padding",
            type=PADDING,
            default="valid",
            show_default=True,
            help="valid, same (TensorFlow's), N, N,M or before:after pairs like 1:0,0:1.",
        ),
        click.option(
            "-d",
            "--dilation",
            type=INT_LIST,
            default="1",
            show_default=True,
            help="Spacing between window cells.",
        ),
        click.option(
            "--ceil-mode/--no-ceil-mode",
            default=None,
            help="Round output sizes up (PyTorch's ceil_mode)."
            + ("  [default: on]" if ceil_default else ""),
        ),
        click.option(
            "--op",
            type=HintedChoice(["max", "min", "avg", "sum", "mode"], OP_HINTS),
            default="max",
            show_default=True,
            help="The reduction (mode: the most frequent value, for label maps).",
        ),
        click.option(
            "--pad-value",
            type=float,
            default=None,
            help="Padded cells hold this value (0: zero padding); default: they never win.",
        ),
        click.option(
            "--count-pad", is_flag=True, help="avg: divide by the whole window, padding included."
        ),
        click.option(
            "--nan",
            "nan_policy",
            type=click.Choice(["propagate", "ignore"]),
            default="propagate",
            show_default=True,
            help="What a NaN in a window does.",
        ),
        click.option(
            "--axes",
            type=INT_LIST,
            default=None,
            help="Pooled axes of an array, like 0,1 (default: the last ones).",
        ),
        click.option(
            "--output-size",
            type=INT_LIST,
            default=None,
            help="Adaptive pooling to this size, like 7,7 (windows fitted, as PyTorch's).",
        ),
        click.option(
            "--global",
            "global_pool",
            is_flag=True,
            help="Global pooling: one value per channel (output size 1).",
        ),
    ]
    for decorate in reversed(decorators):
        with_options = decorate(with_options)
    return with_options
