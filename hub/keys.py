"""The device's Ed25519 key: signs checkpoints of the log's chain head."""

from __future__ import annotations

import base64
import hashlib
import stat
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hub.errors import KeyFileError
from hub.files import create_once, write_atomic

PRIVATE_NAME = "device_ed25519.pem"
PUBLIC_NAME = "device_ed25519.pub"


def public_key_b64(key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key, base64 encoded."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def load_public_key_b64(value: str) -> Ed25519PublicKey:
    """Inverse of public_key_b64."""
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(value))


def fingerprint(key: Ed25519PublicKey) -> str:
    """A short SHA-256 fingerprint of the public key, for people to compare by eye."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = hashlib.sha256(raw).hexdigest()
    return ":".join(digest[i : i + 4] for i in range(0, 32, 4))


def secret_to_text(key: bytes) -> str:
    """A 256-bit secret as groups of letters and digits, to write down or print on a recovery sheet."""
    text = base64.b32encode(key).decode("ascii").rstrip("=")
    return "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def secret_from_text(text: str) -> bytes:
    """Inverse of secret_to_text, tolerant of case, spaces and dashes; ValueError when it is not one."""
    clean = "".join(ch for ch in text.upper() if ch.isalnum())
    try:
        key = base64.b32decode(clean + "=" * (-len(clean) % 8))
    except ValueError as err:
        raise ValueError("not a key in the printed form") from err
    if len(key) != 32:
        raise ValueError("not a key in the printed form")
    return key


def verify_signature(public_b64: str, signature_b64: str, message: bytes) -> bool:
    """Whether the signature over message is valid for this public key."""
    try:
        load_public_key_b64(public_b64).verify(base64.b64decode(signature_b64), message)
    except (InvalidSignature, ValueError):
        return False
    return True


class DeviceKey:
    """Loads the key from ``keys_dir``, generating it on first start (private file mode 0600)."""

    def __init__(self, keys_dir: Path) -> None:
        self.keys_dir = keys_dir
        self._private = self._load_or_create()
        self.public = self._private.public_key()

    def _load_or_create(self) -> Ed25519PrivateKey:
        private_path = self.keys_dir / PRIVATE_NAME
        if private_path.exists():
            return self._load(private_path)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        if not create_once(private_path, pem):
            return self._load(private_path)
        write_atomic(self.keys_dir / PUBLIC_NAME, (public_key_b64(key.public_key()) + "\n").encode())
        return key

    @staticmethod
    def _load(private_path: Path) -> Ed25519PrivateKey:
        mode = stat.S_IMODE(private_path.stat().st_mode)
        if mode & 0o077:
            raise KeyFileError(
                f"{private_path}: the device key is readable by other users (mode {mode:04o}); "
                f"run: chmod 600 {private_path}"
            )
        try:
            key = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
        except (ValueError, OSError) as err:
            raise KeyFileError(f"{private_path}: cannot load the device key ({err})") from err
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyFileError(f"{private_path}: not an Ed25519 private key")
        return key

    @property
    def public_b64(self) -> str:
        """The public key, base64."""
        return public_key_b64(self.public)

    @property
    def fingerprint(self) -> str:
        """The public key's fingerprint, as verify.py prints it and ``verify.py --key`` takes it."""
        return fingerprint(self.public)

    def private_pem(self) -> bytes:
        """The private key as PEM, for a signer that keeps it in its own memory (Content Credentials)."""
        return self._private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption())

    def sign(self, message: bytes) -> str:
        """A base64 Ed25519 signature over message."""
        return base64.b64encode(self._private.sign(message)).decode("ascii")
