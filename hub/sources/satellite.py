"""On the main hub: events forwarded by satellite Pis, and their silence."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Protocol

from hub.bus import Bus
from hub.chain import canonical_json
from hub.clock import Clock
from hub.config import Config
from hub.errors import InputRejected
from hub.events import Event, Severity
from hub.evidence import EvidenceStore
from hub.files import secret_file
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

# The topic layout and the signed envelope a satellite and the hub share (hub/satellite.py imports them).
#
# Pairing gives each satellite its own 32-byte key (``porchlight satellite-pair``), kept on the hub in
# data_dir/keys/satellites/<id>.key and on the satellite in its config's satellite.key. Every event and
# heartbeat travels as {"sat", "counter", "body", "mac"}: the MAC (HMAC-SHA256) covers the topic and the
# rest, and the counter only ever grows, so a forged, altered or replayed message is refused.


def key_path(data_dir: Path, satellite: str) -> Path:
    """Where the hub keeps a satellite's key."""
    return data_dir / "keys" / "satellites" / f"{satellite}.key"


def pair(data_dir: Path, satellite: str) -> str:
    """The satellite's key (hex), made on first pairing; the same key again on a later call."""
    return secret_file(key_path(data_dir, satellite), 32).hex()


def hub_key(data_dir: Path, satellite: str) -> bytes | None:
    """The key the hub holds for a satellite, or None when it was never paired."""
    path = key_path(data_dir, satellite)
    return path.read_bytes() if path.exists() else None


def seal(key: bytes, topic: str, satellite: str, counter: int, body: dict[str, Any]) -> str:
    """A signed message for ``topic``."""
    signed = {"sat": satellite, "counter": counter, "body": body}
    mac = hmac.new(key, (topic + "\n" + canonical_json(signed)).encode("utf-8"), hashlib.sha256).hexdigest()
    return canonical_json({**signed, "mac": mac})


def unseal(key: bytes | None, topic: str, satellite: str, payload: bytes) -> tuple[int, dict[str, Any]]:
    """(counter, body) of a genuine message from ``satellite`` on ``topic``; InputRejected otherwise."""
    if key is None:
        raise InputRejected(f"satellite {satellite!r} is not paired: run 'porchlight satellite-pair {satellite}' "
                            "on the hub and give the satellite its key")
    data = json_object(payload, "satellite message")
    mac, counter, body = data.pop("mac", None), data.get("counter"), data.get("body")
    if not isinstance(mac, str) or not isinstance(counter, int) or not isinstance(body, dict):
        raise InputRejected("unsigned satellite message (it needs sat, counter, body and mac)")
    if data.get("sat") != satellite:
        raise InputRejected("the message names another satellite than its topic")
    expected = hmac.new(key, (topic + "\n" + canonical_json(data)).encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(mac, expected):
        raise InputRejected("the satellite message's signature is wrong (forged, altered, or another key)")
    return counter, body


class Counter:
    """A satellite's counter: a start number kept on disk, times 2**32, plus a count within this run."""

    def __init__(self, start_number: int) -> None:
        self._base = start_number << 32
        self._count = 0
        self._lock = threading.Lock()

    def next(self) -> int:
        """The next number, larger than any before, across restarts."""
        with self._lock:
            self._count += 1
            return self._base + self._count


def event_topic(prefix: str, satellite: str) -> str:
    """Where a satellite publishes its events."""
    return f"{prefix}/satellite/{satellite}/event"


def status_topic(prefix: str, satellite: str) -> str:
    """online/offline (retained; offline is the last will)."""
    return f"{prefix}/satellite/{satellite}/status"


def heartbeat_topic(prefix: str, satellite: str) -> str:
    """A message every few seconds while the satellite is alive."""
    return f"{prefix}/satellite/{satellite}/heartbeat"


class EventReader(Protocol):
    """What the source reads of the log at start (the last counters it took)."""

    def events(self, *, source: str | None = None, newest_first: bool = False,
               limit: int | None = None) -> list[Any]:
        """Rows, filtered."""


class SatelliteSource:
    """Turns satellite messages into events (with their original times); notices silent satellites."""

    def __init__(self, link: MqttLink, config: Config, bus: Bus, clock: Clock, evidence: EvidenceStore,
                 rejections: Rejections, log: EventReader | None = None) -> None:
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
        self._keys = {satellite: hub_key(config.data_dir, satellite) for satellite in config.satellites}
        # The last counter taken per satellite and stream; events start from what the log holds.
        self._last: dict[tuple[str, str], int] = {}
        for satellite in config.satellites:
            self._last[(satellite, "event")] = self._logged_counter(satellite, log)
            self._last[(satellite, "heartbeat")] = 0
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

    def _logged_counter(self, satellite: str, log: EventReader | None) -> int:
        if log is None:
            return 0
        sources = [sid for sid, s in self.config.sensors.items() if s.satellite and s.satellite.id == satellite]
        sources += self.config.satellites[satellite].cameras
        found = [int(e.detail.get("satellite_counter") or 0) for source in sources
                 for e in log.events(source=source, newest_first=True, limit=20)
                 if e.detail.get("satellite") == satellite and isinstance(e.detail.get("satellite_counter"), int)]
        return max(found, default=0)

    def _take(self, satellite: str, stream: str, topic: str, payload: bytes) -> tuple[int, dict[str, Any]]:
        """A genuine, new message's counter and body; InputRejected for a forged, unsigned or replayed one."""
        counter, body = unseal(self._keys.get(satellite), topic, satellite, payload)
        with self._lock:
            last = self._last.get((satellite, stream), 0)
            if counter <= last:
                raise InputRejected(f"replayed or out-of-order satellite message (counter {counter}, "
                                    f"already had {last})")
            self._last[(satellite, stream)] = counter
        return counter, body

    def _event_handler(self, satellite: str) -> Callable[[str, bytes, Callable[[], None]], None]:
        def handle(topic: str, payload: bytes, ack: Callable[[], None]) -> None:
            try:
                counter, body = self._take(satellite, "event", topic, payload)
                event = self._parse(satellite, body, counter)
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

    def _parse(self, satellite: str, data: dict[str, Any], counter: int) -> Event:
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
                       "satellite_counter": counter,
                       "received_at": now.isoformat(), "time_claimed_by": satellite})
        # The severity is the hub's own for this kind: a satellite cannot make a door opening critical.
        return Event(kind, source, kinds.about(kind).severity if kind in kinds.KINDS else Severity.INFO,
                     detail, tuple(evidence), at=at)

    def _status_handler(self, satellite: str) -> Callable[[str, bytes, Callable[[], None]], None]:
        def handle(topic: str, payload: bytes, ack: Callable[[], None]) -> None:
            # Unsigned (the broker sends the last will), so "online" proves nothing: only a signed
            # heartbeat or event counts as word from the satellite. "offline" can only cause a warning.
            if payload.strip() != b"online":
                self._mark_offline(satellite, "the satellite's link to the broker dropped (last will)")
            ack()
        return handle

    def _heartbeat_handler(self, satellite: str) -> Callable[[str, bytes, Callable[[], None]], None]:
        def handle(topic: str, payload: bytes, ack: Callable[[], None]) -> None:
            try:
                _, body = self._take(satellite, "heartbeat", topic, payload)
                _claimed_time(str(body.get("at")), self.clock.now(), timedelta(minutes=5))
            except InputRejected as err:
                ack()
                self.rejections.reject(satellite, topic, f"satellite heartbeat refused: {err}", payload)
                return
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


def _claimed_time(text: str, now: datetime, max_age: timedelta | None = None) -> datetime:
    """A satellite's claimed event time, kept as its claim; refused when impossible or far off."""
    oldest = max_age or MAX_AGE
    try:
        at = datetime.fromisoformat(text)
    except ValueError as err:
        raise InputRejected(f"at is not an ISO 8601 time ({err})") from err
    if at.tzinfo is None:
        raise InputRejected("at has no UTC offset")
    if not now - oldest <= at <= now + MAX_AHEAD:
        raise InputRejected(f"at {text[:40]} is older than {oldest} or in the future "
                            f"(the hub's time is {now.isoformat(timespec='seconds')})")
    return at


def _short(value: Any) -> str | None:
    return str(value)[:64] if value is not None else None
