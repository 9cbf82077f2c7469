"""He tries every PIN on the keypad topic, or finds a hub with no PIN at all."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hub.app import Hub
from hub.events import Event
from tests.conftest import Broker, Webhook, wait_for
from tests.hostile.conftest import PIN, hostile_config
from tests.test_commands import Keypad


def test_guessing_the_pin_is_slowed_alarmed_and_never_wins(
        data_dir: Path, broker: Broker, webhook: Webhook, mock_factory: Any) -> None:
    hub = Hub(hostile_config(data_dir, broker.port, contacts={"ann": {"notify": [webhook.url()]}}),
              pin_factory=mock_factory)
    hub.start()
    keypad = Keypad(broker)
    try:
        assert hub.mqtt is not None and hub.mqtt.wait_connected(10) and hub.log is not None
        hub.submit(Event("arm.set", "test", detail={"mode": "away"}))
        wait_for(lambda: hub.pipeline is not None and hub.pipeline.arm_state.mode == "away", 5, "armed away")
        answers = [json.loads(keypad.send("arm", mode="disarmed", pin=f"{guess:04d}", id=guess))
                   for guess in range(40)]
        right = json.loads(keypad.send("arm", mode="disarmed", pin=PIN, id=99))  # found, but still waiting
        assert [a["error"] for a in answers[:3]] == ["wrong PIN"] * 3
        assert all(a["error"].startswith("too many wrong PINs: try again in") for a in answers[3:])
        assert not right["ok"] and right["error"].startswith("too many wrong PINs")
        assert hub.wait_idle(5)
        assert hub.pipeline is not None and hub.pipeline.arm_state.mode == "away"
        assert len(hub.log.events(kind="arm.pin_rejected")) == 3  # the tries while waiting are not rows each
        wait_for(lambda: webhook.posts, 10, "the guessing alarm to her contact")
        [guessing] = hub.log.events(kind="arm.pin_guessing")
        assert guessing.detail["wrong_in_a_row"] == 3 and guessing.source == "keypad"
    finally:
        keypad.close()
        hub.stop()


def test_without_a_pin_nothing_on_the_lan_can_disarm(data_dir: Path, broker: Broker, mock_factory: Any) -> None:
    hub = Hub(hostile_config(data_dir, broker.port, arming={"pin": None, "exit_delay_seconds": 0}),
              pin_factory=mock_factory)
    hub.start()
    keypad = Keypad(broker)
    try:
        assert hub.mqtt is not None and hub.mqtt.wait_connected(10)
        assert json.loads(keypad.send("arm", mode="away", id=1))["ok"]
        answer = json.loads(keypad.send("arm", mode="disarmed", id=2))
        assert not answer["ok"] and answer["error"].startswith("no PIN is set")
        assert hub.wait_idle(5) and hub.pipeline is not None and hub.pipeline.arm_state.mode == "away"
    finally:
        keypad.close()
        hub.stop()


def test_a_stream_of_panics_is_one_alarm_and_a_count(hub: Hub, broker: Any) -> None:
    """With a keypad's password he presses panic 50 times a second: her contacts hear once."""
    keypad = Keypad(broker)
    try:
        answers = [json.loads(keypad.send("panic", id=n)) for n in range(20)]
        assert all(a["ok"] for a in answers) and sum(1 for a in answers if a.get("already_raised")) == 19
        assert hub.wait_idle(5) and hub.log is not None
        assert len(hub.log.events(kind="panic")) == 1 and len(hub.log.events(kind="alarm.triggered")) == 1
        hub.rejections.flush(force=True)
        wait_for(lambda: hub.log is not None and hub.log.events(kind="input.flood"), 5, "the count of the others")
    finally:
        keypad.close()
