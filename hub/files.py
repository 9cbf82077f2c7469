"""Writing files so that a power cut leaves either the old version or the new one, never half of one."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def fsync_dir(path: Path) -> None:
    """Make a rename or link in this folder durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write beside the target, fsync, then rename over it (creating the folder if needed).

    ``mode`` applies from the first byte, so a private key is never readable by others.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def create_once(path: Path, data: bytes, mode: int = 0o600) -> bool:
    """Write ``path`` whole unless it exists; False when another writer was first (its file is kept).

    Two processes may start on an empty directory at once (the hub and a CLI command): the data is
    written under a private name and then linked into place, so exactly one version wins and
    nobody ever reads half a file.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    scratch = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        with os.fdopen(os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(scratch, path)
        except FileExistsError:
            return False
    finally:
        scratch.unlink(missing_ok=True)
    fsync_dir(path.parent)
    return True


def secret_file(path: Path, size: int = 32) -> bytes:
    """A random secret kept in ``path`` (mode 0600 in a 0700 folder), made the first time it is asked for."""
    if not path.exists():
        create_once(path, secrets.token_bytes(size))
    return path.read_bytes()
