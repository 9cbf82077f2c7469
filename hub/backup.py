"""Encrypted backups: the log, evidence, keys and checkpoints, encrypted before they leave the device.

A sealed data directory's backup is sealed to its sealing public key, so the card holds nothing that
opens it; her passphrase or the sealing recovery key does. An unsealed one's is encrypted with
AES-256-GCM under a backup key the owner keeps (printed as a recovery sheet). Either way, each
file's name in the backup is bound into its seal, so files cannot be swapped. Evidence is
content-addressed, so each evidence file is copied once, ever (incremental). Names in the backup
are keyed hashes: someone holding the backup cannot tell which evidence it contains.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hub.errors import PorchlightError
from hub.files import create_once, write_atomic
from hub.keys import secret_from_text, secret_to_text
from hub.sealing import FILE_NAME, Opener, SealingError, SealingKeys, is_sealed, seal
from hub.database import DB_NAME
from hub.log import IncidentLog

MAGIC = b"PLB1"
KEY_FILE = "backup.key"
NAMES_FILE = "backup-names.key"
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
    key = new_key()
    if not create_once(path, (key_to_text(key) + "\n").encode()):
        return key_from_text(path.read_text()), False
    return key, True


class _KeyBox:
    """An unsealed data directory's backups: AES-256-GCM under the backup key (porchlight-backup-v1)."""

    format = "porchlight-backup-v1"

    def __init__(self, key: bytes) -> None:
        self.key = self.names_key = key

    def seal(self, name: str, data: bytes) -> bytes:
        nonce = secrets.token_bytes(12)
        return MAGIC + nonce + AESGCM(self.key).encrypt(nonce, data, name.encode())

    def open(self, name: str, sealed: bytes) -> bytes:
        if not sealed.startswith(MAGIC):
            raise BackupError(f"{name}: not a Porchlight backup file")
        try:
            return AESGCM(self.key).decrypt(sealed[4:16], sealed[16:], name.encode())
        except InvalidTag as err:
            raise BackupError("the backup key does not open this backup (a wrong key, or the backup was altered)") from err


class _SealedBox:
    """A sealed data directory's backups (porchlight-backup-v2): every file sealed to the sealing public key.

    The nightly backup runs unattended, so it needs no secret: nothing on the card opens a backup. Her
    passphrase or the sealing recovery key does, on a new Pi. Names are keyed by a random key that is
    itself inside the sealed manifest, so whoever holds the backup cannot tell which evidence it has.
    """

    format = "porchlight-backup-v2"

    def __init__(self, public: X25519PublicKey | None, names_key: bytes, opener: Opener | None = None) -> None:
        self.public, self.names_key, self.opener = public, names_key, opener

    def seal(self, name: str, data: bytes) -> bytes:
        assert self.public is not None
        return seal(self.public, data, context=name.encode())

    def open(self, name: str, sealed: bytes) -> bytes:
        assert self.opener is not None
        try:
            return self.opener.open(sealed, context=name.encode())
        except SealingError as err:
            raise BackupError(f"{name}: altered, moved, or sealed to another hub's key") from err


def _names_key(data_dir: Path) -> bytes:
    """The sealed backups' naming key (kept on the card: it hides names from the backup's holder, not him)."""
    path = data_dir / "keys" / NAMES_FILE
    if not path.exists():
        write_atomic(path, secret_to_text(secrets.token_bytes(32)).encode() + b"\n", mode=0o600)
    return secret_from_text(path.read_text())


def backup_sealing(source: Path, snapshot: str | None = None) -> SealingKeys | None:
    """The sealing keys (still wrapped) a sealed backup opens with; None for a backup under a backup key."""
    return SealingKeys.load(_snapshot_dir(source, snapshot))


def _snapshot_dir(source: Path, snapshot: str | None) -> Path:
    snapshots = sorted(p.name for p in (source / "snapshots").glob("*") if p.is_dir())
    if not snapshots:
        raise BackupError(f"{source}: no Porchlight backup here (no snapshots folder)")
    stamp = snapshot or snapshots[-1]
    if stamp not in snapshots:
        raise BackupError(f"{source}: no snapshot {stamp} (there are: {', '.join(snapshots)})")
    return source / "snapshots" / stamp


@dataclass(frozen=True)
class BackupReport:
    """What one backup did; ``new_key``: the backup key, when this backup made it (print it once)."""

    snapshot: str
    evidence_copied: int
    evidence_present: int
    bytes_written: int
    sealed: bool = False
    new_key: bytes | None = None


def backup(log: IncidentLog, destination: Path) -> BackupReport:
    """Write an encrypted snapshot (database, keys, checkpoints, templates) and any new evidence.

    A sealed data directory's backup is sealed to its sealing public key; an unsealed one's is
    encrypted under the backup key in data_dir/keys (made the first time).
    """
    new_key = None
    box: _KeyBox | _SealedBox
    sealing = log.sealing
    if sealing is not None:
        box = _SealedBox(sealing.public, _names_key(log.data_dir))
    else:
        key, created = load_or_create_key(log.data_dir)
        box, new_key = _KeyBox(key), key if created else None
    destination.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    written = copied = present = 0
    objects: list[str] = []
    for path in sorted((log.data_dir / "evidence").glob("??/*")):
        if len(path.name) != 64:
            continue
        name = hmac.new(box.names_key, path.name.encode(), hashlib.sha256).hexdigest()
        objects.append(path.name)
        target = destination / "objects" / name[:2] / name
        if target.exists():
            present += 1
            continue
        sealed = box.seal(f"objects/{name}", path.read_bytes())
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
            if path.is_file() and path.name not in (KEY_FILE, NAMES_FILE):
                files[f"{folder}/{path.name}"] = path.read_bytes()
    snapshot_dir = destination / "snapshots" / stamp
    if sealing is not None:
        # Already wrapped by her passphrase and the recovery key: what opens the rest on a new Pi.
        write_atomic(snapshot_dir / FILE_NAME, (log.data_dir / "keys" / FILE_NAME).read_bytes())
    for index, (name, data) in enumerate(sorted(files.items())):
        sealed = box.seal(f"snapshots/{stamp}/{index}", data)
        write_atomic(snapshot_dir / f"{index}.enc", sealed)
        written += len(sealed)
    manifest = {"format": box.format, "created": stamp, "files": sorted(files),
                "evidence": objects, "head": list(log.head())}
    if sealing is not None:
        manifest["names_key"] = secret_to_text(box.names_key)
    write_atomic(snapshot_dir / "manifest.enc", box.seal(f"snapshots/{stamp}/manifest", json.dumps(manifest).encode()))
    return BackupReport(stamp, copied, present, written, sealing is not None, new_key)


def restore(source: Path, data_dir: Path, key: bytes | Opener, snapshot: str | None = None) -> dict[str, object]:
    """Restore a snapshot (the newest by default) into an empty data directory; return its manifest.

    ``key``: the backup key of an unsealed hub's backup, or the opener (from her passphrase or the
    sealing recovery key, see ``backup_sealing``) of a sealed one.
    """
    snapshot_dir = _snapshot_dir(source, snapshot)
    stamp = snapshot_dir.name
    if data_dir.exists() and any(data_dir.iterdir()):
        raise BackupError(f"{data_dir}: not empty; restore into an empty folder so nothing is overwritten")
    sealed_backup = (snapshot_dir / FILE_NAME).exists()
    if sealed_backup != isinstance(key, Opener):
        raise BackupError("this backup opens with your passphrase or sealing recovery key" if sealed_backup
                          else "this backup opens with the backup key printed on the recovery sheet")
    box: _KeyBox | _SealedBox = _SealedBox(None, b"", key) if isinstance(key, Opener) else _KeyBox(key)
    manifest = json.loads(box.open(f"snapshots/{stamp}/manifest", (snapshot_dir / "manifest.enc").read_bytes()))
    if isinstance(box, _SealedBox):
        box.names_key = secret_from_text(manifest["names_key"])
    for index, name in enumerate(manifest["files"]):
        data = box.open(f"snapshots/{stamp}/{index}", (snapshot_dir / f"{index}.enc").read_bytes())
        target = data_dir / name
        write_atomic(target, data)
        if name.startswith("keys/"):
            target.chmod(0o600)
    for sha in manifest["evidence"]:
        name = hmac.new(box.names_key, sha.encode(), hashlib.sha256).hexdigest()
        data = box.open(f"objects/{name}", (source / "objects" / name[:2] / name).read_bytes())
        # A sealed file is checked after the restore, against the hash its log row records.
        if not is_sealed(data) and hashlib.sha256(data).hexdigest() != sha:
            raise BackupError(f"evidence {sha}: the backup copy does not match its hash")
        target = data_dir / "evidence" / sha[:2] / sha
        write_atomic(target, data)
        target.chmod(0o444)
    return dict(manifest)
