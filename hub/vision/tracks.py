"""Detections become tracks: the same face or car from frame to frame, so it is judged once per visit.

A simple tracker is enough at a door: few objects, a few frames a second. A detection joins the
track it overlaps most (IoU), or failing that the nearest one whose centre is within one box size
of it (a face that moved between sparse detections); otherwise it starts a new track. A track not
seen for ``max_gap`` seconds has ended.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Sequence

from hub.vision.boxes import Box


def merge_boxes(boxes: Sequence[Box], overlap: float = 0.3) -> list[Box]:
    """One box per object when several searches found it: the most confident kept, and a box mostly
    inside a larger one (a tile that saw part of a big face) dropped."""
    kept: list[Box] = []
    for box in sorted(boxes, key=lambda b: b.score, reverse=True):
        if all(box.iou(other) < overlap and not box.inside(other) and not other.inside(box) for other in kept):
            kept.append(box)
    return kept


_ids = itertools.count(1)


@dataclass
class Track:
    """One object followed across frames; ``state`` is for whoever judges it (a recogniser)."""

    box: Box
    first_seen: float
    last_seen: float
    detections: int = 1
    id: int = field(default_factory=lambda: next(_ids))
    state: dict[str, Any] = field(default_factory=dict)

    def age(self, t: float) -> float:
        """Seconds since it was first seen."""
        return t - self.first_seen


class Tracker:
    """Keeps the live tracks of one camera."""

    def __init__(self, max_gap: float = 1.5, min_iou: float = 0.2, most: int = 20) -> None:
        self.max_gap = max_gap
        self.min_iou = min_iou
        self.most = most  # a flood of detections (a patterned curtain) cannot grow the table without end
        self.tracks: list[Track] = []

    def update(self, boxes: Sequence[Box], t: float) -> list[tuple[Track, Box]]:
        """Attach this frame's detections to tracks (new ones where none fits); return each pairing."""
        self.expire(t)
        free = list(self.tracks)
        paired: list[tuple[Track, Box]] = []
        for box in sorted(boxes, key=lambda b: b.width * b.height, reverse=True):
            track = self._best(box, free)
            if track is None:
                if len(self.tracks) >= self.most:
                    continue
                track = Track(box, t, t)
                self.tracks.append(track)
            else:
                free.remove(track)
                track.box, track.last_seen = box, t
                track.detections += 1
            paired.append((track, box))
        return paired

    def _best(self, box: Box, candidates: Sequence[Track]) -> Track | None:
        best, best_iou = None, self.min_iou
        for track in candidates:
            overlap = box.iou(track.box)
            if overlap >= best_iou:
                best, best_iou = track, overlap
        if best is not None:
            return best
        cx, cy = box.centre()
        nearest, nearest_distance = None, float("inf")
        for track in candidates:
            tx, ty = track.box.centre()
            distance = ((cx - tx) ** 2 + (cy - ty) ** 2) ** 0.5
            reach = max(box.width, box.height, track.box.width, track.box.height)
            # Sizes within a factor of two: a face far behind is not the one in front.
            similar = 0.5 <= box.size / max(1, track.box.size) <= 2.0
            if distance <= reach and similar and distance < nearest_distance:
                nearest, nearest_distance = track, distance
        return nearest

    def expire(self, t: float) -> list[Track]:
        """Remove and return the tracks not seen for ``max_gap`` seconds."""
        ended = [track for track in self.tracks if t - track.last_seen > self.max_gap]
        if ended:
            self.tracks = [track for track in self.tracks if t - track.last_seen <= self.max_gap]
        return ended
