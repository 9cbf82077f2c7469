"""Encrypted backups: the log, evidence, keys and checkpoints, encrypted before they leave the device.

Each file is sealed with AES-256-GCM under a key the owner keeps (printed as a recovery sheet);
the file's name in the backup is bound into the seal, so files cannot be swapped. Evidence is
content-addressed, so each evidence file is copied once, ever (incremental). Names in the backup
are keyed hashes: someone holding the backup cannot tell which evidence it contains.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hub.errors import PorchlightError
from hub.files import write_atomic
from hub.keys import secret_from_text, secret_to_text
from hub.sealing import is_sealed
from hub.database import DB_NAME
from hub.log import IncidentLog

MAGIC = b"PLB1"
KEY_FILE = "backup.key"
_AUX_DIRS = ("keys", "checkpoints", "people", "vehicles")


class BackupError(PorchlightError, ValueError):
    """A backup cannot be made or opened."""


def new_key() -> bytes:
    """A fresh 256-bit backup key."""
    return secrets.token_bytes(32)


def key_to_text(key: bytes) -> str:
    """The key as groups of letters and digits, to print on a recovery sheet."""
    return secret_to_text(key)


def key_from_text(text: str) -> bytes:
    """Inverse of key_to_text; tolerant of case, spaces and dashes."""
    try:
        return secret_from_text(text)
    except ValueError as err:
        raise BackupError("the backup key is not in the form printed on the recovery sheet") from err


def load_or_create_key(data_dir: Path) -> tuple[bytes, bool]:
    """The device's copy of the backup key (mode 0600); True when it was just created."""
    path = data_dir / "keys" / KEY_FILE
    if path.exists():
        return key_from_text(path.read_text()), False
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = new_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key_to_text(key) + "\n")
    return key, True


def _seal(key: bytes, name: str, data: bytes) -> bytes:
    nonce = secrets.token_bytes(12)
    return MAGIC + nonce + AESGCM(key).encrypt(nonce, data, name.encode())


def _open(key: bytes, name: str, sealed: bytes) -> bytes:
    if not sealed.startswith(MAGIC):
        raise BackupError(f"{name}: not a Porchlight backup file")
    try:
        return AESGCM(key).decrypt(sealed[4:16], sealed[16:], name.encode())
    except InvalidTag as err:
        raise BackupError("the backup key does not open this backup (a wrong key, or the backup was altered)") from err


@dataclass(frozen=True)
class BackupReport:
    """What one backup did."""

    snapshot: str
    evidence_copied: int
    evidence_present: int
    bytes_written: int


def backup(log: IncidentLog, destination: Path, key: bytes) -> BackupReport:
    """Write an encrypted snapshot (database, keys, checkpoints, templates) and any new evidence."""
    destination.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    written = copied = present = 0
    objects: list[str] = []
    for path in sorted((log.data_dir / "evidence").glob("??/*")):
        if len(path.name) != 64:
            continue
        name = hmac.new(key, path.name.encode(), hashlib.sha256).hexdigest()
        objects.append(path.name)
        target = destination / "objects" / name[:2] / name
        if target.exists():
            present += 1
            continue
        sealed = _seal(key, f"objects/{name}", path.read_bytes())
        write_atomic(target, sealed)
        written += len(sealed)
        copied += 1
    files: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / DB_NAME
        # SQLite's online backup: a consistent copy even while the daemon writes.
        source = sqlite3.connect(log.data_dir / DB_NAME)
        target_db = sqlite3.connect(copy)
        with target_db:
            source.backup(target_db)
        source.close()
        target_db.close()
        files[DB_NAME] = copy.read_bytes()
    for folder in _AUX_DIRS:
        for path in sorted((log.data_dir / folder).glob("*")):
            if path.is_file() and path.name != KEY_FILE:
                files[f"{folder}/{path.name}"] = path.read_bytes()
    snapshot_dir = destination / "snapshots" / stamp
    for index, (name, data) in enumerate(sorted(files.items())):
        sealed = _seal(key, f"snapshots/{stamp}/{index}", data)
        write_atomic(snapshot_dir / f"{index}.enc", sealed)
        written += len(sealed)
    manifest = {"format": "porchlight-backup-v1", "created": stamp, "files": sorted(files),
                "evidence": objects, "head": list(log.head())}
    write_atomic(snapshot_dir / "manifest.enc", _seal(key, f"snapshots/{stamp}/manifest", json.dumps(manifest).encode()))
    return BackupReport(stamp, copied, present, written)


def restore(source: Path, data_dir: Path, key: bytes, snapshot: str | None = None) -> dict[str, object]:
    """Restore a snapshot (the newest by default) into an empty data directory; return its manifest."""
    snapshots = sorted(p.name for p in (source / "snapshots").glob("*") if p.is_dir())
    if not snapshots:
        raise BackupError(f"{source}: no Porchlight backup here (no snapshots folder)")
    stamp = snapshot or snapshots[-1]
    if stamp not in snapshots:
        raise BackupError(f"{source}: no snapshot {stamp} (there are: {', '.join(snapshots)})")
    if data_dir.exists() and any(data_dir.iterdir()):
        raise BackupError(f"{data_dir}: not empty; restore into an empty folder so nothing is overwritten")
    snapshot_dir = source / "snapshots" / stamp
    manifest = json.loads(_open(key, f"snapshots/{stamp}/manifest", (snapshot_dir / "manifest.enc").read_bytes()))
    for index, name in enumerate(manifest["files"]):
        data = _open(key, f"snapshots/{stamp}/{index}", (snapshot_dir / f"{index}.enc").read_bytes())
        target = data_dir / name
        write_atomic(target, data)
        if name.startswith("keys/"):
            target.chmod(0o600)
    for sha in manifest["evidence"]:
        name = hmac.new(key, sha.encode(), hashlib.sha256).hexdigest()
        data = _open(key, f"objects/{name}", (source / "objects" / name[:2] / name).read_bytes())
        # A sealed file is checked after the restore, against the hash its log row records.
        if not is_sealed(data) and hashlib.sha256(data).hexdigest() != sha:
            raise BackupError(f"evidence {sha}: the backup copy does not match its hash")
        target = data_dir / "evidence" / sha[:2] / sha
        write_atomic(target, data)
        target.chmod(0o444)
    return dict(manifest)
