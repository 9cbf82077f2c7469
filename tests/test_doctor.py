"""`porchlight doctor` names what is wrong and how to fix it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from tests.conftest import Broker, Webhook, free_port, run_cli, write_config


def test_doctor_reports_each_check_and_its_fix(tmp_path: Path, broker: Broker) -> None:
    video = tmp_path / "cam.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"mp4v"), 5.0, (320, 240))
    for _ in range(5):
        writer.write(np.full((240, 320, 3), 90, np.uint8))
    writer.release()
    config = write_config(tmp_path / "porchlight.yaml", {
        "data_dir": str(tmp_path / "data"), "gpio": {"pin_factory": "mock"},
        "mqtt": {"port": broker.port},
        "cameras": {"porch": {"source": str(video)}, "garden": {"source": str(tmp_path / "missing.mp4")}}})
    result = run_cli("doctor", "--config", str(config))
    lines = result.stdout.splitlines()
    assert result.returncode == 1
    assert f"ok    MQTT broker: 127.0.0.1:{broker.port} answers" in lines
    assert "ok    GPIO: simulated pins (pin_factory: mock): no real sensors are read" in lines
    assert "ok    camera porch: 320x240 frames" in lines
    assert any(line.startswith("ok    face detector (BlazeFace): weights at ") for line in lines)
    assert any(line.startswith("ok    plate reader (PP-OCRv6 from the rapidocr wheel): weights at ") for line in lines)
    assert f"FAIL  camera garden: video file {tmp_path / 'missing.mp4'} does not exist" in lines
    assert "FAIL  backups: no backup yet" in lines
    assert "      fix: run: porchlight backup --to /media/usb-disk" in lines
    assert "ok    incident log: log intact: 0 rows, 0 evidence files verified" in lines


def test_doctor_names_an_unreachable_broker(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(tmp_path / "porchlight.yaml", {"data_dir": str(tmp_path / "data"), "mqtt": {"port": port}})
    lines = run_cli("doctor", "--config", str(config)).stdout.splitlines()
    [line] = [x for x in lines if "MQTT broker" in x]
    assert line.startswith(f"FAIL  MQTT broker: 127.0.0.1:{port} unreachable")
    assert lines[lines.index(line) + 1] == "      fix: start it: sudo systemctl enable --now mosquitto"


def test_doctor_shows_the_dashboard_certificate_fingerprint(tmp_path: Path) -> None:
    from hub.config import parse_config
    from hub.doctor import check_certificate
    from hub.tls import ensure_certificate, fingerprint

    config = parse_config({"data_dir": str(tmp_path)})
    assert "not created yet" in check_certificate(config)[0].message
    cert, _ = ensure_certificate(tmp_path / "keys", "hall")
    [check] = check_certificate(config)
    assert check.ok and fingerprint(cert) in check.message


def test_doctor_fails_until_a_contact_can_be_told(tmp_path: Path, webhook: Webhook) -> None:
    def doctor(contacts: dict[str, Any]) -> tuple[int, list[str]]:
        config = write_config(tmp_path / "porchlight.yaml", {"data_dir": str(tmp_path / "data"),
                                                             "mqtt": {"enabled": False}, "contacts": contacts})
        result = run_cli("doctor", "--config", str(config))
        return result.returncode, result.stdout.splitlines()

    code, lines = doctor({})
    assert code == 1 and "FAIL  contacts: no contact is set up: an alarm or a panic reaches nobody" in lines
    assert any(line.startswith("FAIL  hub running: no hub is running on ") for line in lines)
    broken = {"ann": {"name": "Ann", "notify": [f"json://127.0.0.1:{free_port()}/nobody"]}}
    _, lines = doctor(broken)
    assert "FAIL  contact Ann: never sent a test message, so it is not known that alerts arrive" in lines
    config = tmp_path / "porchlight.yaml"
    assert run_cli("alert", "test", "ann", "--config", str(config)).returncode == 1
    _, lines = doctor(broken)
    assert any(line.startswith("FAIL  contact Ann: the last test message did not go out: json: ") for line in lines)
    working = {"ann": {"name": "Ann", "notify": [webhook.url("/ann")]}}
    _, lines = doctor(working)
    assert "FAIL  contact Ann: changed since its last test, so it is not known that alerts arrive" in lines
    assert run_cli("alert", "test", "ann", "--config", str(config)).returncode == 0
    _, lines = doctor(working)
    assert "ok    contact Ann: the last test message went out" in lines
