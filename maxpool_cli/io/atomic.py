"""Atomic file writes: a temporary file in the target folder, fsync, rename, fsync the folder.

A temporary's name says whose it is: ``.<target>.<host>.<pid>.<random>.part``. A writer that
is killed (SIGKILL, power loss) cannot remove its own; the next write of the same target
removes those whose writer is dead, and never touches a live writer's.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ..errors import FileFormatError, MaxpoolError, OutputExistsError

SUFFIX = ".part"
# (folder, name prefix) of the temporaries this process is writing: known before each is
# made, so that a job stopped at any instant can find them all.
_pending: set[tuple[Path, str]] = set()


@contextlib.contextmanager
def _tracked(path: Path) -> Iterator[str]:
    """The prefix of this process's temporaries for ``path``, tracked while within, and
    after a stop (Ctrl-C, SIGTERM), which may have come before the temporary was known to
    the code that removes it: :func:`remove_own_temporaries` sweeps it on the way out."""
    key = (path.parent, temporary_prefix(path))
    _pending.add(key)
    try:
        yield key[1]
    except Exception:
        _pending.discard(key)
        raise
    else:
        _pending.discard(key)


def _host() -> str:
    if hasattr(os, "uname"):
        name = os.uname().nodename  # what gethostname() gives, without importing socket
    else:
        import socket

        name = socket.gethostname()
    return name.replace(".", "_") or "host"


def temporary_prefix(path: Path) -> str:
    """The start of this process's temporaries' names for ``path``."""
    return f".{path.name}.{_host()}.{os.getpid()}."


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Remove the temporaries of ``path`` (files or folders) left by dead writers on this
    host; return what was removed. Another host's, or a live writer's, are left alone."""
    try:
        candidates = list(path.parent.glob(f".{glob_escape(path.name)}.*{SUFFIX}"))
    except OSError:
        return []
    return _remove_dead(path, candidates)


def _remove_dead(path: Path, candidates: list[Path]) -> list[Path]:
    removed: list[Path] = []
    host = _host()
    for candidate in candidates:
        parts = candidate.name[len(path.name) + 2 : -len(SUFFIX)].split(".")
        if len(parts) != 3 or parts[0] != host or not parts[1].isdigit():
            continue  # not ours, or another host's: its writer's life cannot be checked
        if is_alive(int(parts[1])):
            continue
        with contextlib.suppress(OSError):
            if candidate.is_dir() and not candidate.is_symlink():
                shutil.rmtree(candidate)
            else:
                candidate.unlink()
            removed.append(candidate)
    return removed


# Per folder, the temporaries it held when this process first wrote there. A batch writes
# thousands of files into one folder: listing it for every file would cost the square.
_seen_temporaries: dict[Path, list[str]] = {}


def _remove_stale_once_listed(path: Path) -> None:
    """:func:`remove_stale_temporaries`, from one listing of the folder per process (the
    temporaries of writers that died before this process started)."""
    folder = path.parent
    names = _seen_temporaries.get(folder)
    if names is None:
        try:
            with os.scandir(folder) as entries:
                names = [
                    e.name for e in entries if e.name.startswith(".") and e.name.endswith(SUFFIX)
                ]
        except OSError:
            names = []
        _seen_temporaries[folder] = names
    prefix = f".{path.name}."
    mine = [folder / name for name in names if name.startswith(prefix)]
    if mine:
        gone = {p.name for p in _remove_dead(path, mine)}
        names[:] = [name for name in names if name not in gone]


def glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (as SQLite and git do after renaming)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # not possible here (Windows): the rename stands as the OS keeps it
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on folders
    finally:
        os.close(fd)


def sync_tree(folder: Path) -> None:
    """Make every file and folder under ``folder`` durable: on Linux one ``syncfs`` of its
    file system (a store of thousands of chunks is not synced a file at a time), elsewhere
    each file's ``fsync``."""
    if sys.platform.startswith("linux"):
        import ctypes  # (not at start-up)

        fd = os.open(folder, os.O_RDONLY)
        try:
            if ctypes.CDLL(None, use_errno=True).syncfs(fd) == 0:
                return
        except (OSError, AttributeError):
            pass  # no syncfs in this C library: file by file below
        finally:
            os.close(fd)
    for here, _, names in os.walk(folder):
        for name in names:
            with open(os.path.join(here, name), "rb+") as f:
                os.fsync(f.fileno())
        fsync_folder(Path(here))


def write_all(out: BinaryIO, data: bytes | memoryview) -> None:
    """Write all of ``data``: a pipe whose reader takes part of a large write and goes away
    makes ``write`` return the short count (no error), and a short write is no success.
    The next write of a closed pipe raises BrokenPipeError; one that writes nothing raises
    OSError."""
    view = memoryview(data).cast("B")
    while view:
        count = out.write(view)
        if not count:
            raise OSError(errno.EIO, "nothing written", getattr(out, "name", "<stream>"))
        view = view[count:]
    out.flush()


def write_error(target: str | Path, error: OSError) -> MaxpoolError:
    """An OS error of writing ``target`` as a domain error: an output that appeared meanwhile
    (another writer won), or one clear line (a full disk, no permission)."""
    if isinstance(error, FileExistsError):
        return OutputExistsError(target)
    return FileFormatError(f"{target}: cannot write: {error.strerror or error}")


@contextlib.contextmanager
def atomic_write(
    path: Path, overwrite: bool = False, sync_folder: bool = True
) -> Iterator[BinaryIO]:
    """Open a temporary file beside ``path`` that replaces it only if the block succeeds.

    Any exception (KeyboardInterrupt included) removes the temporary file and leaves an
    existing ``path`` untouched, so a failed write never leaves a partial file. Without
    ``overwrite``, a ``path`` that appears meanwhile is not clobbered (FileExistsError).
    The file's data is always synced before the rename (a rename that survives a power cut
    names a whole file); ``sync_folder=False`` leaves the folder's sync (the rename's own
    durability) to the caller, who syncs it once after many files.
    """
    folder = path.parent
    _remove_stale_once_listed(path)
    # Tracked before it is made: a job stopped between the two still finds it (the sweep).
    with _tracked(path) as prefix:
        fd, tmp_name = tempfile.mkstemp(prefix=prefix, suffix=SUFFIX, dir=folder)
        tmp = Path(tmp_name)
        try:
            os.close(fd)  # reopened by name below, so that the file object knows its path
            # mkstemp makes the file private (0600); an output gets the usual mode.
            os.chmod(tmp, 0o666 & ~_umask())
            with tmp.open("r+b") as f:
                yield f
                f.flush()
                os.fsync(f.fileno())
            if overwrite:
                os.replace(tmp, path)
            else:
                # link() fails if the target exists: a file appearing meanwhile stays.
                os.link(tmp, path)
                tmp.unlink()
            if sync_folder:
                fsync_folder(folder)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


@contextlib.contextmanager
def atomic_folder(path: Path, overwrite: bool = False) -> Iterator[Path]:
    """A temporary folder beside ``path`` (a Zarr store) that becomes ``path`` only if the
    block succeeds; removed otherwise. An existing ``path`` (with ``overwrite``) is swapped
    out whole and removed after: at every instant ``path`` is the old folder or the new."""
    remove_stale_temporaries(path)
    with _tracked(path) as prefix:
        tmp = Path(tempfile.mkdtemp(prefix=prefix, suffix=SUFFIX, dir=path.parent))
        try:
            os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp's is private (0700); an output's not
            yield tmp
            sync_tree(tmp)  # what the folder holds is on disk before its name says it is whole
            if path.exists() and not overwrite:
                raise FileExistsError(path)
            old = _move_in(tmp, path, overwrite)
            fsync_folder(path.parent)
        except BaseException:
            _remove(tmp)
            raise
        if old is not None:
            _remove(old)


SWEEPS = 50


def remove_own_temporaries() -> None:
    """On the way out of a stopped job (Ctrl-C, SIGTERM): stop the writers that run on
    threads of their own (zarr's event loop goes on writing chunks after the main thread
    is stopped, making its folders again), then remove what is left of this process's
    temporaries."""
    sync = sys.modules.get("zarr.core.sync")
    if sync is not None:
        with contextlib.suppress(Exception):
            sync.cleanup_resources()
    for folder, prefix in list(_pending):
        for _ in range(SWEEPS):  # (a write still under way when stopped may make it again)
            left = list(folder.glob(f"{glob_escape(prefix)}*{SUFFIX}"))
            if not left:
                break
            for tmp in left:
                _remove(tmp)
            time.sleep(0.02)
    _pending.clear()


# Attempts at moving a folder in while other writers of the same target move theirs.
MOVE_ATTEMPTS = 20


def _move_in(tmp: Path, path: Path, overwrite: bool) -> Path | None:
    """Give the finished folder ``tmp`` the name ``path``; return where the old ``path`` now
    is (a temporary, to remove), or None. Two writers replacing one target both succeed,
    one result winning whole."""
    for _ in range(MOVE_ATTEMPTS):
        if not os.path.lexists(path):
            try:
                os.rename(tmp, path)
                return None
            except OSError as e:
                if e.errno not in (errno.EEXIST, errno.ENOTEMPTY, errno.EISDIR, errno.ENOTDIR):
                    raise
            # Another writer's folder came in meanwhile: replace that one instead.
        if not overwrite:
            raise FileExistsError(path)
        if _exchange(tmp, path):
            return tmp  # (now holding the old folder)
        # A temporary's name, which a rerun removes if this writer dies before it does.
        aside = tmp.with_name(f"{tmp.name.removesuffix(SUFFIX)}old{SUFFIX}")
        try:
            os.rename(path, aside)
        except FileNotFoundError:
            continue  # another writer moved it aside first: try again from the start
        try:
            os.rename(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.rename(aside, path)  # (the old folder back, rather than no folder)
            raise
        return aside
    raise FileExistsError(path)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two names atomically (Linux's ``renameat2`` with ``RENAME_EXCHANGE``); False
    where that is not possible here, or ``b`` is gone."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes  # (not at start-up)

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False  # a C library without it
    at_cwd, exchange = -100, 2  # AT_FDCWD, RENAME_EXCHANGE
    if renameat2(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOENT, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False  # b gone meanwhile, or a file system without exchange: the other way
    raise OSError(code, os.strerror(code), str(b))


def _remove(path: Path) -> None:
    """Remove a temporary file or folder, whatever is left of it."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
