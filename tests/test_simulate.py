"""The demo's simulator drives both the GPIO and the MQTT path to an alarm and its outbox row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from hub.app import Hub
from hub.config import parse_config
from hub.simulate import Simulator
from tests.conftest import REPO, Broker, wait_for


def test_demo_config_simulation_raises_an_alarm_and_sees_the_zigbee_door(
        data_dir: Path, broker: Broker, mock_factory: Any) -> None:
    demo = yaml.safe_load((REPO / "config" / "demo.yaml").read_text())
    demo["data_dir"] = str(data_dir)
    demo["mqtt"]["port"] = broker.port
    demo["arming"] = {"entry_delay_seconds": 1, "exit_delay_seconds": 0}
    hub = Hub(parse_config(demo), pin_factory=mock_factory)
    hub.start()
    simulator = Simulator(hub, period=60)
    simulator.start()
    try:
        def kinds() -> list[tuple[str, str]]:
            assert hub.log is not None
            return [(e.kind, e.source) for e in hub.log.events()]

        wait_for(lambda: ("door.closed", "front_door") in kinds(), 30, "the Zigbee door to open and close")
        assert ("door.opened", "front_door") in kinds()
        assert ("alarm.triggered", "back_door") in kinds()
        assert hub.store is not None and len(hub.store.outbox.rows()) == 1
    finally:
        simulator.stop()
        hub.stop()
