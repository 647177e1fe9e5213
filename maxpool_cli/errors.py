"""Domain errors.

Every error the library raises on purpose is a :class:`MaxpoolError`. The command line turns
them into one-line messages and exit codes in one place (``cli.py``); library users can catch
the base class or a specific subclass. This module imports nothing, so every layer (the engine
included) may raise these without depending on anything else in the package.
"""

from __future__ import annotations


class MaxpoolError(Exception):
    """Base class of every error ``maxpool_cli`` raises on purpose."""


class ParameterError(MaxpoolError, ValueError):
    """A parameter is invalid on its own (kernel 0, stride -1, op "median", output = input)."""


class ShapeError(MaxpoolError, ValueError):
    """The parameters do not fit the input's shape (kernel larger than the input, bad axes)."""


class DTypeError(MaxpoolError, TypeError):
    """The input's dtype cannot be pooled (complex, object, string)."""


class FileFormatError(MaxpoolError):
    """A file cannot be read or written: unknown format, corrupt, truncated, unsafe."""


class OutputExistsError(FileFormatError):
    """The output exists and is not to be replaced (another run may just have written it)."""

    def __init__(self, path: object) -> None:
        super().__init__(f"{path}: already exists; pass --overwrite to replace it")


class MissingExtraError(MaxpoolError, ImportError):
    """An optional dependency is not installed (``--dask``, Zarr): says which extra brings it."""

    def __init__(self, what: str, extra: str = "dask") -> None:
        super().__init__(
            f"{what} needs the [{extra}] extra, which is not installed; from a checkout of "
            f"maxpool: pip install '.[{extra}]'"
        )


def about_file(error: MaxpoolError, path: object) -> MaxpoolError:
    """The same error, its message led by the file it concerns (``<file>: <what and why>``).

    Parameter errors are left as they are: they hold whatever the file.
    """
    message = str(error)
    if isinstance(error, ParameterError) or message.startswith(f"{path}:"):
        return error
    return type(error)(f"{path}: {message}")
