"""Turns sensor readings (from GPIO or MQTT) into events, only when something changed."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Mapping

from hub.config import MqttBinding, SensorConfig
from hub.errors import InputRejected
from hub.events import Event, Severity
from hub.payloads import Reading, json_object, parse_payload
from hub.sensor_kinds import event_kind, sensor_kind
from hub import kinds


@dataclass(frozen=True)
class SensorStatus:
    """What the hub last knew about one sensor."""

    active: bool | None = None
    tamper: bool | None = None
    battery_low: bool | None = None
    online: bool = True
    last_seen: float | None = None


class SensorTracker:
    """Remembers each sensor's last state; thread-safe, since GPIO and MQTT call it on their threads."""

    def __init__(self, sensors: Mapping[str, SensorConfig], initial: Mapping[str, bool] | None = None) -> None:
        self.sensors = sensors
        self._lock = threading.Lock()
        self._status = {sid: SensorStatus(active=(initial or {}).get(sid)) for sid in sensors}

    def status(self, sensor_id: str) -> SensorStatus:
        """The last known status of a sensor."""
        with self._lock:
            return self._status[sensor_id]

    def update(self, sensor_id: str, reading: Reading, at: datetime, seen: float) -> list[Event]:
        """Events for what changed since the sensor's previous reading."""
        sensor = self.sensors[sensor_id]
        events: list[Event] = []
        with self._lock:
            old = self._status[sensor_id]
            new = replace(old, last_seen=seen, online=True if reading.online is None else reading.online)
            detail = dict(reading.extra)
            if reading.battery is not None:
                detail["battery"] = reading.battery
            if not old.online and new.online:
                events.append(Event(kinds.SENSOR_ONLINE, sensor_id, Severity.INFO, at=at))
            if old.online and not new.online:
                events.append(Event(kinds.SENSOR_OFFLINE, sensor_id, Severity.WARNING,
                                    detail={"reason": "the sensor reported itself offline"}, at=at))
            if reading.active is not None:
                about = sensor_kind(sensor.kind)
                changed = reading.active != old.active or about.every_report_counts
                kind = event_kind(sensor.kind, reading.active)
                if changed and kind is not None:
                    severity = about.severity if reading.active else Severity.INFO
                    events.append(Event(kind, sensor_id, severity, detail, at=at))
                new = replace(new, active=reading.active)
            if reading.tamper is not None:
                if reading.tamper and not old.tamper:
                    events.append(Event(kinds.SENSOR_TAMPER, sensor_id, Severity.WARNING, detail, at=at))
                elif old.tamper and not reading.tamper:
                    events.append(Event(kinds.SENSOR_TAMPER_CLEARED, sensor_id, Severity.INFO, at=at))
                new = replace(new, tamper=reading.tamper)
            if reading.battery_low is not None:
                if reading.battery_low and not old.battery_low:
                    events.append(Event(kinds.SENSOR_BATTERY_LOW, sensor_id, Severity.NOTICE, detail, at=at))
                new = replace(new, battery_low=reading.battery_low)
            self._status[sensor_id] = new
        return events

    def silent(self, now: float, at: datetime) -> list[Event]:
        """``sensor.offline`` for each MQTT sensor quiet for longer than its heartbeat."""
        events = []
        with self._lock:
            for sid, sensor in self.sensors.items():
                beat = sensor.mqtt.heartbeat_seconds if sensor.mqtt is not None else None
                status = self._status[sid]
                if beat is None or not status.online:
                    continue
                last = status.last_seen
                if last is None:
                    # Never heard since start: count from the first check.
                    self._status[sid] = replace(status, last_seen=now)
                    continue
                if now - last > beat:
                    self._status[sid] = replace(status, online=False)
                    events.append(Event(
                        kinds.SENSOR_OFFLINE, sid, Severity.WARNING,
                        detail={"reason": f"no message for {now - last:.0f} s (heartbeat {beat} s)"},
                        at=at,
                    ))
        return events


# A device's reports keep the same fields (Zigbee2MQTT always sends battery, linkquality, voltage...): a
# state change without the fields of every one of its last SHAPE_WINDOW reports is not its own. A window,
# not everything since start, so one odd report (his, or a retained one at start) is forgotten again.
SHAPE_WINDOW = 5


class Shapes:
    """The fields of each sensor's last reports, to notice a report in another shape."""

    def __init__(self) -> None:
        self._recent: dict[str, deque[frozenset[str]]] = {}

    def missing(self, sensor_id: str, payload: bytes) -> list[str]:
        """The fields this report lacks that each of the last SHAPE_WINDOW had (empty until there are that many)."""
        try:
            keys = frozenset(json_object(payload))
        except InputRejected:
            return []  # not JSON (a plain "ON"/"OFF" payload format): there is no shape to compare
        recent = self._recent.setdefault(sensor_id, deque(maxlen=SHAPE_WINDOW))
        lacking = sorted(frozenset.intersection(*recent) - keys) if len(recent) == SHAPE_WINDOW else []
        recent.append(keys)
        return lacking


class MqttInterpreter:
    """Routes a topic to its sensor and turns the payload into events; never raises."""

    def __init__(self, tracker: SensorTracker) -> None:
        self.tracker = tracker
        self.shapes = Shapes()
        self.routes: dict[str, tuple[str, MqttBinding]] = {}
        for sid, sensor in tracker.sensors.items():
            if sensor.mqtt is not None:
                for topic in sensor.mqtt.all_topics():
                    self.routes[topic] = (sid, sensor.mqtt)

    def interpret(self, topic: str, payload: bytes, at: datetime, seen: float) -> list[Event]:
        """Events for one message; a malformed payload becomes one ``input.rejected`` event."""
        route = self.routes.get(topic)
        if route is None:
            return []
        sensor_id, binding = route
        try:
            reading = parse_payload(binding, self.tracker.sensors[sensor_id].kind, topic, payload)
        except InputRejected as err:
            return [Event(
                kinds.INPUT_REJECTED, sensor_id, Severity.WARNING,
                detail={"topic": topic, "problem": str(err), "size": len(payload),
                        "payload_hex": payload[:64].hex()},
                at=at,
            )]
        was = self.tracker.status(sensor_id)
        lacking = self.shapes.missing(sensor_id, payload) if topic == binding.topic else []
        events = self.tracker.update(sensor_id, reading, at, seen)
        changed = reading.active is not None and reading.active != was.active
        if changed and lacking:
            events.append(Event(kinds.SENSOR_SUSPECT, sensor_id, Severity.WARNING, {
                "reported": "active" if reading.active else "inactive", "missing": lacking, "topic": topic,
                "why": f"a state change without the fields its device always sends ({', '.join(lacking)})",
                "payload_hex": payload[:64].hex()}, at=at))
        return events
