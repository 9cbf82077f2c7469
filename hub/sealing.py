"""Sealed at rest: what she writes and what the hub captures is encrypted to a public key as it is written.

The hub records without anyone typing a passphrase (after a power cut it starts and records at once),
because writing needs only the public key on the card. Reading needs the private key, which the card
holds only wrapped: by a key derived from her passphrase (argon2id) and, separately, by a recovery
key printed once. A thief with the card gets ciphertext.

Each sealed item has its own ephemeral X25519 key: the item key is HKDF-SHA256 over the shared
secret and both public keys, and the item is encrypted with ChaCha20-Poly1305.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hub.errors import PorchlightError
from hub.files import write_atomic
from hub.keys import secret_from_text, secret_to_text

MAGIC = b"PLSEAL1\n"
FILE_NAME = "sealing.json"
FORMAT = "porchlight-sealing-v1"
_RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw
_WRAP_AD = b"porchlight-sealing-key-v1"
# argon2id at 64 MiB and 3 passes: about half a second on a Pi 4, and the same for anyone guessing.
MIN_PASSPHRASE = 12  # characters: several words; argon2id slows each guess, length is what holds
ARGON2 = {"time_cost": 3, "memory_cost": 64 * 1024, "parallelism": 2}


class SealingError(PorchlightError):
    """Something sealed that could not be opened, or sealing that could not be set up."""


class WrongPassphrase(SealingError):
    """The passphrase (or recovery key) does not open the sealing key."""


class Locked(SealingError):
    """Reading sealed data needs the passphrase, and none was given."""


def _raw(public: X25519PublicKey) -> bytes:
    return public.public_bytes(*_RAW)


def _item_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=None, info=b"porchlight-seal-v1" + ephemeral + recipient).derive(shared)


def seal(public: X25519PublicKey, data: bytes, context: bytes = b"") -> bytes:
    """``data`` encrypted so that only the holder of the private key can read it.

    ``context`` (for example a file's name in a backup) is bound into the seal: the item opens only
    with the same context, so sealed items cannot be swapped for one another.
    """
    ephemeral = X25519PrivateKey.generate()
    eph_raw = _raw(ephemeral.public_key())
    key = _item_key(ephemeral.exchange(public), eph_raw, _raw(public))
    # A fresh key per item, so a fixed nonce never repeats under one key.
    return MAGIC + eph_raw + ChaCha20Poly1305(key).encrypt(bytes(12), data, MAGIC + context)


def is_sealed(data: bytes) -> bool:
    """Whether these bytes are a sealed item (by their first bytes)."""
    return data.startswith(MAGIC)


class Opener:
    """The unwrapped private key: opens sealed items. Held in memory only, for as long as she is unlocked."""

    def __init__(self, private: X25519PrivateKey) -> None:
        self._private = private
        self._public_raw = _raw(private.public_key())

    def open(self, blob: bytes, context: bytes = b"") -> bytes:
        """The plaintext of a sealed item; SealingError when it was changed, moved or sealed to another key."""
        if not is_sealed(blob) or len(blob) < len(MAGIC) + 32 + 16:
            raise SealingError("not a sealed item")
        eph_raw = blob[len(MAGIC):len(MAGIC) + 32]
        shared = self._private.exchange(X25519PublicKey.from_public_bytes(eph_raw))
        try:
            return ChaCha20Poly1305(_item_key(shared, eph_raw, self._public_raw)).decrypt(
                bytes(12), blob[len(MAGIC) + 32:], MAGIC + context)
        except InvalidTag as err:
            raise SealingError("a sealed item was changed, or sealed to another hub's key") from err


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _passphrase_key(passphrase: str, salt: bytes, params: dict[str, int]) -> bytes:
    return hash_secret_raw(passphrase.encode("utf-8"), salt, hash_len=32, type=Type.ID, **params)


def _wrap(key: bytes, private_raw: bytes) -> dict[str, str]:
    nonce = os.urandom(12)
    return {"nonce": _b64(nonce), "wrapped": _b64(ChaCha20Poly1305(key).encrypt(nonce, private_raw, _WRAP_AD))}


def _unwrap(key: bytes, box: dict[str, Any]) -> X25519PrivateKey:
    try:
        raw = ChaCha20Poly1305(key).decrypt(base64.b64decode(box["nonce"]), base64.b64decode(box["wrapped"]), _WRAP_AD)
    except (InvalidTag, KeyError, ValueError) as err:
        raise WrongPassphrase("wrong passphrase: it does not open this hub's sealed data") from err
    return X25519PrivateKey.from_private_bytes(raw)


def _recovery_key(text: str) -> bytes:
    try:
        return secret_from_text(text)
    except ValueError as err:
        raise WrongPassphrase("that is not a recovery key as printed by porchlight init") from err


@dataclass(frozen=True)
class SealingKeys:
    """The sealing public key, and the private key as kept on the card: wrapped twice."""

    public: X25519PublicKey
    record: dict[str, Any]

    @classmethod
    def load(cls, keys_dir: Path) -> "SealingKeys | None":
        """The keys of a sealed data directory; None when it was never sealed."""
        path = keys_dir / FILE_NAME
        if not path.exists():
            return None
        try:
            record = json.loads(path.read_text())
            assert record.get("format") == FORMAT
            public = X25519PublicKey.from_public_bytes(base64.b64decode(record["public"]))
        except (ValueError, KeyError, AssertionError, TypeError) as err:
            raise SealingError(f"{path}: not a Porchlight sealing key file ({err}); restore it from a backup") from err
        return cls(public, record)

    @classmethod
    def create(cls, keys_dir: Path, passphrase: str) -> tuple["SealingKeys", str]:
        """New keys, wrapped by the passphrase and by a new recovery key, saved; returns the recovery key's text."""
        if (keys_dir / FILE_NAME).exists():
            raise SealingError(f"{keys_dir / FILE_NAME} exists: this data directory is already sealed")
        keys, recovery = cls.prepare(passphrase)
        keys.save(keys_dir)
        return keys, recovery

    def save(self, keys_dir: Path) -> None:
        """Write the key file (mode 0600); never over an existing one."""
        if (keys_dir / FILE_NAME).exists():
            raise SealingError(f"{keys_dir / FILE_NAME} exists: this data directory is already sealed")
        keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(keys_dir / FILE_NAME, (json.dumps(self.record, indent=1) + "\n").encode(), mode=0o600)

    @classmethod
    def prepare(cls, passphrase: str) -> tuple["SealingKeys", str]:
        """New keys in memory only (saved by ``save``), and the recovery key's text."""
        if len(passphrase) < MIN_PASSPHRASE:
            raise SealingError(f"the passphrase needs at least {MIN_PASSPHRASE} characters (a few words are best)")
        private = X25519PrivateKey.generate()
        private_raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                            serialization.NoEncryption())
        salt, recovery = os.urandom(16), secrets.token_bytes(32)
        record = {"format": FORMAT, "public": _b64(_raw(private.public_key())),
                  "passphrase": {"salt": _b64(salt), **ARGON2,
                                 **_wrap(_passphrase_key(passphrase, salt, ARGON2), private_raw)},
                  "recovery": _wrap(recovery, private_raw)}
        return cls(private.public_key(), record), secret_to_text(recovery)

    def unlock(self, passphrase: str) -> Opener:
        """The opener, from her passphrase; WrongPassphrase when it is not hers."""
        box = self.record["passphrase"]
        params = {name: int(box[name]) for name in ARGON2}
        return Opener(_unwrap(_passphrase_key(passphrase, base64.b64decode(box["salt"]), params), box))

    def unlock_with_recovery(self, text: str) -> Opener:
        """The opener, from the recovery key written down at init."""
        return Opener(_unwrap(_recovery_key(text), self.record["recovery"]))


class SealWatch:
    """A data directory's sealing keys, noticed within seconds when it is sealed while the hub runs.

    The log, its evidence store and the command queue share one: sealing at the dashboard's first-run
    setup (or with porchlight init) takes effect for the running hub without a restart.
    """

    RECHECK_SECONDS = 2.0

    def __init__(self, keys_dir: Path) -> None:
        self.keys_dir = keys_dir
        self._keys = SealingKeys.load(keys_dir)
        self._next_check = 0.0
        self._pinned: X25519PublicKey | None = None
        self.changed = False  # the key file's public key is not the one on the log's record

    def pin(self, public_b64: str) -> None:
        """The public key the log recorded when it was sealed: sealing goes to it, whatever the file says now.

        Someone with the card could put a key of his own in the file, to read what is sealed after he
        puts the card back; the record in the hash chain is what he cannot quietly change.
        """
        self._pinned = X25519PublicKey.from_public_bytes(base64.b64decode(public_b64))
        self._next_check = 0.0

    @property
    def pinned(self) -> bool:
        """Whether the log's record names the public key."""
        return self._pinned is not None

    def keys(self) -> SealingKeys | None:
        """The keys, or None while the directory is not sealed (looked for again every few seconds)."""
        if self._keys is None and time.monotonic() >= self._next_check:
            self._next_check = time.monotonic() + self.RECHECK_SECONDS
            self._keys = SealingKeys.load(self.keys_dir)
        found = self._keys
        if found is not None and self._pinned is not None and _raw(found.public) != _raw(self._pinned):
            self.changed = True
            return SealingKeys(self._pinned, found.record)
        return found

    def refresh(self) -> SealingKeys | None:
        """Look now (this process has just sealed the directory)."""
        self._next_check = 0.0
        return self.keys()

    def public_b64(self) -> str | None:
        """The public key to seal to, as the log records it."""
        found = self.public()
        return _b64(_raw(found)) if found is not None else None

    def public(self) -> X25519PublicKey | None:
        """The public key to seal to, or None."""
        found = self.keys()
        return found.public if found is not None else None
