"""A satellite Pi and the main hub, two processes and a real broker: nothing is lost while the link is down."""

from __future__ import annotations

import signal
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from hub.config import parse_config
from hub.log import IncidentLog
from hub.satellite import Satellite
from hub.sources.satellite import pair
from tests.conftest import PORCHLIGHT, REPO, Broker, wait_for, write_config


def _hub_rows(data: Path) -> list[Any]:
    if not (data / "porchlight.db").exists():
        return []
    log = IncidentLog(data)
    try:
        return log.events()
    finally:
        log.close()


def _wait_hub_online(broker: Broker) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    status: list[bytes] = []
    watcher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="status-watcher")
    watcher.on_message = lambda c, u, m: status.append(m.payload)
    watcher.connect("127.0.0.1", broker.port)
    watcher.subscribe("porchlight/status", 1)
    watcher.loop_start()
    try:
        wait_for(lambda: b"online" in status, 30, "the hub to come online")
    finally:
        watcher.disconnect()
        watcher.loop_stop()


def test_link_down_for_20_seconds_loses_no_door_opening(tmp_path: Path, broker: Broker, mock_factory: Any) -> None:
    hub_data = tmp_path / "hub"
    hub_config = write_config(tmp_path / "hub.yaml", {
        "data_dir": str(hub_data), "gpio": {"pin_factory": "mock"},
        "mqtt": {"port": broker.port, "client_id": "porchlight-hub-sat", "reconnect_min_seconds": 1,
                 "reconnect_max_seconds": 1},
        "sensors": {"shed_door": {"kind": "door", "satellite": {"id": "back_shed"}}},
        "satellites": {"back_shed": {"heartbeat_seconds": 5}}})
    satellite = Satellite(parse_config({
        "data_dir": str(tmp_path / "satellite"), "gpio": {"pin_factory": "mock"},
        "mqtt": {"port": broker.port, "client_id": "porchlight-back-shed", "reconnect_min_seconds": 1,
                 "reconnect_max_seconds": 1},
        "sensors": {"shed_door": {"kind": "door", "gpio": {"pin": 17, "normally": "closed", "debounce_ms": 20}}},
        "satellite": {"id": "back_shed", "heartbeat_seconds": 2, "key": pair(hub_data, "back_shed")}}),
        pin_factory=mock_factory)
    hub = subprocess.Popen([*PORCHLIGHT, "run", "--config", str(hub_config)], cwd=REPO,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pin = mock_factory.pin(17)
    try:
        _wait_hub_online(broker)  # the hub's first-ever session must exist before anything is sent to it
        satellite.start()

        def opened() -> list[Any]:
            return [r for r in _hub_rows(hub_data) if r.kind == "door.opened" and r.source == "shed_door"]

        # Before the outage: the chain works (and the hub's broker session exists).
        wait_for(lambda: [r for r in _hub_rows(hub_data) if r.source == "shed_door"], 30, "the first forwarded event")
        pin.drive_high()
        wait_for(lambda: len(opened()) == 1, 15, "a forwarded door opening")
        pin.drive_low()

        broker.stop()  # the link is down
        times = []
        for _ in range(3):
            time.sleep(3)
            times.append(datetime.now(timezone.utc))
            pin.drive_high()
            time.sleep(1)
            pin.drive_low()
        time.sleep(20 - 12)
        assert len(satellite.queue) >= 6  # three openings and three closings wait on disk
        broker.start()

        wait_for(lambda: len(opened()) == 4, 40, "the three openings made while the link was down")
        rows = opened()[1:]
        for row, when in zip(rows, times):
            assert row.detail["satellite"] == "back_shed"
            assert abs((row.at - when).total_seconds()) < 1.0  # its original time, not the arrival time
        assert [r.at for r in rows] == sorted(r.at for r in rows)
        assert all(datetime.fromisoformat(r.detail["received_at"]) > r.at for r in rows)
        kinds = [r.kind for r in _hub_rows(hub_data)]
        assert "satellite.offline" in kinds
        wait_for(lambda: len(satellite.queue) == 0, 10, "the satellite's queue to empty")
    finally:
        satellite.stop()
        hub.send_signal(signal.SIGTERM)
        hub.wait(20)


def test_camera_evidence_travels_with_the_event_and_is_checked(tmp_path: Path) -> None:
    import json as jsonlib

    from hub.bus import Bus
    from hub.clock import SystemClock
    from hub.events import Event, Severity
    from hub.evidence import EvidenceStore
    from hub.intake import Rejections
    from hub.mqtt import MqttLink
    from hub.satellite import to_payload
    from hub.sources.satellite import SatelliteSource, seal

    satellite_store = EvidenceStore(tmp_path / "satellite-evidence")
    sha = satellite_store.put_bytes(b"\xff\xd8 snapshot from the shed camera")
    event = Event("face.match", "shed_camera", Severity.CRITICAL, {"person": "x"}, (sha,))
    config = parse_config({"data_dir": str(tmp_path / "hub"),
                           "sensors": {"shed_door": {"kind": "door", "satellite": {"id": "back_shed"}}},
                           "satellites": {"back_shed": {"cameras": ["shed_camera"]}}})
    key = bytes.fromhex(pair(config.data_dir, "back_shed"))
    topic = "porchlight/satellite/back_shed/event"
    body = jsonlib.loads(to_payload(event, satellite_store))
    bus, hub_store = Bus(), EvidenceStore(tmp_path / "hub-evidence")
    clock = SystemClock()
    source = SatelliteSource(MqttLink(config.mqtt), config, bus, clock, hub_store,
                             Rejections(bus.publish, clock.now, clock.monotonic))
    handle = source._event_handler("back_shed")
    handle(topic, seal(key, topic, "back_shed", 1, body).encode(), lambda: None)
    [received] = bus.take(timeout=1)
    assert received.event.evidence == (sha,) and received.event.detail["satellite"] == "back_shed"
    assert hub_store.read(sha) == b"\xff\xd8 snapshot from the shed camera"
    forged = jsonlib.loads(jsonlib.dumps(body))
    forged["evidence"][sha] = "AAAA"
    handle(topic, seal(key, topic, "back_shed", 2, forged).encode(), lambda: None)
    [rejected] = bus.take(timeout=1)
    assert rejected.event.kind == "input.rejected"
    assert f"evidence {sha} from satellite 'back_shed' does not match its hash" in rejected.event.detail["problem"]
