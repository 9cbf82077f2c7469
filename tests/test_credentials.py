"""Content Credentials (C2PA) on what the cameras capture, checked by the C2PA library's own reader."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import cv2
import pytest

from hub.config import parse_config
from hub.credentials import Capture, ContentCredentials, check_credentials
from hub.device_cert import CERT_NAME, ROOT_NAME, CertificateError, device_certificates
from hub.keys import DeviceKey
from hub.log import IncidentLog
from hub.vision.faces import FaceLibrary
from tests.conftest import read_clip, run_hub_until


def _flip(data: bytes) -> bytes:
    changed = bytearray(data)
    changed[len(changed) // 2] ^= 0x01  # in the picture or the video, well past the manifest
    return bytes(changed)


@pytest.fixture
def visit(tmp_path: Path) -> tuple[Path, Path]:
    """Real footage at 5 fps (a man walks up and stops), and a data folder with him enrolled from its last frame."""
    frames = read_clip("walking-and-pause.mp4")
    photo = tmp_path / "him.png"
    cv2.imwrite(str(photo), frames[-1][20:220, 140:310])
    data = tmp_path / "data"
    [result] = FaceLibrary(data / "people").enroll("Him", [photo])
    assert result.accepted, result.message
    video = tmp_path / "visit.mp4"
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"mp4v"), 5.0, (width, height))
    for frame in [frames[int(i * 2.5)] for i in range(int(len(frames) / 2.5))]:
        writer.write(frame)
    writer.release()
    return data, video


def test_a_snapshot_and_a_clip_from_real_footage_carry_credentials_that_the_c2pa_reader_validates(
        visit: tuple[Path, Path], mock_factory: Any) -> None:
    data, video = visit
    config = parse_config({"data_dir": str(data), "gpio": {"pin_factory": "mock"}, "mqtt": {"enabled": False},
                           "device_name": "hall-hub",
                           "cameras": {"porch": {"source": str(video), "fps": 5, "label": "Front porch",
                                                 "pre_seconds": 1, "post_seconds": 1}}})
    run_hub_until(config, mock_factory, "camera.clip", 60, "the clip")
    log = IncidentLog(data)
    try:
        [match] = log.events(kind="face.match")
        [clip] = log.events(kind="camera.clip")
        root = (data / "keys" / ROOT_NAME).read_bytes()
        snapshot, movie = log.evidence.read(match.evidence[0]), log.evidence.read(clip.evidence[0])
        seen = check_credentials(snapshot, "image/jpeg", root)
        assert seen.ok, (seen.state, seen.failures)
        assert seen.capture is not None and seen.capture["camera_id"] == "porch"
        assert seen.capture["camera"] == "Front porch" and seen.capture["event"] == "face.match"
        assert seen.capture["incident"] == match.detail["incident"]
        assert seen.capture["device_fingerprint"] == log.key.fingerprint
        assert datetime.fromisoformat(seen.capture["captured_utc"]) == match.at
        recorded = check_credentials(movie, "video/mp4", root)
        assert recorded.ok, (recorded.state, recorded.failures)
        assert recorded.capture is not None and recorded.capture["incidents"] == clip.detail["incidents"]
        # The credentialed file is the evidence: the one the log's hash names, and it still verifies.
        assert log.verify().ok
        # One changed byte and the library's own reader says so.
        bad_picture = check_credentials(_flip(snapshot), "image/jpeg", root)
        assert not bad_picture.ok and "assertion.dataHash.mismatch" in bad_picture.failures
        bad_movie = check_credentials(_flip(movie), "video/mp4", root)
        assert not bad_movie.ok and "assertion.bmffHash.mismatch" in bad_movie.failures
    finally:
        log.close()


def test_the_device_certificate_belongs_to_the_device_key_and_its_root_can_issue_no_other(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o700)
    key = DeviceKey(keys)
    made = device_certificates(keys, key.public, "hall-hub")
    assert device_certificates(keys, key.public, "hall-hub") == made  # made once, then read
    assert key.fingerprint in made.device.subject.rfc4514_string()  # what a reader compares
    assert made.device.issuer == made.root.subject
    # The root's private key was never written anywhere: only the device key is private in the folder.
    private = [p.name for p in keys.iterdir() if b"PRIVATE KEY" in p.read_bytes()]
    assert private == ["device_ed25519.pem"]
    assert sorted(p.name for p in keys.iterdir()) == sorted(["device_ed25519.pem", "device_ed25519.pub",
                                                             CERT_NAME, ROOT_NAME])
    other = tmp_path / "other"
    other.mkdir(mode=0o700)
    with pytest.raises(CertificateError, match="not this device key's certificate"):
        device_certificates(keys, DeviceKey(other).public, "hall-hub")


def test_a_picture_he_signs_with_a_look_alike_certificate_is_not_her_hubs(tmp_path: Path) -> None:
    """He makes his own 'Porchlight hub' certificate, with her hub's name, and signs a doctored snapshot."""
    ours, his = tmp_path / "ours", tmp_path / "his"
    for folder in (ours, his):
        folder.mkdir(mode=0o700)
    her_key, his_key = DeviceKey(ours), DeviceKey(his)
    her_certs = device_certificates(ours, her_key.public, "hall-hub")
    his_certs = device_certificates(his, his_key.public, "hall-hub")
    frame = read_clip("room-entries.mp4")[0]
    ok, jpeg = cv2.imencode(".jpg", frame)
    assert ok
    capture = Capture("porch", "Front porch", datetime.now(timezone.utc), "face.match", "abc")
    forged = ContentCredentials(his_key.private_pem(), his_certs, her_key.fingerprint).sign(jpeg.tobytes(),
                                                                                           "image/jpeg", capture)
    verdict = check_credentials(forged, "image/jpeg", her_certs.root_pem)
    assert not verdict.ok and verdict.state != "Trusted"  # claims her fingerprint; her root never issued it
    # A file with no manifest at all is not credentialed either, and says so rather than failing.
    bare = check_credentials(jpeg.tobytes(), "image/jpeg", her_certs.root_pem)
    assert bare.state == "None" and not bare.ok
