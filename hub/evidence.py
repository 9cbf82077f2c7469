"""Write-once, content-addressed evidence files: stored under their SHA-256, never changed."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import time
from collections import OrderedDict
from functools import partial
from pathlib import Path
from typing import IO, Callable

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from hub.errors import EvidenceError
from hub.filetypes import FileType, refine, sniff
from hub.files import fsync_dir
from hub.sealing import MAGIC, Locked, Opener, SealWatch, SealingError, is_sealed, seal

logger = logging.getLogger(__name__)

_SHA256 = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20
RECENT_BYTES, RECENT_SECONDS = 32 * 1024 * 1024, 900.0


def sha256_file(path: Path) -> str:
    """The SHA-256 hex digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def is_sha256(value: str) -> bool:
    """Whether ``value`` is a lower-case SHA-256 hex digest (and so safe in a path)."""
    return isinstance(value, str) and _SHA256.fullmatch(value) is not None


def _write_all(out: IO[bytes], data: bytes) -> None:
    out.write(data)


class EvidenceStore:
    """Files kept by content hash under ``root/ab/abcdef...``; read-only once written."""

    def __init__(self, root: Path, watch: SealWatch | None = None) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        # Sealed: each file is stored encrypted to this key, still named by the SHA-256 of what it holds.
        self._watch = watch
        self.opener: Opener | None = None
        # What this process sealed lately, in memory only: an alert sent minutes after a capture can carry
        # its photo while the card holds only ciphertext and nobody has unlocked.
        self._recent: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._stored_hashes: dict[str, str] = {}

    @property
    def sealing(self) -> X25519PublicKey | None:
        """The key new files are sealed to (None: stored as they are)."""
        return self._watch.public() if self._watch is not None else None

    def path_for(self, sha256: str) -> Path:
        """Where the file with this digest lives; refuses anything but a digest."""
        if not is_sha256(sha256):
            raise EvidenceError(f"not a SHA-256 digest: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def put_bytes(self, data: bytes) -> str:
        """Store bytes; return their SHA-256. Storing the same bytes twice is a no-op."""
        digest = hashlib.sha256(data).hexdigest()
        if self.path_for(digest).exists():
            return digest
        public = self.sealing
        if public is None:
            return self._link(digest, self._write_tmp(lambda out: out.write(data)))
        sealed = seal(public, data)
        self._remember(digest, data)
        self._stored_hashes[digest] = hashlib.sha256(sealed).hexdigest()  # for its log row, without re-reading
        return self._link(digest, self._write_tmp(lambda out: out.write(sealed)))

    def _remember(self, digest: str, data: bytes) -> None:
        now = time.monotonic()
        self._recent[digest] = (now, data)
        while self._recent and (sum(len(d) for _, d in self._recent.values()) > RECENT_BYTES
                                or next(iter(self._recent.values()))[0] < now - RECENT_SECONDS):
            self._recent.popitem(last=False)

    def for_sending(self, sha256: str) -> Path | bytes | None:
        """A file to attach to an alert: its path, its opened bytes, or None while it is sealed and locked."""
        if not self.is_sealed_file(sha256):
            return self.path_for(sha256)
        if self.opener is not None:
            return self.read(sha256)
        kept = self._recent.get(sha256)
        return kept[1] if kept is not None and kept[0] >= time.monotonic() - RECENT_SECONDS else None

    def put_file(self, source: Path) -> str:
        """Copy a file in, hashing while copying; return its SHA-256."""
        if self.sealing is not None:
            return self.put_bytes(source.read_bytes())  # sealed whole: one item, one key
        digest = hashlib.sha256()

        def copy(out: IO[bytes]) -> None:
            with source.open("rb") as src:
                while chunk := src.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)

        tmp = self._write_tmp(copy)
        return self._link(digest.hexdigest(), tmp)

    def _write_tmp(self, write: Callable[[IO[bytes]], object]) -> Path:
        """A durable temporary file in the store (removed again if writing fails)."""
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=tmp_dir, delete=False) as out:
            try:
                write(out)
                out.flush()
                os.fsync(out.fileno())
            except BaseException:
                os.unlink(out.name)
                raise
        return Path(out.name)

    def _link(self, digest: str, tmp: Path) -> str:
        final = self.path_for(digest)
        final.parent.mkdir(exist_ok=True)
        os.chmod(tmp, 0o444)
        try:
            # link() fails rather than overwrite: an existing original is never replaced.
            os.link(tmp, final)
        except FileExistsError:
            self._stored_hashes.pop(digest, None)  # another writer's copy won: its hash is read from the file
        finally:
            os.unlink(tmp)
        fsync_dir(final.parent)
        return digest

    def exists(self, sha256: str) -> bool:
        """Whether a file with this digest is stored."""
        return self.path_for(sha256).exists()

    def check(self, sha256: str, stored_sha256: str | None = None) -> str | None:
        """None when the stored file still hashes to its name, else what is wrong.

        A sealed file is checked against ``stored_sha256`` (its own hash, kept in the log row) without
        the passphrase, and opened and checked against its name when the store is unlocked.
        """
        path = self.path_for(sha256)
        if not path.exists():
            return "missing from the evidence store"
        actual = sha256_file(path)
        if actual == sha256:
            return None
        if not self.is_sealed_file(sha256) or (stored_sha256 is not None and actual != stored_sha256):
            return f"altered (the file now hashes to {actual[:16]}…)"
        if self.opener is not None:  # opened, it must hold exactly what its name says
            try:
                self.read(sha256)
            except (EvidenceError, SealingError) as err:
                return f"sealed, but not what was recorded ({err})"
            return None
        if stored_sha256 is None:
            return "sealed: it can be checked with the passphrase, or against its log row"
        return None

    def stored_digests(self) -> list[str]:
        """Every file in the store, by name."""
        return sorted(path.name for path in self.root.glob("??/*") if is_sha256(path.name))

    def seal_in_place(self, public: X25519PublicKey, digests: list[str]) -> tuple[dict[str, str], Callable[[], None]]:
        """Seal existing files: each sealed copy written beside the store first; returns their hashes, and the
        step that puts them in place (run it once their hashes are on the record)."""
        staged: list[tuple[Path, Path]] = []
        hashes: dict[str, str] = {}
        for digest in digests:
            if self.is_sealed_file(digest):
                continue
            sealed = seal(public, self.read(digest))
            staged.append((self._write_tmp(partial(_write_all, data=sealed)), self.path_for(digest)))
            hashes[digest] = hashlib.sha256(sealed).hexdigest()

        def put_in_place() -> None:
            for tmp, final in staged:
                os.chmod(tmp, 0o444)
                os.replace(tmp, final)
                fsync_dir(final.parent)

        return hashes, put_in_place

    def clear_staging(self, older_than_seconds: float = 600.0) -> None:
        """Remove files left in the staging folder by a write or a sealing cut short (not one being written now)."""
        cutoff = time.time() - older_than_seconds
        for leftover in (self.root / "tmp").glob("*"):
            try:
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()
            except FileNotFoundError:
                pass

    def is_sealed_file(self, sha256: str) -> bool:
        """Whether the stored file is sealed (by its first bytes)."""
        with self.path_for(sha256).open("rb") as handle:
            return is_sealed(handle.read(len(MAGIC)))

    def stored_sha256(self, sha256: str) -> str | None:
        """The hash of a sealed file as stored (for its log row); None for a file stored as it is."""
        known = self._stored_hashes.pop(sha256, None)
        if known is not None:
            return known
        return sha256_file(self.path_for(sha256)) if self.is_sealed_file(sha256) else None

    def file_type(self, sha256: str) -> FileType | None:
        """What a stored file is, judged by its first bytes (None: not a type Porchlight knows)."""
        with self.path_for(sha256).open("rb") as handle:
            head = handle.read(65536)
            if is_sealed(head):
                data = self.read(sha256)
                return refine(sniff(data[:4096]), data[:65536], data[-65536:])
            handle.seek(max(0, self.path_for(sha256).stat().st_size - 65536))
            tail = handle.read(65536)
        return refine(sniff(head[:4096]), head, tail)

    def read(self, sha256: str) -> bytes:
        """The file's bytes (opened, when sealed), re-verified against its digest on every read."""
        data = self.path_for(sha256).read_bytes()
        if is_sealed(data):
            if self.opener is None:
                raise Locked("this evidence file is sealed: reading it needs the passphrase")
            data = self.opener.open(data)
        if hashlib.sha256(data).hexdigest() != sha256:
            raise EvidenceError(f"evidence {sha256} was altered on disk; it no longer matches its hash")
        return data

    def remove(self, sha256: str) -> None:
        """Delete a stored file (retention); the caller logs a tombstone first."""
        path = self.path_for(sha256)
        path.chmod(0o644)
        path.unlink()

