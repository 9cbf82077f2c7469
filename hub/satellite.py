"""A satellite Pi: reads its own sensors and forwards their events to the main hub over MQTT.

Events wait in a queue on disk until the broker has acknowledged them (QoS 1), so nothing is lost
while the link is down; they arrive with their original times. The main hub stays the only
writer of the incident log.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import uuid
from pathlib import Path
from typing import Any

from hub.bus import Bus
from hub.clock import Clock, SystemClock
from hub.config import Config, resolve_secret
from hub.database import Database
from hub.errors import ConfigError
from hub.events import Event
from hub.evidence import EvidenceStore
from hub.mqtt import MqttLink, install_client_id
from hub.sensors import SensorTracker
from hub.sources.gpio import GpioSource, make_pin_factory
from hub.sources.satellite import Counter, event_topic, heartbeat_topic, seal, status_topic

logger = logging.getLogger(__name__)

_CONFIGURED: Any = object()


class DiskQueue:
    """Events waiting to be forwarded, in SQLite (durable across power cuts), oldest first."""

    def __init__(self, path: Path) -> None:
        self._db = Database(path)
        self._db.create("CREATE TABLE IF NOT EXISTS queue (id INTEGER PRIMARY KEY, payload TEXT NOT NULL);"
                        "CREATE TABLE IF NOT EXISTS starts (n INTEGER PRIMARY KEY AUTOINCREMENT);")

    def next_start(self) -> int:
        """A number larger than at any earlier start (one small write per start, none per message)."""
        return self._db.insert("INSERT INTO starts DEFAULT VALUES")

    def put(self, payload: str) -> None:
        """Keep one event."""
        self._db.execute("INSERT INTO queue (payload) VALUES (?)", (payload,))

    def peek(self, most: int) -> list[tuple[int, str]]:
        """The oldest waiting events."""
        return [(int(row_id), str(payload)) for row_id, payload in
                self._db.execute("SELECT id, payload FROM queue ORDER BY id LIMIT ?", (most,))]

    def delete(self, row_id: int) -> None:
        """Forget an event the broker has acknowledged."""
        self._db.execute("DELETE FROM queue WHERE id = ?", (row_id,))

    def __len__(self) -> int:
        return int(self._db.scalar("SELECT COUNT(*) FROM queue") or 0)

    def close(self) -> None:
        """Close the file."""
        self._db.close()


def event_body(event: Event, evidence: EvidenceStore | None = None) -> dict[str, Any]:
    """An event as a satellite sends it: with an id (to tell a re-send) and its evidence files."""
    files = {}
    if evidence is not None:
        files = {sha: base64.b64encode(evidence.read(sha)).decode("ascii") for sha in event.evidence}
    return {"id": uuid.uuid4().hex, "kind": event.kind, "source": event.source, "severity": event.severity.value,
            "detail": dict(event.detail), "at": event.at.isoformat(), "evidence": files}


def to_payload(event: Event, evidence: EvidenceStore | None = None) -> str:
    """``event_body`` as JSON text."""
    return json.dumps(event_body(event, evidence), sort_keys=True)


class Satellite:
    """GPIO sensors -> disk queue -> MQTT; heartbeat and last will for the main hub to watch."""

    def __init__(self, config: Config, *, clock: Clock | None = None, pin_factory: Any = _CONFIGURED) -> None:
        if config.satellite is None:
            raise ConfigError(["satellite: this config has no satellite section; see config/satellite.example.yaml"])
        self.config = config
        self.id = config.satellite.id
        key = resolve_secret(config.satellite.key)
        if not key:
            raise ConfigError([f"satellite.key: this satellite is not paired. On the main hub run "
                               f"'porchlight satellite-pair {config.satellite.id} --out satellite.key', copy the file "
                               "here (mode 0600) and set satellite.key: file:/etc/porchlight/satellite.key"])
        try:
            self.key = bytes.fromhex(key.strip())
        except ValueError as err:
            raise ConfigError(["satellite.key: not the key 'porchlight satellite-pair' wrote (64 hex digits)"]) from err
        self.clock: Clock = clock or SystemClock()
        self._pin_factory_arg = pin_factory
        self.pin_factory: Any = None
        self.bus = Bus()
        self.queue = DiskQueue(config.data_dir / "satellite-queue.db")
        self.counter = Counter(self.queue.next_start())
        prefix = config.mqtt.topic_prefix
        self.topics = (event_topic(prefix, self.id), status_topic(prefix, self.id), heartbeat_topic(prefix, self.id))
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.gpio: GpioSource | None = None
        self.link: MqttLink | None = None
        self.evidence = EvidenceStore(config.data_dir / "evidence")
        self.cameras: list[Any] = []

    def start(self) -> None:
        """Claim pins, connect (in the background) and start forwarding."""
        self.pin_factory = (make_pin_factory(self.config.gpio.pin_factory)
                            if self._pin_factory_arg is _CONFIGURED else self._pin_factory_arg)
        self.gpio = GpioSource(self.config.sensors, SensorTracker(self.config.sensors), self.bus, self.clock,
                               self.pin_factory)
        self.gpio.start()
        self._start_cameras()
        # The hub's own MQTT link, with the satellite's status topic for its online message and last will.
        self.link = MqttLink(self.config.mqtt, status_topic=self.topics[1],
                             client_id=install_client_id(self.config.data_dir, "satellite"))
        self.link.start()
        self._stop.clear()
        for target, name in ((self._enqueue, "satellite-queue"), (self._forward, "satellite-forward"),
                             (self._heartbeat, "satellite-heartbeat")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def _start_cameras(self) -> None:
        """The satellite's own cameras; their snapshots and clips travel with their events."""
        if not self.config.cameras:
            return
        from hub.vision.camera import CameraPipeline, CameraWorker
        from hub.vision.faces import FaceLibrary

        library = FaceLibrary.for_config(self.config)
        for camera_id, camera in self.config.cameras.items():
            pipeline = CameraPipeline(camera_id, camera, self.config.recognition, library, self.evidence,
                                      self.clock.now, self.config.data_dir / "clips")
            worker = CameraWorker(camera_id, camera, pipeline, self.bus, self.clock)
            worker.start()
            self.cameras.append(worker)

    def healthy(self) -> bool:
        """Whether the queue, forwarding and heartbeat threads are all still running (for the watchdog)."""
        return bool(self._threads) and all(thread.is_alive() for thread in self._threads)

    def stop(self) -> None:
        """Stop; anything not yet forwarded stays in the disk queue for next time."""
        self._stop.set()
        for thread in self._threads:
            thread.join(10)
        if self.gpio is not None:
            self.gpio.stop()
        for camera in self.cameras:
            camera.stop()
        for envelope in self.bus.take(timeout=0.1, most=1000):  # events the cameras flushed on stop
            self.queue.put(self._sealed(envelope.event))
        if self.link is not None:
            self.link.stop()
        if self.pin_factory is not None and self._pin_factory_arg is _CONFIGURED:
            self.pin_factory.close()
        self.queue.close()

    def _enqueue(self) -> None:
        while not self._stop.is_set():
            for envelope in self.bus.take(timeout=0.2):
                self.queue.put(self._sealed(envelope.event))

    def _sealed(self, event: Event) -> str:
        # Signed and numbered as it is queued: a re-send after a lost acknowledgement is the same message,
        # which the hub refuses as a replay if the first copy arrived.
        return seal(self.key, self.topics[0], self.id, self.counter.next(), event_body(event, self.evidence))

    def _forward(self) -> None:
        assert self.link is not None
        while not self._stop.wait(0.2):
            if not self.link.is_connected:
                continue
            for row_id, payload in self.queue.peek(50):
                if not self.link.publish_confirmed(self.topics[0], payload, timeout=5):
                    break
                self.queue.delete(row_id)  # the broker has it now (and keeps it for the hub)

    def _heartbeat(self) -> None:
        assert self.config.satellite is not None and self.link is not None
        interval = self.config.satellite.heartbeat_seconds
        while not self._stop.is_set():
            if self.link.is_connected:
                self.link.publish(self.topics[2], seal(self.key, self.topics[2], self.id, self.counter.next(),
                                                       {"at": self.clock.now().isoformat(), "queued": len(self.queue)}),
                                  qos=0)
            self._stop.wait(interval)
