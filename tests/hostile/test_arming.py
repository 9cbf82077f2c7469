"""He spoofs one "open" from her door while she is home, so the real opening later is no change and no alarm."""

from __future__ import annotations

import json
from typing import Any

from hub.app import Hub
from tests.conftest import Publisher, wait_for
from tests.hostile.conftest import DOOR_TOPIC
from tests.test_commands import Keypad


def test_arming_over_an_open_door_asks_first_and_a_bypass_is_for_that_arming_only(
        hub: Hub, broker: Any, publisher: Publisher) -> None:
    publisher.publish(DOOR_TOPIC, json.dumps({"contact": False}))  # his spoofed "open"
    wait_for(lambda: hub.log is not None and hub.log.events(kind="door.opened"), 10, "the spoofed opening")
    keypad = Keypad(broker)
    try:
        refused = json.loads(keypad.send("arm", mode="away", id=1))
        assert not refused["ok"] and refused["not_ready"] == ["front_door"]
        assert "Front door is open" in refused["error"]
        assert hub.wait_idle(5) and hub.pipeline is not None and hub.pipeline.arm_state.mode == "disarmed"
        armed = json.loads(keypad.send("arm", mode="away", bypass=True, id=2))
        assert armed["ok"]
        wait_for(lambda: hub.pipeline is not None and hub.pipeline.arm_state.mode == "away", 5, "armed away")
        assert hub.pipeline.arm_state.bypassed == ("front_door",)
        assert hub.log is not None and hub.log.events(kind="arm.set")[-1].detail["bypassed"] == ["front_door"]
        # The next arming, with the door really closed, watches it again.
        publisher.publish(DOOR_TOPIC, json.dumps({"contact": True}))
        wait_for(lambda: hub.log is not None and hub.log.events(kind="door.closed"), 10, "the door closed")
        assert json.loads(keypad.send("arm", mode="night", id=3))["ok"]
        wait_for(lambda: hub.pipeline is not None and hub.pipeline.arm_state.mode == "night", 5, "armed night")
        assert hub.pipeline.arm_state.bypassed == ()
    finally:
        keypad.close()


def test_the_command_line_checks_the_sensors_too(tmp_path: Any, data_dir: Any) -> None:
    from hub.events import Event
    from hub.store import Store
    from tests.conftest import run_cli, write_config

    config = write_config(tmp_path / "porchlight.yaml", {
        "data_dir": str(data_dir),
        "sensors": {"front_door": {"kind": "door", "label": "Front door",
                                   "mqtt": {"topic": DOOR_TOPIC, "format": "zigbee2mqtt"}}}})
    with Store(data_dir) as store:
        store.log.append(Event("door.opened", "front_door"))  # his spoofed "open", as the hub logged it
    refused = run_cli("arm", "away", "--config", str(config))
    assert refused.returncode == 1 and "Front door is open" in refused.stdout and "--bypass" in refused.stdout
    armed = run_cli("arm", "away", "--bypass", "--config", str(config))
    assert armed.returncode == 3 and "NO HUB IS RUNNING" in armed.stdout, armed.stdout + armed.stderr
    with Store(data_dir) as store:
        [(_, queued)] = store.commands.pending_commands()
    assert queued.detail == {"mode": "away", "bypassed": ["front_door"]}


def test_a_spoofed_open_without_the_devices_own_fields_is_flagged(hub: Hub, publisher: Publisher) -> None:
    real = {"battery": 97, "linkquality": 120, "voltage": 3005, "device_temperature": 21}
    for contact in (True,) * 5:  # the door's own reports, as Zigbee2MQTT sends them
        publisher.publish(DOOR_TOPIC, json.dumps({**real, "contact": contact}))
    publisher.publish(DOOR_TOPIC, json.dumps({"contact": False}))  # his: the state alone
    wait_for(lambda: hub.log is not None and hub.log.events(kind="sensor.suspect"), 10, "the spoofed open flagged")
    assert hub.log is not None
    [flag] = hub.log.events(kind="sensor.suspect")
    assert flag.source == "front_door" and flag.detail["reported"] == "active"
    assert flag.detail["missing"] == ["battery", "device_temperature", "linkquality", "voltage"]
    # The real door's next reports, in its own shape, raise nothing.
    publisher.publish(DOOR_TOPIC, json.dumps({**real, "contact": True}))
    publisher.publish(DOOR_TOPIC, json.dumps({**real, "contact": False}))
    wait_for(lambda: len(hub.log.events(kind="door.opened")) == 2, 10, "the real opening")  # type: ignore[union-attr]
    assert len(hub.log.events(kind="sensor.suspect")) == 1


def test_a_suspect_closed_does_not_let_her_arm_over_a_really_open_door(hub: Hub, broker: Any,
                                                                          publisher: Publisher) -> None:
    real = {"battery": 97, "linkquality": 120, "voltage": 3005}
    for contact in (True, True, True, True, False):  # the door's own reports; it is really open now
        publisher.publish(DOOR_TOPIC, json.dumps({**real, "contact": contact}))
    publisher.publish(DOOR_TOPIC, json.dumps({"contact": True}))  # his "closed", in no shape of its own
    wait_for(lambda: hub.log is not None and hub.log.events(kind="sensor.suspect"), 10, "his closed flagged")
    keypad = Keypad(broker)
    try:
        refused = json.loads(keypad.send("arm", mode="away", id=1))
        assert not refused["ok"] and refused["not_ready"] == ["front_door"]
        assert "unlike its own device" in refused["error"]
    finally:
        keypad.close()


def test_one_odd_report_first_is_forgotten_again(hub: Hub, publisher: Publisher) -> None:
    """He poisons the learned shape with a minimal report before any real one (or a retained one at start)."""
    real = {"battery": 97, "linkquality": 120, "voltage": 3005}
    publisher.publish(DOOR_TOPIC, json.dumps({"contact": True}))
    for contact in (True,) * 5:
        publisher.publish(DOOR_TOPIC, json.dumps({**real, "contact": contact}))
    publisher.publish(DOOR_TOPIC, json.dumps({"contact": False}))
    wait_for(lambda: hub.log is not None and hub.log.events(kind="sensor.suspect"), 10, "the later forgery flagged")
