"""Content Credentials (C2PA) on what the hub captures: each snapshot and clip says what made it, when,
for which event, and is bound by hash to its bytes, signed with the device certificate.

The credentialed file is the evidence: it is what the store keeps, write-once and hashed. Signing
needs no network (no time-stamping authority is asked; the log's checkpoints carry the trusted
time). If signing fails the capture is kept without credentials and the reason logged: evidence
is never lost for want of a manifest. Her own uploads are never altered.

A public C2PA validator shows this signer as unknown: no public authority vouches for a home
hub. What a reader compares instead is the device fingerprint inside the certificate, the one
the export's README and ``verify.py --key`` use.
"""

from __future__ import annotations

import io
import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import version
from typing import Any

from hub.device_cert import DeviceCertificates, device_certificates
from hub.keys import DeviceKey

logger = logging.getLogger(__name__)
ASSERTION = "org.porchlight.capture"
CAPTURE = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"


@dataclass(frozen=True)
class Capture:
    """What a snapshot or clip is: from which camera, when, and the event it belongs to."""

    camera_id: str
    camera_label: str
    at: datetime  # aware
    event: str  # the event kind (face.match, camera.clip...)
    incident: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CredentialCheck:
    """What the C2PA library's own reader says of a file."""

    state: str  # "Trusted" (valid and signed under the given root), "Valid" (signer unknown), "Invalid", "None"
    failures: tuple[str, ...]
    capture: dict[str, Any] | None  # the hub's assertion, as signed

    @property
    def ok(self) -> bool:
        """Valid, hash binding intact, and signed by the certificate the reader was told to trust."""
        return self.state == "Trusted" and not self.failures


def _settings(root_pem: bytes) -> dict[str, Any]:
    return {"trust": {"user_anchors": root_pem.decode("ascii")},
            # Nothing is fetched: no remote manifests, no certificate-status lookups. What was just signed
            # is not read back at once: the tests and verify.py read it with the library's own reader.
            "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False, "verify_after_sign": False},
            "builder": {"thumbnail": {"enabled": False}}}  # a thumbnail doubles a snapshot's cost and size


class ContentCredentials:
    """Signs JPEG snapshots and MP4 clips; one signer for every camera (calls are serialised)."""

    def __init__(self, key_pem: bytes, certificates: DeviceCertificates, fingerprint: str) -> None:
        self._key_pem, self._certificates = key_pem, certificates
        self._lock = threading.Lock()
        self.fingerprint = fingerprint
        self._loaded: tuple[Any, Any, Any] | None = None  # the library, its settings, the signer
        self._generator = {"name": "Porchlight", "version": version("porchlight")}

    def _library(self) -> tuple[Any, Any, Any]:
        # Loaded with the first capture: a hub whose cameras have seen nothing yet is 11 MB lighter.
        if self._loaded is None:
            import c2pa

            self._loaded = (c2pa, c2pa.Context.from_dict(_settings(self._certificates.root_pem)),
                            c2pa.Signer.from_info(c2pa.C2paSignerInfo(
                                c2pa.C2paSigningAlg.ED25519, self._certificates.chain_pem, self._key_pem, None)))
        return self._loaded

    def _manifest(self, capture: Capture, mime: str) -> dict[str, Any]:
        local = capture.at.astimezone()
        what = {"camera_id": capture.camera_id, "camera": capture.camera_label,
                "captured_utc": capture.at.isoformat(), "captured_local": local.isoformat(),
                "event": capture.event, "incident": capture.incident, "device_fingerprint": self.fingerprint,
                **capture.extra}
        return {"claim_generator_info": [self._generator],
                "title": f"{capture.camera_label} {capture.event} {capture.at:%Y-%m-%d %H:%M:%S} UTC",
                "format": mime,
                "assertions": [
                    {"label": "c2pa.actions", "data": {"actions": [{
                        "action": "c2pa.created", "digitalSourceType": CAPTURE, "when": capture.at.isoformat(),
                        "softwareAgent": {"name": "Porchlight", "version": self._generator["version"]}}]}},
                    {"label": ASSERTION, "data": what}]}

    def sign(self, data: bytes, mime: str, capture: Capture) -> bytes:
        """The same picture or clip with its manifest embedded; the original bytes when signing fails."""
        try:
            out = io.BytesIO()
            with self._lock:
                c2pa, context, signer = self._library()
                builder = c2pa.Builder(self._manifest(capture, mime), context=context)
                builder.sign(signer, mime, io.BytesIO(data), out)
            return out.getvalue()
        except Exception as err:  # a library fault must not cost her the capture
            logger.error("content credentials could not be added to a %s from %s (%s: %s); kept without them",
                         mime, capture.camera_id, type(err).__name__, err)
            return data


def check_credentials(data: bytes, mime: str, root_pem: bytes) -> CredentialCheck:
    """Read a file's manifest with the C2PA library and validate it, trusting only ``root_pem``."""
    import c2pa

    context = c2pa.Context.from_dict(_settings(root_pem))
    try:
        reader = c2pa.Reader(mime, io.BytesIO(data), context=context)
    except Exception as err:  # no manifest at all, or one too damaged to parse
        return CredentialCheck("None", (f"{type(err).__name__}: {err}",), None)
    report = json.loads(reader.json())
    results = report.get("validation_results", {}).get("activeManifest", {})
    failures = tuple(sorted({str(item.get("code")) for item in results.get("failure", [])}))
    active = report.get("manifests", {}).get(report.get("active_manifest", ""), {})
    capture = next((a.get("data") for a in active.get("assertions", []) if a.get("label") == ASSERTION), None)
    return CredentialCheck(str(reader.get_validation_state()), failures, capture)


def for_device(key: DeviceKey, device_name: str) -> ContentCredentials | None:
    """The hub's signer, with the device certificate made on first use; None (said in the journal) when
    the C2PA library cannot load: the cameras still record, without credentials."""
    try:
        return ContentCredentials(key.private_pem(), device_certificates(key.keys_dir, key.public, device_name),
                                  key.fingerprint)
    except Exception as err:
        logger.error("snapshots and clips will carry no content credentials: %s: %s", type(err).__name__, err)
        return None
