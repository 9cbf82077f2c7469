"""A hub on a real broker that anyone on the LAN can publish to (anonymous, as many homes run it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from hub.app import Hub
from hub.config import parse_config
from tests.conftest import Broker

DOOR_TOPIC = "zigbee2mqtt/front_door"
PIN, DURESS = "2468", "1357"


def hostile_config(data_dir: Path, port: int, **extra: Any) -> Any:
    """Her hub: one Zigbee door, PINs set, MQTT on the test broker."""
    return parse_config({
        "data_dir": str(data_dir),
        "gpio": {"pin_factory": "mock"},
        "mqtt": {"host": "127.0.0.1", "port": port, "reconnect_min_seconds": 1, "reconnect_max_seconds": 2},
        "arming": {"pin": PIN, "duress_pin": DURESS, "exit_delay_seconds": 0, "entry_delay_seconds": 0},
        "sensors": {"front_door": {"kind": "door", "label": "Front door",
                                   "mqtt": {"topic": DOOR_TOPIC, "format": "zigbee2mqtt"}}},
        **extra,
    })


@pytest.fixture
def hub(data_dir: Path, broker: Broker, mock_factory: Any) -> Iterator[Hub]:
    """Her running hub."""
    running = Hub(hostile_config(data_dir, broker.port), pin_factory=mock_factory)
    running.start()
    assert running.mqtt is not None and running.mqtt.wait_connected(10)
    yield running
    running.stop()
