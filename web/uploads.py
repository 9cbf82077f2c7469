"""Checking uploaded files before anything is stored: size limit and type by content, per file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from werkzeug.datastructures import FileStorage

from hub.filetypes import FileType, refine, sniff


class UploadRefused(ValueError):
    """An upload that was not stored, with the reason in words for her."""


@dataclass(frozen=True)
class Upload:
    """A checked upload, still only in memory."""

    name: str
    data: bytes
    type: FileType


def _display_name(storage: FileStorage) -> str:
    # The name is only shown back to her and kept as a label; it never becomes a path.
    name = (storage.filename or "unnamed").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in name if ch.isprintable())[:120] or "unnamed"


def check_upload(storage: FileStorage, allowed: Sequence[FileType], max_bytes: int) -> Upload:
    """Read one upload; raise UploadRefused naming the file and what is wrong with it."""
    name = _display_name(storage)
    data = storage.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UploadRefused(f"{name}: larger than the {max_bytes // (1024 * 1024)} MB limit; nothing was stored")
    if not data:
        raise UploadRefused(f"{name}: the file is empty; nothing was stored")
    kind = refine(sniff(data[:4096]), data[:65536], data[-65536:])
    if kind is None or kind not in allowed:
        what = "a " + kind.mime.split(";")[0] + " file" if kind else "not a file type this dashboard accepts"
        accepted = ", ".join(sorted({t.ext for t in allowed}))
        raise UploadRefused(f"{name}: its content is {what} (accepted: {accepted}), whatever its name says; "
                            "nothing was stored")
    return Upload(name, data, kind)


def check_all(files: Sequence[FileStorage], allowed: Sequence[FileType], max_bytes: int) -> list[Upload]:
    """Check every file first, so that one bad file means none is stored."""
    return [check_upload(f, allowed, max_bytes) for f in files if f and f.filename]
