"""On the main hub: events forwarded by satellite Pis, and their silence."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from datetime import datetime
from typing import Callable

from hub.bus import Bus
from hub.clock import Clock
from hub.config import Config
from hub.errors import InputRejected
from hub.events import Event, Severity
from hub.evidence import EvidenceStore
from hub.mqtt import MqttLink
from hub import kinds

# The topic layout a satellite and the hub share (hub/satellite.py imports it from here).


def event_topic(prefix: str, satellite: str) -> str:
    """Where a satellite publishes its events."""
    return f"{prefix}/satellite/{satellite}/event"


def status_topic(prefix: str, satellite: str) -> str:
    """online/offline (retained; offline is the last will)."""
    return f"{prefix}/satellite/{satellite}/status"


def heartbeat_topic(prefix: str, satellite: str) -> str:
    """A message every few seconds while the satellite is alive."""
    return f"{prefix}/satellite/{satellite}/heartbeat"


class SatelliteSource:
    """Turns satellite messages into events (with their original times); notices silent satellites."""

    def __init__(self, link: MqttLink, config: Config, bus: Bus, clock: Clock, evidence: EvidenceStore) -> None:
        self.config = config
        self.evidence = evidence
        self.bus = bus
        self.clock = clock
        prefix = config.mqtt.topic_prefix
        self._sensors = {sid: s.satellite.id for sid, s in config.sensors.items() if s.satellite is not None}
        self._last_seen: dict[str, float] = {}
        self._offline: set[str] = set()
        self._lock = threading.Lock()
        for satellite in config.satellites:
            link.subscribe(event_topic(prefix, satellite), self._event_handler(satellite))
            link.subscribe(status_topic(prefix, satellite), self._status_handler(satellite))
            link.subscribe(heartbeat_topic(prefix, satellite), self._heartbeat_handler(satellite))
            self._last_seen[satellite] = clock.monotonic()

    def _seen(self, satellite: str) -> None:
        with self._lock:
            self._last_seen[satellite] = self.clock.monotonic()
            came_back = satellite in self._offline
            self._offline.discard(satellite)
        if came_back:
            self.bus.publish(Event(kinds.SATELLITE_ONLINE, satellite, Severity.INFO, at=self.clock.now()))

    def _event_handler(self, satellite: str) -> Callable[[str, bytes, Callable[[], None]], None]:
        def handle(topic: str, payload: bytes, ack: Callable[[], None]) -> None:
            self._seen(satellite)
            try:
                event = self._parse(satellite, payload)
            except (ValueError, KeyError, TypeError, InputRejected) as err:
                event = Event(kinds.INPUT_REJECTED, satellite, Severity.WARNING,
                              {"topic": topic, "problem": f"satellite event not understood ({err})"},
                              at=self.clock.now())
            self.bus.publish(event, on_committed=lambda seq: ack())
        return handle

    def _parse(self, satellite: str, payload: bytes) -> Event:
        data = json.loads(payload)
        source = str(data["source"])
        from_camera = str(data["kind"]).startswith(("camera.", "face.", "vehicle."))
        if self._sensors.get(source) != satellite and not from_camera:
            raise InputRejected(f"sensor {source!r} is not configured as a sensor of satellite {satellite!r}")
        evidence = []
        for sha, encoded in (data.get("evidence") or {}).items():
            content = base64.b64decode(encoded)
            if hashlib.sha256(content).hexdigest() != sha:
                raise InputRejected(f"evidence {sha} from satellite {satellite!r} does not match its hash")
            evidence.append(self.evidence.put_bytes(content))
        detail = dict(data.get("detail") or {})
        detail.update({"satellite": satellite, "satellite_event_id": data.get("id"),
                       "received_at": self.clock.now().isoformat()})
        return Event(str(data["kind"]), source, Severity(data.get("severity", "info")), detail, tuple(evidence),
                     at=datetime.fromisoformat(str(data["at"])))

    def _status_handler(self, satellite: str) -> Callable[[str, bytes, Callable[[], None]], None]:
        def handle(topic: str, payload: bytes, ack: Callable[[], None]) -> None:
            if payload.strip() == b"online":
                self._seen(satellite)
                ack()
                return
            self._mark_offline(satellite, "the satellite's link to the broker dropped (last will)")
            ack()
        return handle

    def _heartbeat_handler(self, satellite: str) -> Callable[[str, bytes, Callable[[], None]], None]:
        def handle(topic: str, payload: bytes, ack: Callable[[], None]) -> None:
            self._seen(satellite)
            ack()
        return handle

    def _mark_offline(self, satellite: str, reason: str) -> None:
        with self._lock:
            if satellite in self._offline:
                return
            self._offline.add(satellite)
        self.bus.publish(Event(kinds.SATELLITE_OFFLINE, satellite, Severity.WARNING, {"reason": reason},
                               at=self.clock.now()))

    def check_silence(self) -> None:
        """satellite.offline for each satellite silent for longer than its heartbeat (housekeeping)."""
        now = self.clock.monotonic()
        for satellite, settings in self.config.satellites.items():
            with self._lock:
                silent = now - self._last_seen.get(satellite, now)
            if silent > settings.heartbeat_seconds:
                self._mark_offline(satellite, f"no word for {silent:.0f} s (heartbeat {settings.heartbeat_seconds} s)")
