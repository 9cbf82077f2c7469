"""Keypad and CLI commands: disarm with PIN or duress PIN, panic, check-in timers that survive restarts."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from hub.app import Hub
from hub.config import parse_config
from hub.events import Event
from hub.log import IncidentLog
from hub.store import Store
from tests.conftest import Broker, Publisher, Webhook, run_cli, wait_for, write_config

PINS = {"pin": "2468", "duress_pin": "1357"}


def _config(data_dir: Path, webhook: Webhook, port: int | None = None) -> Any:
    return parse_config({
        "data_dir": str(data_dir), "gpio": {"pin_factory": "mock"},
        "mqtt": {"enabled": port is not None, "port": port or 1883, "client_id": "porchlight-cmd-test"},
        "arming": {"exit_delay_seconds": 0, **PINS},
        "contacts": {"friend": {"notify": [webhook.url()], "events": ["duress", "panic", "checkin.missed"]}},
        "alerts": {"retry_min_seconds": 1, "retry_max_seconds": 1},
    })


@pytest.fixture
def hub(data_dir: Path, webhook: Webhook, broker: Broker, mock_factory: Any) -> Iterator[Hub]:
    """A hub with PINs, a contact on a webhook, and the MQTT command topics."""
    running = Hub(_config(data_dir, webhook, broker.port), pin_factory=mock_factory)
    running.start()
    assert running.mqtt is not None and running.mqtt.wait_connected(10)
    yield running
    running.stop()


class Keypad:
    """An MQTT keypad: sends commands and collects the hub's answers."""

    def __init__(self, broker: Broker) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.answers: list[bytes] = []
        self.retained: dict[str, bytes] = {}
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="keypad")
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", broker.port)
        self.client.subscribe([("porchlight/command/result", 1), ("porchlight/arm_mode", 1)])
        self.client.loop_start()
        self.publisher = Publisher(broker.port)

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        if message.topic.endswith("/result"):
            self.answers.append(message.payload)
        else:
            self.retained[message.topic] = message.payload

    def send(self, command: str, **payload: Any) -> bytes:
        count = len(self.answers)
        self.publisher.publish(f"porchlight/command/{command}", json.dumps(payload))
        wait_for(lambda: len(self.answers) > count, 10, f"the answer to {command}")
        return self.answers[-1]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        self.publisher.close()


def test_duress_pin_looks_exactly_like_the_normal_pin_and_alerts(
        hub: Hub, broker: Broker, webhook: Webhook) -> None:
    keypad = Keypad(broker)
    try:
        assert json.loads(keypad.send("arm", mode="away", id=7)) == {"ok": True, "mode": "away", "id": 7}
        normal = keypad.send("arm", mode="disarmed", pin="2468", id=8)
        wait_for(lambda: keypad.retained.get("porchlight/arm_mode") == b"disarmed", 10, "disarmed (normal)")
        keypad.send("arm", mode="away", id=7)
        wait_for(lambda: keypad.retained.get("porchlight/arm_mode") == b"away", 10, "armed again")
        duress = keypad.send("arm", mode="disarmed", pin="1357", id=8)
        wait_for(lambda: keypad.retained.get("porchlight/arm_mode") == b"disarmed", 10, "disarmed (duress)")
        assert duress == normal == b'{"id": 8, "mode": "disarmed", "ok": true}'
        wait_for(lambda: webhook.posts, 10, "the silent duress alert")
        assert webhook.posts[0][1]["title"] == "Porchlight: Duress code used"
        assert len(webhook.posts) == 1  # the normal PIN alerted nobody
        wrong = keypad.send("arm", mode="disarmed", pin="0000", id=9)
        assert json.loads(wrong) == {"ok": False, "error": "wrong PIN", "id": 9}
        assert hub.log is not None
        wait_for(lambda: hub.log.events(kind="arm.pin_rejected"), 5, "the rejected PIN in the log")  # type: ignore[union-attr]
        garbage = keypad.send("arm", mode="party", id=10)
        assert json.loads(garbage)["error"] == "mode 'party' is not one of disarmed, home, night, away"
    finally:
        keypad.close()


def test_mqtt_panic_alerts_everyone(hub: Hub, broker: Broker, webhook: Webhook) -> None:
    keypad = Keypad(broker)
    try:
        assert json.loads(keypad.send("panic", id=1)) == {"ok": True, "panic": True, "id": 1}
        wait_for(lambda: webhook.posts, 10, "the panic alert")
        assert webhook.posts[0][1]["title"] == "Porchlight: Panic button pressed"
    finally:
        keypad.close()


def test_cli_panic_reaches_the_running_hub(hub: Hub, data_dir: Path, webhook: Webhook) -> None:
    result = run_cli("panic", "--data", str(data_dir), check=True)
    assert result.stdout.startswith("panic raised. Alerting your contact now. No test message has gone out to them yet")
    wait_for(lambda: webhook.posts, 10, "the panic alert")


def test_cli_panic_with_no_hub_running_says_nobody_has_been_told(tmp_path: Path) -> None:
    result = run_cli("panic", "--data", str(tmp_path))
    assert result.returncode == 3
    assert result.stdout.startswith("panic recorded, but nobody has been told: NO HUB IS RUNNING")
    assert "call the emergency number" in result.stdout and "alerting" not in result.stdout.lower()


def test_a_panic_with_no_contact_set_up_says_so_truthfully(data_dir: Path, mock_factory: Any) -> None:
    hub = Hub(parse_config({"data_dir": str(data_dir), "mqtt": {"enabled": False}}), pin_factory=mock_factory)
    hub.start()
    try:
        result = run_cli("panic", "--data", str(data_dir))
    finally:
        hub.stop()
    assert result.returncode == 2
    assert result.stdout.startswith("panic raised. Nobody can be told: no contact is set up")


def test_missed_check_in_alerts_and_check_in_stops_it(
        data_dir: Path, webhook: Webhook, mock_factory: Any) -> None:
    hub = Hub(_config(data_dir, webhook), pin_factory=mock_factory)
    hub.start()
    try:
        hub.submit(Event("checkin.start", "test", detail={"minutes": 0.015}))
        hub.submit(Event("checkin.done", "test"))
        time.sleep(1.5)  # past the 0.9 s deadline, on APScheduler's real clock
        assert webhook.posts == []
        hub.submit(Event("checkin.start", "test", detail={"minutes": 0.03}))
        wait_for(lambda: webhook.posts, 10, "the missed check-in alert")
        assert webhook.posts[0][1]["title"] == "Porchlight: A check-in was missed"
    finally:
        hub.stop()


def test_check_in_timer_survives_a_restart(data_dir: Path, webhook: Webhook, mock_factory: Any) -> None:
    hub = Hub(_config(data_dir, webhook), pin_factory=mock_factory)
    hub.start()
    hub.submit(Event("checkin.start", "test", detail={"minutes": 0.03}))
    assert hub.wait_idle(5)
    hub.stop()  # the power goes before the deadline
    time.sleep(2)  # past the 1.8 s deadline, on APScheduler's real clock
    hub = Hub(_config(data_dir, webhook), pin_factory=mock_factory)
    hub.start()
    try:
        wait_for(lambda: webhook.posts, 15, "the missed check-in after the restart")
    finally:
        hub.stop()


def test_cli_pins_and_check_in(tmp_path: Path, webhook: Webhook) -> None:
    config = write_config(tmp_path / "porchlight.yaml", {
        "data_dir": str(tmp_path / "data"), "arming": PINS,
        "contacts": {"friend": {"notify": [webhook.url()]}}})
    normal = run_cli("arm", "disarmed", "--pin", "2468", "--config", str(config))
    duress = run_cli("arm", "disarmed", "--pin", "1357", "--config", str(config))
    assert (normal.returncode, normal.stdout) == (duress.returncode, duress.stdout)
    assert normal.returncode == 3 and "NO HUB IS RUNNING" in normal.stdout
    wrong = run_cli("arm", "disarmed", "--pin", "1111", "--config", str(config))
    assert (wrong.returncode, wrong.stdout) == (1, "arm mode not changed: wrong PIN\n")
    done = run_cli("checkin", "done", "--pin", "1357", "--config", str(config))
    assert done.returncode == 3 and done.stdout.startswith("check-in queued, not yet recorded: NO HUB IS RUNNING")
    with Store(tmp_path / "data") as store:
        kinds = [event.kind for _, event in store.commands.pending_commands()]
    assert kinds == ["arm.set", "arm.set", "duress", "arm.pin_rejected", "checkin.done", "duress"]
    sent = run_cli("alert", "test", "friend", "--config", str(config))
    assert sent.returncode == 0 and sent.stdout == "json: delivered\n"
    assert webhook.posts[0][1]["title"] == "Porchlight test"
    missing = run_cli("alert", "test", "nobody", "--config", str(config))
    assert missing.stdout == "contacts.nobody: no such contact (configured: friend)\n"
