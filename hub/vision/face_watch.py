"""Faces on one camera: detect, track, then recognise.

Motion is the cheap gate, but it does not decide alone where faces are looked for: the detector
runs on moving regions and around every face still being followed, and once a ``sweep_seconds``
on the whole frame, so a person standing still at the door is found too. Detections become tracks
(``hub.vision.tracks``) and each track is recognised on a few of its frames
(``hub.vision.recognise``): one visit, one decision, one match.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from hub.vision.face_detector import FaceDetector
from hub.vision.frames import Frame
from hub.vision.motion import Region
from hub.vision.recognise import TrackMatch, TrackRecogniser
from hub.vision.tracks import Box, Tracker

MAX_AREAS = 4  # moving regions and followed faces searched per frame, largest first


@dataclass
class FaceStats:
    """What the face stage did on one camera (the costly parts)."""

    searches: int = 0  # detector passes (on areas or the whole frame)
    sweeps: int = 0  # of which on the whole frame
    tracks: int = 0
    recognitions: int = 0


def non_max(boxes: Sequence[Box], overlap: float = 0.4) -> list[Box]:
    """One box per face when overlapping areas found it twice (the most confident kept)."""
    kept: list[Box] = []
    for box in sorted(boxes, key=lambda b: b.score, reverse=True):
        if all(box.iou(other) < overlap for other in kept):
            kept.append(box)
    return kept


def detect_in(detector: FaceDetector, frame: Frame, areas: Sequence[Region]) -> list[Box]:
    """Faces found in each area, in full-frame pixels."""
    found: list[Box] = []
    for area in areas:
        crop = frame[area.top:area.bottom, area.left:area.right]
        if crop.shape[0] < 16 or crop.shape[1] < 16:
            continue
        for box in detector.detect(crop):
            found.append(Box(box.left + area.left, box.top + area.top, box.right + area.left,
                             box.bottom + area.top, box.score))
    return non_max(found)


class FaceWatch:
    """The face stage of one camera's pipeline."""

    def __init__(self, detector: FaceDetector, recogniser: TrackRecogniser, *, sweep_seconds: float = 1.0,
                 min_gap: float = 0.2, cooldown: float = 120.0) -> None:
        self.detector = detector
        self.recogniser = recogniser
        self.sweep_seconds = sweep_seconds
        self.min_gap = min_gap  # seconds between two detector passes on moving regions
        self.cooldown = cooldown  # one match per person per this time, whatever the tracks
        self.tracker = Tracker()
        self.stats = FaceStats()
        self._last_search = self._last_sweep = -1e9
        self._last_match: dict[str, float] = {}

    def step(self, frame: Frame, regions: Sequence[Region], t: float) -> list[TrackMatch]:
        """Look for faces in this frame; the tracks decided as a person of concern now."""
        height, width = frame.shape[:2]
        if t - self._last_sweep >= self.sweep_seconds:
            self._last_sweep = self._last_search = t
            self.stats.sweeps += 1
            boxes = non_max(self.detector.detect(frame))
        else:
            followed = [Region(t_.box.left, t_.box.top, t_.box.right, t_.box.bottom).expanded(1.0, width, height)
                        for t_ in self.tracker.tracks if not t_.state.get("decided")]
            moving = [r.expanded(0.25, width, height) for r in regions] if t - self._last_search >= self.min_gap else []
            areas = sorted(followed + moving, key=lambda r: r.width * r.height, reverse=True)[:MAX_AREAS]
            if not areas:
                self.tracker.expire(t)
                return []
            self._last_search = t
            boxes = detect_in(self.detector, frame, areas)
        self.stats.searches += 1
        before = self.recogniser.embeddings
        matches = []
        for track, box in self.tracker.update(boxes, t):
            if track.detections == 1:
                self.stats.tracks += 1
            match = self.recogniser.consider(track, box, frame, t)
            if match is None or match.role != "concern":
                continue  # a household member (trusted) is recognised and left alone
            last = self._last_match.get(match.person)
            if last is not None and t - last < self.cooldown:
                continue
            self._last_match[match.person] = t
            matches.append(match)
        self.stats.recognitions += self.recogniser.embeddings - before
        return matches
