"""Privacy masks, zones and motion detection on a downscaled frame: the gate for costly work."""

from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from hub.config import MotionConfig
from hub.vision.boxes import Box
from hub.vision.frames import Frame

Polygon = Sequence[tuple[float, float]]
_WARMUP_FRAMES = 3


def polygon_mask(shape: tuple[int, int], polygons: Sequence[Polygon]) -> np.ndarray:
    """A uint8 mask (255 inside any polygon) for normalised (0..1) polygon points."""
    height, width = shape
    mask = np.zeros((height, width), np.uint8)
    for poly in polygons:
        points = np.array([[round(x * (width - 1)), round(y * (height - 1))] for x, y in poly], np.int32)
        cv2.fillPoly(mask, [points], 255)
    return mask


def apply_privacy_masks(frame: Frame, masks: Sequence[Polygon]) -> Frame:
    """Black out masked areas (neighbours' windows) before anything analyses or stores the frame."""
    if not masks:
        return frame
    inside = polygon_mask(frame.shape[:2], masks)
    out = frame.copy()
    out[inside > 0] = 0
    return out


Region = Box  # a moving area, in full-frame pixels


class MotionDetector:
    """Background subtraction on a small grey frame; returns the moving regions inside the zones."""

    def __init__(self, config: MotionConfig, zones: Sequence[Polygon] = ()) -> None:
        self.config = config
        self.zones = list(zones)
        self._subtractor = cv2.createBackgroundSubtractorMOG2(history=200, varThreshold=config.threshold,
                                                              detectShadows=False)
        self._zone_mask: np.ndarray | None = None
        self._kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
        self._frames = 0

    def use_zones(self, zones: Sequence[Polygon]) -> None:
        """Watch only these areas from the next frame (she drew them on the dashboard)."""
        self.zones = list(zones)
        self._zone_mask = None

    def small(self, frame: Frame) -> np.ndarray:
        """The blurred grey analysis frame."""
        height, width = frame.shape[:2]
        # By the longer side: a hostile stream of 16x2000 frames would otherwise be analysed at 320x40000.
        scale = self.config.analysis_width / max(width, height)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        # Linear rather than area resampling: 8x cheaper, and the blur below removes the aliasing.
        grey = cv2.cvtColor(cv2.resize(frame, size, interpolation=cv2.INTER_LINEAR), cv2.COLOR_BGR2GRAY)
        return cv2.GaussianBlur(grey, (5, 5), 0)

    def detect(self, frame: Frame, small: np.ndarray | None = None) -> list[Region]:
        """Moving regions (full-frame coordinates), largest first."""
        grey = self.small(frame) if small is None else small
        foreground = self._subtractor.apply(grey)
        self._frames += 1
        if self._frames <= _WARMUP_FRAMES:
            return []  # the background model has not seen the scene yet: everything looks new
        if self.zones:
            if self._zone_mask is None or self._zone_mask.shape != grey.shape:
                self._zone_mask = polygon_mask(grey.shape[:2], self.zones)
            foreground = cv2.bitwise_and(foreground, self._zone_mask)
        if not cv2.countNonZero(foreground):
            return []  # most frames of an idle camera: nothing to clean up or outline
        foreground = cv2.morphologyEx(foreground, cv2.MORPH_OPEN, self._kernel)
        foreground = cv2.dilate(foreground, self._kernel, iterations=2)
        contours, _ = cv2.findContours(foreground, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        min_pixels = self.config.min_area * grey.shape[0] * grey.shape[1]
        scale = frame.shape[1] / grey.shape[1]
        regions = []
        for contour in contours:
            if cv2.contourArea(contour) < min_pixels:
                continue
            x, y, w, h = cv2.boundingRect(contour)
            regions.append(Region(int(x * scale), int(y * scale), int((x + w) * scale), int((y + h) * scale)))
        regions.sort(key=lambda r: r.width * r.height, reverse=True)
        return regions
