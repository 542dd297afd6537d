"""Give a file's blocks back to the filesystem without moving its bytes: ``fallocate`` with
``FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE`` (Linux; ext4, XFS, btrfs, tmpfs, F2FS and
others). The file keeps its size and every offset in it stays valid; the punched range
reads as NUL bytes and takes no space.

Where the call is missing (not Linux) or the filesystem refuses it, :func:`punch` says so
once by returning False, and nothing is reclaimed: a spool there grows as it always did.
"""

from __future__ import annotations

import errno
import os
import sys
from typing import Any

_KEEP_SIZE = 0x01
_PUNCH_HOLE = 0x02
_UNSUPPORTED = (errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL, errno.EBADF, errno.EPERM)

_fallocate: Any = None
"""libc's ``fallocate``, looked up on first use (ctypes costs ~2 ms to load: it is paid by
the sender thread, never by ``import trailmark`` or ``log()``); False where there is none."""


def _lookup() -> Any:
    global _fallocate
    if _fallocate is None:
        _fallocate = False
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                libc = ctypes.CDLL(None, use_errno=True)
                found = getattr(libc, "fallocate64", None) or libc.fallocate
                found.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
                found.restype = ctypes.c_int
                _fallocate = found
            except (OSError, AttributeError):
                pass
    return _fallocate


def punch(fd: int, start: int, end: int) -> bool:
    """Free the blocks wholly inside ``[start, end)`` of the file open for writing as ``fd``.

    Returns False where holes cannot be punched (then nothing was changed); raises
    :class:`OSError` for other failures.
    """
    if end <= start:
        return True
    call = _lookup()
    if not call:
        return False
    if call(fd, _PUNCH_HOLE | _KEEP_SIZE, start, end - start) == 0:
        return True
    import ctypes

    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code))


def next_data(fd: int, offset: int) -> int:
    """Where the bytes after ``offset`` stop being a hole (``offset`` itself if it holds data;
    the file's size if only a hole follows). Where holes cannot be found, all is data."""
    seek_data = getattr(os, "SEEK_DATA", None)
    if seek_data is None:
        return offset
    try:
        return os.lseek(fd, offset, seek_data)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a hole up to the end of the file
            return os.fstat(fd).st_size
        raise
