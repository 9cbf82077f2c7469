"""On the main hub: events forwarded by satellite Pis, and their silence."""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
from datetime import datetime, timedelta
from typing import Any, Callable

from hub.bus import Bus
from hub.clock import Clock
from hub.config import Config
from hub.errors import InputRejected
from hub.events import Event, Severity
from hub.evidence import EvidenceStore
from hub.intake import Rejections
from hub.mqtt import MqttLink
from hub.payloads import json_object
from hub.sensor_kinds import sensor_kind
from hub import kinds

# A satellite's queue may hold events from a long outage, but not from before it could have been set
# up, and not from the future: a claimed time outside this is refused.
MAX_AGE = timedelta(days=30)
MAX_AHEAD = timedelta(minutes=2)
MAX_EVENT_BYTES = 64 * 1024 * 1024  # an event with its clip and snapshots

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

    def __init__(self, link: MqttLink, config: Config, bus: Bus, clock: Clock, evidence: EvidenceStore,
                 rejections: Rejections) -> None:
        self.config = config
        self.rejections = rejections
        self.evidence = evidence
        self.bus = bus
        self.clock = clock
        prefix = config.mqtt.topic_prefix
        self._sensors = {sid: s.satellite.id for sid, s in config.sensors.items() if s.satellite is not None}
        self._last_seen: dict[str, float] = {}
        self._offline: set[str] = set()
        self._lock = threading.Lock()
        for satellite in config.satellites:
            link.subscribe(event_topic(prefix, satellite), self._event_handler(satellite), max_bytes=MAX_EVENT_BYTES)
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
            try:
                event = self._parse(satellite, payload)
            except InputRejected as err:
                ack()
                self.rejections.reject(satellite, topic, f"satellite event refused: {err}", payload)
                return
            self._seen(satellite)
            self.bus.publish(event, on_committed=lambda seq: ack())
        return handle

    def _allowed(self, satellite: str, kind: str, source: str) -> bool:
        """A satellite reports only what its own sensors and cameras can see, never arming, access or the log."""
        sensor = self.config.sensors.get(source)
        if sensor is not None and sensor.satellite is not None and sensor.satellite.id == satellite:
            about = sensor_kind(sensor.kind)
            return kind in (about.triggered, about.restored, *kinds.SENSOR_HEALTH_KINDS)
        settings = self.config.satellites.get(satellite)
        return settings is not None and source in settings.cameras and kind in kinds.CAMERA_SEEN_KINDS

    def _parse(self, satellite: str, payload: bytes) -> Event:
        data = json_object(payload, "satellite event")
        kind, source, at_text = data.get("kind"), data.get("source"), data.get("at")
        if not (isinstance(kind, str) and isinstance(source, str) and isinstance(at_text, str)):
            raise InputRejected("kind, source and at must be strings")
        if not self._allowed(satellite, kind, source):
            raise InputRejected(f"satellite {satellite!r} may not report {kind!r} from {source!r}: it reports "
                                "only the sensor and camera events of the sensors and cameras configured for it")
        now = self.clock.now()
        at = _claimed_time(at_text, now)
        detail = data.get("detail") or {}
        if not isinstance(detail, dict):
            raise InputRejected("detail must be a JSON object")
        evidence = []
        files = data.get("evidence") or {}
        if not isinstance(files, dict):
            raise InputRejected("evidence must be a JSON object of sha256: base64")
        for sha, encoded in files.items():
            try:
                content = base64.b64decode(str(encoded), validate=True)
            except (binascii.Error, ValueError) as err:
                raise InputRejected(f"evidence {str(sha)[:64]} is not base64 ({err})") from err
            if hashlib.sha256(content).hexdigest() != sha:
                raise InputRejected(f"evidence {str(sha)[:64]} from satellite {satellite!r} does not match its hash")
            evidence.append(self.evidence.put_bytes(content))
        detail = dict(detail)
        detail.update({"satellite": satellite, "satellite_event_id": _short(data.get("id")),
                       "received_at": now.isoformat(), "time_claimed_by": satellite})
        # The severity is the hub's own for this kind: a satellite cannot make a door opening critical.
        return Event(kind, source, kinds.about(kind).severity if kind in kinds.KINDS else Severity.INFO,
                     detail, tuple(evidence), at=at)

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


def _claimed_time(text: str, now: datetime) -> datetime:
    """A satellite's claimed event time, kept as its claim; refused when impossible or far off."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError as err:
        raise InputRejected(f"at is not an ISO 8601 time ({err})") from err
    if at.tzinfo is None:
        raise InputRejected("at has no UTC offset")
    if not now - MAX_AGE <= at <= now + MAX_AHEAD:
        raise InputRejected(f"at {text[:40]} is more than {MAX_AGE.days} days old or in the future "
                            f"(the hub's time is {now.isoformat(timespec='seconds')})")
    return at


def _short(value: Any) -> str | None:
    return str(value)[:64] if value is not None else None
