"""Faces on one camera: detect, track, then recognise.

Motion is the cheap gate, but it does not decide alone where faces are looked for: the detector
runs on moving regions and around every face still being followed, and a sweep covers the whole
frame every ``sweep_seconds`` (a part per frame), so a person standing still at the door is found too. Detections become tracks
(``hub.vision.tracks``) and each track is recognised on a few of its frames
(``hub.vision.recognise``): one visit, one decision, one match.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from hub.vision.face_detector import FaceDetector, detect_in, tiles
from hub.vision.frames import Frame
from hub.vision.motion import Region
from hub.vision.recognise import TrackMatch, TrackRecogniser
from hub.vision.tracks import Tracker

MAX_AREAS = 4  # moving regions and followed faces searched per frame, largest first
RECOGNITIONS_PER_FRAME = 2  # a poster of faces cannot make one frame cost seconds: the largest go first
QUIET_SECONDS = 30.0  # no motion and no face for this long: nobody new can have come, the sweep slows
QUIET_SLOWER = 8  # by this factor (a 720p sweep every ~26 s instead of ~3 s at 5 fps); motion restores the pace


@dataclass
class FaceStats:
    """What the face stage did on one camera (the costly parts)."""

    searches: int = 0  # frames the detector ran on (moving regions, followed faces, a part of the sweep)
    sweeps: int = 0  # whole-frame sweeps completed
    tracks: int = 0


class FaceWatch:
    """The face stage of one camera's pipeline."""

    def __init__(self, detector: FaceDetector, recogniser: TrackRecogniser, *, sweep_seconds: float = 3.0,
                 min_gap: float = 0.2, cooldown: float = 120.0) -> None:
        self.detector = detector
        self.recogniser = recogniser
        self.sweep_seconds = sweep_seconds
        self.min_gap = min_gap  # seconds between two detector passes on moving regions
        self.cooldown = cooldown  # one match per person per this time, whatever the tracks
        self.tracker = Tracker()
        self.stats = FaceStats()
        self._last_search = self._last_part = -1e9
        self._parts: list[tuple[int, int, int, int]] | None = None
        self._size = (0, 0)
        self._next_part = 0
        self._last_activity: float | None = None
        self._last_match: dict[str, float] = {}

    def _sweep_part(self, width: int, height: int, t: float) -> tuple[int, int, int, int] | None:
        """The next part of the whole-frame sweep when it is due, else None.

        The sweep (the whole frame at once, then each tile) is spread over frames, one part at a
        time, and takes ``sweep_seconds`` end to end: a few milliseconds per frame, not one long stall.
        """
        if self._parts is None or self._size != (width, height):
            self._size = (width, height)
            self._parts = [(0, 0, width, height), *tiles(width, height, self.detector.tile)]
        if self._last_activity is None:
            self._last_activity = t  # at start someone may already be standing there: full pace
        pace = self.sweep_seconds * (QUIET_SLOWER if t - self._last_activity > QUIET_SECONDS else 1)
        if t - self._last_part < pace / len(self._parts):
            return None
        self._last_part = t
        part = self._parts[self._next_part % len(self._parts)]
        self._next_part += 1
        if self._next_part % len(self._parts) == 0:
            self.stats.sweeps += 1
        return part

    def step(self, frame: Frame, regions: Sequence[Region], t: float) -> list[TrackMatch]:
        """Look for faces in this frame; the tracks decided as a person of concern now."""
        height, width = frame.shape[:2]
        if regions or self.tracker.tracks:
            self._last_activity = t
        # Every face still in view is followed, decided or not, so a visit stays one track (one match)
        # even while he stands still and motion sees nothing.
        areas = [k.box.expanded(1.0, width, height) for k in self.tracker.tracks]
        if regions and t - self._last_search >= self.min_gap:
            self._last_search = t
            areas += [r.expanded(0.25, width, height) for r in regions]
        searched = [(a.left, a.top, a.right, a.bottom)
                    for a in sorted(areas, key=lambda r: r.width * r.height, reverse=True)[:MAX_AREAS]]
        part = self._sweep_part(width, height, t)
        if part is not None:
            searched.append(part)
        if not searched:
            self.tracker.expire(t)
            return []
        boxes = detect_in(self.detector, frame, searched)
        self.stats.searches += 1
        matches = []
        paired = self.tracker.update(boxes, t)
        budget = self.recogniser.embeddings + RECOGNITIONS_PER_FRAME
        for track, box in sorted(paired, key=lambda pair: pair[1].size, reverse=True):
            if track.detections == 1:
                self.stats.tracks += 1
            if self.recogniser.embeddings >= budget:
                continue
            match = self.recogniser.consider(track, box, frame, t)
            if match is None or match.role != "concern":
                continue  # a household member (trusted) is recognised and left alone
            last = self._last_match.get(match.person)
            if last is not None and t - last < self.cooldown:
                continue
            self._last_match[match.person] = t
            matches.append(match)
        return matches
