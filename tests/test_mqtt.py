"""MQTT sensors against a real mosquitto on 127.0.0.1: events, rejections, discovery, broker restarts."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest

from hub.app import Hub
from hub.config import parse_config
from tests.conftest import Broker, Publisher, wait_for

TOPIC = "zigbee2mqtt/front_door"


def _config(data_dir: Path, port: int) -> Any:
    return parse_config({
        "data_dir": str(data_dir),
        "gpio": {"pin_factory": "mock"},
        "mqtt": {"host": "127.0.0.1", "port": port, "client_id": "porchlight-test",
                 "reconnect_min_seconds": 1, "reconnect_max_seconds": 2},
        "sensors": {"front_door": {"kind": "door", "label": "Front door",
                                   "mqtt": {"topic": TOPIC, "format": "zigbee2mqtt"}}},
    })


@pytest.fixture
def hub(data_dir: Path, broker: Broker, mock_factory: Any) -> Iterator[Hub]:
    """A running hub subscribed to the test broker."""
    running = Hub(_config(data_dir, broker.port), pin_factory=mock_factory)
    running.start()
    assert running.mqtt is not None and running.mqtt.wait_connected(10)
    yield running
    running.stop()


def _door_payload(is_open: bool, marker: int) -> str:
    return json.dumps({"battery": 60, "contact": not is_open, "linkquality": marker, "tamper": False})


def _door_events(hub: Hub) -> list[Any]:
    assert hub.log is not None and hub.store is not None
    return [e for e in hub.log.events(kind="door.*")]


def test_zigbee_messages_become_door_events(hub: Hub, publisher: Publisher) -> None:
    publisher.publish(TOPIC, _door_payload(True, 1))
    publisher.publish(TOPIC, _door_payload(False, 2))
    wait_for(lambda: len(_door_events(hub)) == 2, 10, "two door events")
    opened, closed = _door_events(hub)
    assert (opened.kind, opened.source, opened.detail["linkquality"]) == ("door.opened", "front_door", 1)
    assert (closed.kind, closed.detail["battery"]) == ("door.closed", 60)


def test_malformed_payload_is_logged_and_the_hub_carries_on(hub: Hub, publisher: Publisher) -> None:
    publisher.publish(TOPIC, b"\x00garbage{")
    publisher.publish(TOPIC, _door_payload(True, 3))
    wait_for(lambda: _door_events(hub), 10, "the door event after the bad payload")
    assert hub.log is not None and hub.store is not None
    [rejected] = hub.log.events(kind="input.rejected")
    assert rejected.source == "front_door"
    assert rejected.detail["topic"] == TOPIC
    assert rejected.detail["problem"] == "payload is not valid JSON (Expecting value: line 1 column 1 (char 0))"


def test_availability_offline_alerts(hub: Hub, publisher: Publisher) -> None:
    publisher.publish(TOPIC + "/availability", '{"state":"offline"}')
    wait_for(lambda: hub.store is not None and hub.store.outbox.rows(), 10, "the offline alert")
    assert hub.log is not None and hub.store is not None
    assert hub.store.outbox.rows()[0].reason == "Front door stopped reporting"


def test_hub_announces_itself_and_mirrors_state(hub: Hub, broker: Broker, publisher: Publisher) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    seen: dict[str, bytes] = {}
    got = threading.Event()
    watcher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="watcher")

    def on_message(client: Any, userdata: Any, message: Any) -> None:
        seen[message.topic] = message.payload
        got.set()

    watcher.on_message = on_message
    watcher.connect("127.0.0.1", broker.port)
    watcher.subscribe([("homeassistant/#", 1), ("porchlight/#", 1)])
    watcher.loop_start()
    try:
        publisher.publish(TOPIC, _door_payload(True, 5))
        wait_for(lambda: "porchlight/sensor/front_door/state" in seen and "porchlight/event" in seen, 10,
                 "state and event messages")
        discovery = json.loads(seen["homeassistant/binary_sensor/porchlight/porchlight_front_door/config"])
        assert discovery["device_class"] == "door"
        assert discovery["state_topic"] == "porchlight/sensor/front_door/state"
        assert seen["porchlight/status"] == b"online"
        assert seen["porchlight/arm_mode"] == b"disarmed"
        assert seen["porchlight/sensor/front_door/state"] == b"ON"
        event = json.loads(seen["porchlight/event"])
        assert set(event) == {"kind", "source", "severity", "at"}  # never the detail, nor a telling sequence number
    finally:
        watcher.disconnect()
        watcher.loop_stop()


def test_broker_restart_mid_stream_loses_nothing(hub: Hub, broker: Broker, publisher: Publisher) -> None:
    total = 60
    for marker in range(total):
        if marker in (20, 40):
            broker.restart(down_seconds=1.0)
        publisher.publish(TOPIC, _door_payload(marker % 2 == 0, marker))

    def markers() -> set[int]:
        return {int(e.detail["linkquality"]) for e in _door_events(hub)}

    wait_for(lambda: markers() >= set(range(total)), 30, "every message's event")
    assert hub.log is not None and hub.log.verify().ok
