"""One camera's analysis: masks, sabotage, motion, faces, evidence; live (a worker) or from a file."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

import cv2

from hub.bus import Bus
from hub.clock import Clock
from hub.config import CameraConfig, RecognitionConfig
from hub.credentials import Capture, ContentCredentials
from hub.events import Event, Severity
from hub.evidence import EvidenceStore
from hub.vision.face_detector import FaceDetector, default_detector
from hub.vision.face_watch import FaceWatch
from hub.vision.faces import FaceLibrary, model_version
from hub.vision.recognise import TrackRecogniser
from hub.vision.frames import Frame, Grabber, make_source
from hub.vision.motion import MotionDetector, Region, apply_privacy_masks
from hub.vision.ocr import engine_name
from hub.vision.vehicle_watch import VehicleWatch
from hub.vision.vehicles import VehicleLibrary
from hub.vision.clip_encoder import FORMAT, ClipEncoder
from hub.vision.recorder import PreBuffer, snapshot
from hub.vision.tamper import TamperChange, TamperDetector
from hub import kinds

logger = logging.getLogger(__name__)

ROUTINE_PREFIX = "motion-"  # a clip whose incidents all start with this is routine footage


@dataclass
class _Recording:
    writer: ClipEncoder
    until: float
    incidents: list[str]
    started: float


@dataclass
class Stats:
    """What the pipeline did: frames seen, analysed for motion, and searched for faces."""

    frames_analysed: int = 0
    frames_with_motion: int = 0
    face_searches: int = 0


_TAMPER_WORDS = {"covered": "lens covered or blacked out", "blurred": "view blurred",
                 "dazzled": "blinded by a light shone into it",
                 "moved": "knocked or turned to a new view"}


def _tamper_words(change: TamperChange) -> str:
    if change.active:
        return _TAMPER_WORDS.get(change.reason, change.reason)
    if change.relearned:
        return "still turned to a new view, which it now watches as its usual view"
    return "sees clearly again"


def live_threading() -> None:
    """How a running hub has OpenCV work: one thread per call, in each camera's own thread.

    The live frames are small (a 320-pixel grey frame for motion and tamper): handing each call
    to a pool costs more than it saves. An idle camera spent about half a point of a core less
    (measured, 2 cores), and cameras still run side by side in their own threads.
    """
    cv2.setNumThreads(1)


class CameraPipeline:
    """Turns frames into events. ``t`` is seconds on any steady clock (live: monotonic; scan: video time)."""

    def __init__(self, camera_id: str, config: CameraConfig, recognition: RecognitionConfig,
                 library: FaceLibrary | None, evidence: EvidenceStore | None, now: Callable[[], datetime],
                 clip_dir: Path, vehicles: VehicleLibrary | None = None,
                 detector: FaceDetector | None = None, credentials: ContentCredentials | None = None) -> None:
        self.camera_id = camera_id
        self.credentials = credentials
        self.config = config
        self.label = config.label or camera_id.replace("_", " ").capitalize()
        self.evidence = evidence
        self.now = now
        self.clip_dir = clip_dir
        self.motion = MotionDetector(config.motion, config.zones)
        self.tamper = TamperDetector(config.tamper)
        self.faces: FaceWatch | None = None
        if library is not None and config.faces:
            recogniser = TrackRecogniser(library, recognition.frames_required, window=recognition.window_seconds)
            self.faces = FaceWatch(detector or default_detector(recognition), recogniser,
                                   sweep_seconds=recognition.sweep_seconds,
                                   min_gap=1.0 / recognition.max_detections_per_second,
                                   cooldown=recognition.cooldown_seconds)
        self.tolerance = recognition.tolerance
        self.prebuffer = PreBuffer(config.pre_seconds)
        self.stats = Stats()
        self._recording: _Recording | None = None
        self._model = model_version(self.faces.detector.name) if self.faces else ""
        self.recognition = recognition
        self.vehicles: VehicleWatch | None = None
        self.use_vehicles(vehicles)
        self._plate_reader = engine_name()
        self._clip_requests: list[str] = []
        self._requests_lock = threading.Lock()

    def request_clip(self, incident: str) -> None:
        """Record a clip from the next frame on (a panic), with the pre-event buffer."""
        with self._requests_lock:
            self._clip_requests.append(incident)

    def process(self, frame: Frame, t: float) -> list[Event]:
        """Analyse one frame; return the events it raises (snapshots already in the evidence store)."""
        self.stats.frames_analysed += 1
        frame = apply_privacy_masks(frame, self.config.masks)
        grey = self.motion.small(frame)
        events: list[Event] = []
        change = self.tamper.check(grey, t)
        if change is not None:
            kind = kinds.CAMERA_TAMPER if change.active else kinds.CAMERA_TAMPER_CLEARED
            severity = Severity.CRITICAL if change.active else Severity.INFO
            detail: dict[str, object] = {"reason": change.reason, "what": _tamper_words(change), **change.measures}
            if change.relearned:
                detail["relearned"] = True  # still pointed elsewhere: this is the view it watches now
            events.append(self._event(kind, severity, detail, t, frame if change.active or change.relearned else None))
        # Sabotage never blinds: motion, faces and plates go on whatever the tamper check says.
        regions = self.motion.detect(frame, grey)
        if regions:
            self.stats.frames_with_motion += 1
            if self.config.record_motion and self._recording is None:
                self._record(frame, t, f"{ROUTINE_PREFIX}{uuid.uuid4().hex}")
        if self.faces is not None and self.faces.recogniser.library.people:  # nobody enrolled: nothing to find
            for match in self.faces.step(frame, regions, t):
                incident = uuid.uuid4().hex
                box = match.box.trbl()
                events.append(self._event(kinds.FACE_MATCH, Severity.CRITICAL, {
                    "person": match.person, "distance": match.distance, "tolerance": self.tolerance,
                    "frames": match.embeddings, "weight": match.weight, "model": self._model, "box": list(box),
                    "incident": incident,
                }, t, match.frame, [box]))
                self.faces.recogniser.library.remember_sighting(incident, match.encoding)
                self._record(frame, t, incident)
            self.stats.face_searches = self.faces.stats.searches
        with self._requests_lock:
            requests, self._clip_requests = self._clip_requests, []
        for incident in requests:
            self._record(frame, t, incident)
        if self.vehicles is not None:
            events.extend(self._vehicle_events(frame, regions, t))
        events.extend(self._continue_recording(frame, t))
        self.prebuffer.add(frame, t, still=not regions and self.tamper.active is None)
        return events

    def _vehicle_events(self, frame: Frame, regions: list[Region], t: float) -> list[Event]:
        assert self.vehicles is not None
        events = []
        for sighting in self.vehicles.step(frame, regions, t):
            hit, box = sighting.hit, sighting.box
            detail: dict[str, object] = {
                "vehicle": hit.name, "score": hit.score, "plate_read": hit.plate, "plate_errors": hit.plate_errors,
                "plate_confidence": hit.plate_confidence, "plate_reader": self._plate_reader,
                "colour_score": hit.colour_score, "feature_score": hit.feature_score,
                "box": [box.left, box.top, box.right, box.bottom], "incident": uuid.uuid4().hex}
            boxes = [(box.top, box.right, box.bottom, box.left)]
            if sighting.kind == "possible":
                events.append(self._event(kinds.VEHICLE_POSSIBLE, Severity.NOTICE, detail, t, frame, boxes))
            elif sighting.kind == "match":
                events.append(self._event(kinds.VEHICLE_MATCH, Severity.CRITICAL, {**detail, "pass": sighting.passes},
                                          t, frame, boxes))
            else:
                events.append(self._event(kinds.VEHICLE_LOITERING, Severity.CRITICAL, {
                    **detail, "pass": sighting.passes, "seconds": sighting.stayed}, t, frame, boxes))
            self._record(frame, t, str(detail["incident"]))
        return events

    def _event(self, kind: str, severity: Severity, detail: dict[str, object], t: float,
               frame: Frame | None, boxes: list[tuple[int, int, int, int]] | None = None) -> Event:
        at = self.now()
        evidence: tuple[str, ...] = ()
        if frame is not None and self.evidence is not None:
            picture = snapshot(frame, self.label, at, boxes or [])
            evidence = (self.evidence.put_bytes(self._credentialed(picture, "image/jpeg", kind, at, detail)),)
        return Event(kind, self.camera_id, severity, {**detail, "video_time": round(t, 3)}, evidence, at)

    def _credentialed(self, data: bytes, mime: str, kind: str, at: datetime, detail: dict[str, object]) -> bytes:
        if self.credentials is None:
            return data
        incidents = detail.get("incidents")
        extra = {"incidents": incidents} if isinstance(incidents, list) else {}
        incident = detail.get("incident")
        return self.credentials.sign(data, mime, Capture(self.camera_id, self.label, at, kind,
                                                         incident if isinstance(incident, str) else None, extra))

    def _record(self, frame: Frame, t: float, incident: str) -> None:
        if self._recording is not None:
            self._recording.until = t + self.config.post_seconds
            self._recording.incidents.append(incident)
            return
        height, width = frame.shape[:2]
        try:
            writer = ClipEncoder(self.clip_dir, self.config.fps, (width, height))
        except OSError as err:  # no process could be started (out of memory, no such interpreter): say so, go on
            logger.error("clip for incident %s on %s not recorded: the encoder could not start (%s)",
                         incident, self.camera_id, err)
            return
        for old in self.prebuffer.jpegs():
            writer.add_jpeg(old)
        self._recording = _Recording(writer, t + self.config.post_seconds, [incident], t)

    def _continue_recording(self, frame: Frame, t: float) -> list[Event]:
        recording = self._recording
        if recording is None:
            return []
        recording.writer.add(frame)
        if t < recording.until:
            return []
        return self.flush()

    def flush(self) -> list[Event]:
        """Finish a clip in progress and return its ``camera.clip`` event."""
        recording, self._recording = self._recording, None
        if recording is None:
            return []
        writer = recording.writer
        path = writer.close()
        try:
            if self.evidence is None:
                return []
            if not path.exists() or path.stat().st_size == 0:
                logger.error("clip for incidents %s on %s lost: %s", recording.incidents, self.camera_id,
                             writer.failure or "the encoder wrote nothing")
                return []
            sha = None
            if self.credentials is not None:
                try:
                    clip = self._credentialed(path.read_bytes(), "video/mp4", kinds.CAMERA_CLIP, self.now(),
                                              {"incidents": recording.incidents})
                    sha = self.evidence.put_bytes(clip)
                except MemoryError:  # a clip too big to hold twice is kept as written, without credentials
                    logger.error("clip from %s kept without content credentials: too large to sign in memory",
                                 self.camera_id)
            if sha is None:
                sha = self.evidence.put_file(path)
        finally:
            path.unlink(missing_ok=True)
        detail: dict[str, object] = {
            "incidents": recording.incidents, "frames": writer.frames,
            "pre_seconds": self.config.pre_seconds, "post_seconds": self.config.post_seconds, "format": FORMAT,
        }
        if writer.dropped:
            detail["frames_dropped"] = writer.dropped
        if writer.failure:
            detail["incomplete"] = writer.failure  # what was written is kept, and the record says it is partial
        return [Event(kinds.CAMERA_CLIP, self.camera_id, Severity.NOTICE, detail, (sha,), self.now())]


    def use_vehicles(self, vehicles: VehicleLibrary | None) -> None:
        """Look for these vehicles from the next frame on (none enrolled: no vehicle search at all)."""
        if not (vehicles and vehicles.vehicles and self.config.vehicles):
            self.vehicles = None
            return
        recognition = self.recognition
        self.vehicles = VehicleWatch(vehicles, min_score=recognition.vehicle_min_score,
                                     pass_gap=recognition.pass_gap_seconds, loitering=recognition.loitering_seconds,
                                     min_gap=1.0 / recognition.plate_reads_per_second,
                                     sweep_seconds=recognition.plate_sweep_seconds)


class CameraWorker:
    """A live camera: the grabber thread plus an analysis thread at the configured rate."""

    def __init__(self, camera_id: str, config: CameraConfig, pipeline: CameraPipeline, bus: Bus,
                 clock: Clock) -> None:
        self.camera_id = camera_id
        self.config = config
        self.pipeline = pipeline
        self.bus = bus
        self.clock = clock
        self.grabber = Grabber(make_source(config.source, loop=config.loop), self._status)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _status(self, online: bool, why: str) -> None:
        kind = kinds.CAMERA_ONLINE if online else kinds.CAMERA_OFFLINE
        severity = Severity.INFO if online else Severity.WARNING
        self.bus.publish(Event(kind, self.camera_id, severity, {"reason": why}, at=self.clock.now()))

    def start(self) -> None:
        """Start grabbing and analysing."""
        self.grabber.start()
        self._thread = threading.Thread(target=self._run, name=f"camera-{self.camera_id}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop, finishing any clip in progress."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(15)
        self.grabber.stop()
        for event in self.pipeline.flush():
            self.bus.publish(event)

    def _run(self) -> None:
        period = 1.0 / self.config.fps
        next_at = time.monotonic()
        while not self._stop.is_set():
            delay = next_at - time.monotonic()
            if delay > 0 and self._stop.wait(delay):
                return
            next_at = max(next_at + period, time.monotonic())
            grabbed = self.grabber.newest(timeout=period * 2)
            if grabbed is None:
                continue
            try:
                events = self.pipeline.process(grabbed.image, grabbed.at)
            except Exception:
                logger.exception("camera %s: analysing a frame failed; carrying on", self.camera_id)
                continue
            for event in events:
                self.bus.publish(event)
