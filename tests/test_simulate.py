"""The demo's simulator drives both the GPIO and the MQTT path to an alarm and its outbox row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from hub.app import Hub
from hub.config import parse_config
from hub.simulate import Simulator
from hub.demo_inbox import read_inbox
from tests.conftest import REPO, Broker, free_port, wait_for
from tests.webtools import owner
from web import create_app


def test_demo_config_simulation_raises_an_alarm_and_sees_the_zigbee_door(
        data_dir: Path, broker: Broker, mock_factory: Any) -> None:
    demo = yaml.safe_load((REPO / "config" / "demo.yaml").read_text())
    demo["data_dir"] = str(data_dir)
    demo["mqtt"]["port"] = broker.port
    demo["arming"] = {"entry_delay_seconds": 1, "exit_delay_seconds": 0}
    inbox_port = free_port()
    demo["contacts"]["neighbour"]["notify"] = [f"json://127.0.0.1:{inbox_port}/inbox"]
    camera = demo["cameras"]["hall_camera"]
    assert (REPO / camera["source"]).exists()  # the demo's camera is real footage from the checkout
    demo["cameras"] = {}  # (the camera pipeline has its own tests; this one follows the alarm)
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
        # The alarm travels to the demo's contact, whose "phone" is the dashboard's Demo inbox.
        wait_for(lambda: any("Back door" in m["title"] for m in read_inbox(data_dir) or []), 60, "the alarm in the inbox")
        titles = [m["title"] for m in read_inbox(data_dir) or []]
        assert titles[-1] == "Porchlight test"  # sent at start, so the dashboard knows Sam is reached
        page = owner(create_app(parse_config({**demo, "web": {"tls": False}}))).get("/inbox").get_data(as_text=True)
        assert "Demo inbox" in page and "Back door" in page
    finally:
        simulator.stop()
        hub.stop()
