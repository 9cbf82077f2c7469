"""Readings become events only on change; silence becomes sensor.offline."""

from __future__ import annotations

from datetime import datetime, timezone

from hub.config import MqttBinding, SensorConfig
from hub.payloads import Reading
from hub.sensors import MqttInterpreter, SensorTracker

AT = datetime(2026, 11, 23, tzinfo=timezone.utc)
DOOR = SensorConfig(kind="door", mqtt=MqttBinding(topic="zigbee2mqtt/front_door", format="zigbee2mqtt",
                                                    heartbeat_seconds=60))
PANIC = SensorConfig(kind="panic", mqtt=MqttBinding(topic="zigbee2mqtt/button", format="zigbee2mqtt"))


def _kinds(events: list) -> list[str]:  # type: ignore[type-arg]
    return [e.kind for e in events]


def test_only_changes_become_events() -> None:
    tracker = SensorTracker({"front_door": DOOR})
    assert _kinds(tracker.update("front_door", Reading(active=True), AT, 0)) == ["door.opened"]
    assert _kinds(tracker.update("front_door", Reading(active=True), AT, 1)) == []
    assert _kinds(tracker.update("front_door", Reading(active=False), AT, 2)) == ["door.closed"]


def test_known_state_from_the_log_suppresses_a_redelivered_message() -> None:
    tracker = SensorTracker({"front_door": DOOR}, initial={"front_door": True})
    assert _kinds(tracker.update("front_door", Reading(active=True), AT, 0)) == []


def test_every_panic_press_counts() -> None:
    tracker = SensorTracker({"button": PANIC})
    assert _kinds(tracker.update("button", Reading(active=True), AT, 0)) == ["panic"]
    assert _kinds(tracker.update("button", Reading(active=True), AT, 1)) == ["panic"]


def test_tamper_and_battery_are_raised_once() -> None:
    tracker = SensorTracker({"front_door": DOOR})
    first = tracker.update("front_door", Reading(active=False, tamper=True, battery_low=True, battery=4), AT, 0)
    assert _kinds(first) == ["door.closed", "sensor.tamper", "sensor.battery_low"]
    assert first[2].detail["battery"] == 4
    again = tracker.update("front_door", Reading(active=False, tamper=True, battery_low=True), AT, 1)
    assert _kinds(again) == []
    assert _kinds(tracker.update("front_door", Reading(tamper=False), AT, 2)) == ["sensor.tamper_cleared"]


def test_heartbeat_silence_raises_offline_once_then_online() -> None:
    tracker = SensorTracker({"front_door": DOOR})
    tracker.update("front_door", Reading(active=False), AT, 100.0)
    assert tracker.silent(159.0, AT) == []
    [offline] = tracker.silent(161.0, AT)
    assert offline.kind == "sensor.offline"
    assert offline.detail["reason"] == "no message for 61 s (heartbeat 60 s)"
    assert tracker.silent(500.0, AT) == []
    assert _kinds(tracker.update("front_door", Reading(active=False), AT, 501.0)) == ["sensor.online"]


def test_a_sensor_never_heard_from_goes_offline_after_one_heartbeat() -> None:
    tracker = SensorTracker({"front_door": DOOR})
    assert tracker.silent(10.0, AT) == []
    assert _kinds(tracker.silent(71.0, AT)) == ["sensor.offline"]


def test_availability_offline_and_online() -> None:
    interpreter = MqttInterpreter(SensorTracker({"front_door": DOOR}))
    topic = "zigbee2mqtt/front_door/availability"
    assert _kinds(interpreter.interpret(topic, b'{"state":"offline"}', AT, 0)) == ["sensor.offline"]
    assert _kinds(interpreter.interpret(topic, b"online", AT, 1)) == ["sensor.online"]


def test_rejected_payload_names_topic_and_problem() -> None:
    interpreter = MqttInterpreter(SensorTracker({"front_door": DOOR}))
    [event] = interpreter.interpret("zigbee2mqtt/front_door", b"{oops", AT, 0)
    assert event.kind == "input.rejected" and event.source == "front_door"
    assert event.detail["topic"] == "zigbee2mqtt/front_door"
    assert event.detail["problem"].startswith("payload is not valid JSON")
    assert event.detail["payload_hex"] == b"{oops".hex()


def test_unknown_topic_is_ignored() -> None:
    interpreter = MqttInterpreter(SensorTracker({"front_door": DOOR}))
    assert interpreter.interpret("zigbee2mqtt/elsewhere", b"{}", AT, 0) == []
