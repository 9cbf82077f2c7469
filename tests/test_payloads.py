"""MQTT payload parsing: the real-world payloads of tests/data/mqtt, malformed variants, and arbitrary bytes."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.chain import canonical_json
from hub.config import MqttBinding, SensorConfig
from hub.errors import InputRejected
from hub.payloads import MAX_PAYLOAD_BYTES, parse_payload
from hub.sensors import MqttInterpreter, SensorTracker
from tests.conftest import mqtt_samples

AT = datetime(2026, 11, 23, tzinfo=timezone.utc)
SAMPLES = mqtt_samples()


def _binding(sample: dict[str, str]) -> MqttBinding:
    topic = sample["topic"]
    fmt = sample["format"]
    if fmt == "zigbee2mqtt-availability":
        return MqttBinding(topic=topic.removesuffix("/availability"), format="zigbee2mqtt")
    return MqttBinding(topic=topic if fmt != "tasmota" else "tele/tasmota_1A2B3C/SENSOR", format=fmt)  # type: ignore[arg-type]


def _expected(means: str) -> dict[str, object]:
    if means.startswith("open") or means.startswith("switch-input"):
        return {"active": True}
    if means.startswith("closed, tamper"):
        return {"active": False, "tamper": True}
    if means.startswith("closed, battery"):
        return {"active": False, "battery_low": True}
    if means.startswith("closed") or means.startswith("switch action"):
        return {"active": False}
    if "offline" in means:
        return {"online": False}
    return {"online": True}


@pytest.mark.parametrize("sample", SAMPLES, ids=[f"{s['format']}:{s['means'][:30]}" for s in SAMPLES])
def test_real_payloads_mean_what_the_manifest_says(sample: dict[str, str]) -> None:
    reading = parse_payload(_binding(sample), "door", sample["topic"], sample["payload"].encode())
    for field, value in _expected(sample["means"]).items():
        assert getattr(reading, field) == value, (field, sample)


ZIGBEE = MqttBinding(topic="zigbee2mqtt/front_door", format="zigbee2mqtt")
PLAIN = MqttBinding(topic="home/door", format="plain", open_payload="OPEN", closed_payload="SHUT")
HA = MqttBinding(topic="ha/door", format="homeassistant")
TASMOTA = MqttBinding(topic="tele/t1/SENSOR", format="tasmota", on_means="closed")

MALFORMED = [
    (ZIGBEE, "zigbee2mqtt/front_door", b"{contact: true}",
     "payload is not valid JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))"),
    (ZIGBEE, "zigbee2mqtt/front_door", b"", "payload is not valid JSON (Expecting value: line 1 column 1 (char 0))"),
    (ZIGBEE, "zigbee2mqtt/front_door", b"[1, 2]", "payload is a JSON list, expected an object"),
    (ZIGBEE, "zigbee2mqtt/front_door", b"true", "payload is a JSON boolean, expected an object"),
    (ZIGBEE, "zigbee2mqtt/front_door", b'{"contact": "yes"}', "field 'contact' is \"yes\", expected true or false"),
    (ZIGBEE, "zigbee2mqtt/front_door", b'{"contact": true, "battery": 400}',
     "field 'battery' is 400, expected a number 0-100"),
    (ZIGBEE, "zigbee2mqtt/front_door", b'{"contact": true, "battery": NaN}',
     "payload contains NaN, which is not a number the log can hold"),
    (ZIGBEE, "zigbee2mqtt/front_door", b"\xff\xfe{}", "payload is not UTF-8 text (bad byte at offset 0)"),
    (ZIGBEE, "zigbee2mqtt/front_door", b"x" * (MAX_PAYLOAD_BYTES + 1),
     f"payload is {MAX_PAYLOAD_BYTES + 1} bytes, more than the {MAX_PAYLOAD_BYTES} allowed"),
    (ZIGBEE, "zigbee2mqtt/front_door/availability", b"maybe", "availability payload 'maybe' is neither online nor offline"),
    (ZIGBEE, "zigbee2mqtt/front_door/availability", b'{"state": 1}',
     "availability payload '{\"state\": 1}' is neither online nor offline"),
    (PLAIN, "home/door", b"ajar", "payload 'ajar' is neither 'OPEN' nor 'SHUT'"),
    (HA, "ha/door", b"UNAVAILABLE", "payload is 'UNAVAILABLE', expected ON or OFF"),
    (TASMOTA, "tele/t1/SENSOR", b'{"Switch1": 3}', "field 'Switch1' has no ON/OFF value"),
    (TASMOTA, "tele/t1/SENSOR", b'{"Switch1": "TOGGLE"}', "field 'Switch1' is 'TOGGLE', expected ON or OFF"),
    (ZIGBEE, "zigbee2mqtt/front_door", b"[" * 100_000 + b"]" * 100_000,
     f"payload is 200000 bytes, more than the {MAX_PAYLOAD_BYTES} allowed"),
    (ZIGBEE, "zigbee2mqtt/front_door", b"[" * 30_000 + b"]" * 30_000, "payload is JSON nested too deeply"),
]


@pytest.mark.parametrize("binding,topic,payload,message", MALFORMED,
                         ids=[m[3][:40] for m in MALFORMED])
def test_malformed_payloads_are_rejected_with_the_reason(
        binding: MqttBinding, topic: str, payload: bytes, message: str) -> None:
    with pytest.raises(InputRejected) as err:
        parse_payload(binding, "door", topic, payload)
    assert str(err.value) == message


def test_plain_and_tasmota_polarity() -> None:
    assert parse_payload(PLAIN, "door", "home/door", b" OPEN\n").active is True
    assert parse_payload(TASMOTA, "door", "tele/t1/SENSOR", b'{"Switch1":"ON"}').active is False
    assert parse_payload(TASMOTA, "door", "stat/t1/RESULT", b'{"Switch1":{"Action":"OFF"}}').active is True
    assert parse_payload(TASMOTA, "door", "tele/t1/LWT", b"Offline").online is False


def test_zigbee_motion_and_panic_fields() -> None:
    motion = MqttBinding(topic="zigbee2mqtt/hall", format="zigbee2mqtt")
    assert parse_payload(motion, "motion", "zigbee2mqtt/hall", b'{"occupancy":true}').active is True
    assert parse_payload(motion, "panic", "zigbee2mqtt/hall", b'{"action":"single"}').active is True
    assert parse_payload(motion, "panic", "zigbee2mqtt/hall", b'{"action":""}').active is None


SENSORS = {
    "front_door": SensorConfig(kind="door", mqtt=ZIGBEE),
    "side_door": SensorConfig(kind="door", mqtt=PLAIN),
    "ha_door": SensorConfig(kind="door", mqtt=HA),
    "shed": SensorConfig(kind="door", mqtt=TASMOTA),
    "hall": SensorConfig(kind="motion", mqtt=MqttBinding(topic="zigbee2mqtt/hall", format="zigbee2mqtt")),
    "button": SensorConfig(kind="panic", mqtt=MqttBinding(topic="zigbee2mqtt/button", format="zigbee2mqtt")),
}
TOPICS = sorted({t for s in SENSORS.values() if s.mqtt for t in s.mqtt.all_topics()})


@settings(max_examples=300, deadline=None)
@given(topic=st.sampled_from(TOPICS), payload=st.binary(max_size=512))
def test_arbitrary_bytes_never_escape_the_interpreter(topic: str, payload: bytes) -> None:
    interpreter = MqttInterpreter(SensorTracker(SENSORS))
    for event in interpreter.interpret(topic, payload, AT, 0.0):
        canonical_json(dict(event.detail))  # every event can be logged


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(topic=st.sampled_from(TOPICS),
       obj=st.dictionaries(st.sampled_from(["contact", "battery", "battery_low", "tamper", "occupancy",
                                             "action", "Switch1", "state", "linkquality"]) | st.text(max_size=8),
                           json_values, max_size=6))
def test_arbitrary_json_objects_never_escape_the_interpreter(topic: str, obj: dict[str, object]) -> None:
    payload = json.dumps(obj).encode()
    interpreter = MqttInterpreter(SensorTracker(SENSORS))
    for event in interpreter.interpret(topic, payload, AT, 0.0):
        canonical_json(dict(event.detail))
