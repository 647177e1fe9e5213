"""NumPy ``.npy`` and ``.npz`` files, read without ever unpickling."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np

from ..errors import FileFormatError
from .atomic import atomic_write

NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK\x03\x04"


def load(path: str | Path, key: str | None = None) -> np.ndarray:
    """Read an array from a ``.npy`` file or one member of an ``.npz`` file.

    Parameters
    ----------
    path : str or Path
    key : str, optional
        The ``.npz`` member to read; needed when the archive holds more than one.

    Raises
    ------
    FileFormatError
        The file is missing, corrupt, pickled, or not an array file.
    """
    path = Path(path)
    try:
        with path.open("rb") as f:
            magic = f.read(len(NPY_MAGIC))
            f.seek(0)
            if magic.startswith(NPY_MAGIC):
                return np.load(f, allow_pickle=False)
            if magic.startswith(ZIP_MAGIC):
                with np.load(f, allow_pickle=False) as archive:
                    return _member(path, archive, key)
    except FileFormatError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise FileFormatError(f"{path}: cannot read as .npy/.npz: {_reason(e)}") from e
    raise FileFormatError(f"{path}: not a .npy or .npz file (it does not start like one)")


def _member(path: Path, loaded: np.lib.npyio.NpzFile, key: str | None) -> np.ndarray:
    names = list(loaded.files)
    if key is None:
        if len(names) != 1:
            raise FileFormatError(
                f"{path}: holds {len(names)} arrays ({', '.join(names) or 'none'}); "
                f"expected one, or a key naming one"
            )
        key = names[0]
    if key not in names:
        raise FileFormatError(f"{path}: has no array {key!r}; it holds {', '.join(names)}")
    return loaded[key]


def _reason(e: BaseException) -> str:
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    if "allow_pickle" in text or "Object arrays" in text:
        return "it holds pickled Python objects, which are never loaded"
    return text


def save(path: str | Path, array: np.ndarray, overwrite: bool = False) -> None:
    """Write an array as ``.npy`` (or ``.npz`` by extension), atomically.

    Raises
    ------
    FileFormatError
        The output exists and ``overwrite`` is false, or it cannot be written.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileFormatError(f"{path}: already exists; pass overwrite to replace it")
    buffer = io.BytesIO()
    if path.suffix.lower() == ".npz":
        np.savez(buffer, array)
    else:
        np.save(buffer, array, allow_pickle=False)
    try:
        with atomic_write(path, overwrite=overwrite) as f:
            f.write(buffer.getbuffer())
    except FileExistsError:
        raise FileFormatError(f"{path}: already exists; pass overwrite to replace it") from None
    except OSError as e:
        raise FileFormatError(f"{path}: cannot write: {e.strerror or e}") from e
