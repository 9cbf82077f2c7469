"""The kind registries: every table of event and sensor kinds is derived from them, and kinds are named once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hub import kinds
from hub.announce import discovery_messages
from hub.arming import ArmState
from hub.config import parse_config
from hub.errors import ConfigError
from hub.events import Severity, utc_now
from hub.rules import RaiseAlarm, Rules
from hub.sensor_kinds import SENSOR_KIND_NAMES, SENSOR_KINDS, TRIGGERED_KINDS
from hub.sensors import MqttInterpreter, SensorTracker

REPO = Path(__file__).resolve().parent.parent
# export_verify.py travels alone inside every export (standard library only), so it keeps its own copy.
REGISTRIES = {"hub/kinds.py", "hub/sensor_kinds.py", "hub/export_verify.py"}


@pytest.mark.parametrize("name", SENSOR_KIND_NAMES)
def test_every_sensor_kind_has_its_events_in_the_event_registry(name: str) -> None:
    sensor = SENSOR_KINDS[name]
    assert kinds.KINDS[sensor.triggered].words
    assert sensor.restored is None or kinds.KINDS[sensor.restored].words
    assert (sensor.triggered in TRIGGERED_KINDS) == (sensor.always_alerts is None)
    assert (sensor.triggered in kinds.ALWAYS_ALERT) == (sensor.always_alerts is not None)


def test_no_kind_is_spelled_out_beside_the_registries() -> None:
    dotted = [name for name in kinds.KINDS if "." in name]
    found = []
    for path in sorted([*REPO.glob("hub/**/*.py"), *REPO.glob("web/**/*.py")]):
        rel = path.relative_to(REPO).as_posix()
        if rel in REGISTRIES:
            continue
        text = path.read_text()
        found += [f"{rel}: {name}" for name in dotted if f'"{name}"' in text]
    assert found == []


def test_the_config_offers_exactly_the_registered_sensor_kinds() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"sensors": {"cellar": {"kind": "doorbell", "gpio": {"pin": 17}}}})
    choices = ", ".join(repr(k) for k in SENSOR_KIND_NAMES[:-1]) + f" or {SENSOR_KIND_NAMES[-1]!r}"
    assert str(caught.value).splitlines() == [f"sensors.cellar.kind: must be one of {choices} (found 'doorbell')"]


def test_contacts_choose_from_the_kinds_that_alert() -> None:
    assert set(kinds.CONTACT_CHOICES) - {"access.*"} <= set(kinds.ALWAYS_ALERT) | {kinds.ALARM_TRIGGERED}
    assert kinds.ALL_TIERS_AT_ONCE == {kinds.PANIC, kinds.DURESS}


def test_an_unknown_kind_still_reads_as_a_sentence() -> None:
    assert kinds.about("garage.buzz").sentence("Garage", "garage", {}) == "garage.buzz from Garage"
    assert re.fullmatch(r"[A-Z].*", kinds.about(kinds.FACE_MATCH).sentence("Porch", "porch", {}))


def test_a_water_leak_sensor_works_from_its_registry_entry_alone(tmp_path: Path) -> None:
    config = parse_config({"data_dir": str(tmp_path), "sensors": {
        "utility_room": {"kind": "leak", "label": "Utility room", "mqtt": {"format": "zigbee2mqtt", "topic": "zigbee2mqtt/leak"}}}})
    tracker = SensorTracker(config.sensors)
    interpreter = MqttInterpreter(tracker)
    [wet] = interpreter.interpret("zigbee2mqtt/leak", b'{"water_leak": true, "battery": 90}', utc_now(), 1.0)
    [dry] = interpreter.interpret("zigbee2mqtt/leak", b'{"water_leak": false}', utc_now(), 2.0)
    assert (wet.kind, dry.kind) == ("leak.detected", "leak.cleared")
    [alarm] = Rules(config.sensors, config.arming).decide(wet, 5, ArmState("disarmed"), utc_now())
    assert alarm == RaiseAlarm(Severity.CRITICAL, "Water at Utility room", 5, "utility_room", "leak.detected")
    [payload] = [payload for topic, payload in discovery_messages(config) if "/binary_sensor/" in topic]
    assert '"device_class": "moisture"' in payload
