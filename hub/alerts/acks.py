"""Signed acknowledgement links: "I'm on it", usable once, by the contact it was sent to."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

from hub.errors import InputRejected
from hub.files import secret_file

KEY_NAME = "ack.key"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class AckClaim:
    """What a valid link says: which alert, which contact."""

    alert_id: int
    contact: str


class AckSigner:
    """HMAC-SHA256 tokens with a device secret kept beside the signing key (mode 0600)."""

    def __init__(self, keys_dir: Path) -> None:
        self._key = secret_file(keys_dir / KEY_NAME)

    def sign(self, alert_id: int, contact: str) -> str:
        """The token for one contact's link to one alert."""
        payload = f"{alert_id}:{contact}".encode()
        mac = hmac.new(self._key, payload, hashlib.sha256).digest()[:16]
        return f"{_b64(payload)}.{_b64(mac)}"

    def verify(self, token: str) -> AckClaim:
        """The claim of a genuine token; InputRejected for a forged or mangled one."""
        try:
            payload_part, mac_part = token.split(".")
            payload, mac = _unb64(payload_part), _unb64(mac_part)
            alert, contact = payload.decode().split(":", 1)
            alert_id = int(alert)
        except (ValueError, UnicodeDecodeError) as err:
            raise InputRejected("this acknowledgement link is not valid") from err
        expected = hmac.new(self._key, payload, hashlib.sha256).digest()[:16]
        if not hmac.compare_digest(mac, expected):
            raise InputRejected("this acknowledgement link is not valid")
        return AckClaim(alert_id, contact)
