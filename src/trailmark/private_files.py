"""Files and folders only their owner may read: the data dir, the SQLite database (its
``-wal`` and ``-shm`` files take its mode), the server key.

Modes are set when Trailmark creates a path, never changed on a path that exists: a folder
someone shared on purpose (a team's data dir with group access) stays as they made it.

Example::

    make_private_dir(Path("~/.trailmark").expanduser())   # 0700 where it creates folders
    create_private_file(data_dir / "trailmark.db")          # 0600 if it is new
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def make_private_dir(path: Path) -> None:
    """``mkdir -p`` where every folder it creates is 0700 (``Path.mkdir`` gives the
    parents it creates the default mode)."""
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:
            continue  # another process made it meanwhile: its mode is its creator's
        os.chmod(folder, PRIVATE_DIR_MODE)  # mkdir's mode is masked by the umask; 0700 is the aim


def create_private_file(path: Path) -> bool:
    """Create ``path`` empty and 0600 unless it exists; whether it was created."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return False
    os.close(fd)
    return True
