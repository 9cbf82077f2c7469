"""Boxes: areas of a frame in pixels, shared by motion, detectors and trackers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Box:
    """An area of a frame in pixels (a moving region, a detection), with the detector's confidence."""

    left: int
    top: int
    right: int
    bottom: int
    score: float = 1.0

    @property
    def width(self) -> int:
        """Width in pixels."""
        return self.right - self.left

    @property
    def height(self) -> int:
        """Height in pixels."""
        return self.bottom - self.top

    @property
    def size(self) -> int:
        """The smaller side: what decides whether a face can be recognised."""
        return min(self.width, self.height)

    def centre(self) -> tuple[float, float]:
        """The middle of the box."""
        return (self.left + self.right) / 2, (self.top + self.bottom) / 2

    def iou(self, other: "Box") -> float:
        """Intersection over union, 0-1."""
        width = min(self.right, other.right) - max(self.left, other.left)
        height = min(self.bottom, other.bottom) - max(self.top, other.top)
        if width <= 0 or height <= 0:
            return 0.0
        inter = width * height
        return inter / float(self.width * self.height + other.width * other.height - inter)

    def inside(self, other: "Box", share: float = 0.6) -> bool:
        """Whether most of this box lies inside ``other`` (and ``other`` is the larger)."""
        width = min(self.right, other.right) - max(self.left, other.left)
        height = min(self.bottom, other.bottom) - max(self.top, other.top)
        if width <= 0 or height <= 0 or other.width * other.height < self.width * self.height:
            return False
        return width * height >= share * self.width * self.height

    def expanded(self, factor: float, width: int, height: int) -> "Box":
        """The box grown by ``factor`` of its size on every side, clipped to the frame."""
        dx, dy = int(self.width * factor), int(self.height * factor)
        return Box(max(0, self.left - dx), max(0, self.top - dy), min(width, self.right + dx),
                   min(height, self.bottom + dy), self.score)

    def trbl(self) -> tuple[int, int, int, int]:
        """(top, right, bottom, left): the order face_recognition and the snapshots use."""
        return self.top, self.right, self.bottom, self.left
