"""Face detectors: where the faces are in a picture (who they are is ``hub.vision.recognise``)."""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Protocol, Sequence

import cv2
import numpy as np

from hub.vision.frames import Frame
from hub.vision.boxes import Box
from hub.vision.tracks import merge_boxes

if TYPE_CHECKING:
    from hub.config import RecognitionConfig

logger = logging.getLogger(__name__)


class FaceDetector(Protocol):
    """Finds faces in a BGR image; boxes in that image's pixels."""

    name: str
    tile: int  # the side of the squares a whole-frame search cuts a frame into (0: one pass)

    def detect(self, image: Frame) -> list[Box]:
        """The faces in ``image``."""


class HogDetector:
    """dlib's HOG detector (through face_recognition): slow, and misses faces under about 60 pixels at 1x."""

    name = "dlib HOG"
    tile = 0

    def __init__(self, upsample_below_px: int = 480) -> None:
        self.upsample_below_px = upsample_below_px

    def detect(self, image: Frame) -> list[Box]:
        """The faces in ``image``; small images are searched at twice their size."""
        import face_recognition  # only here: importing it loads models the hub otherwise never needs

        rgb = np.ascontiguousarray(image[:, :, ::-1])
        upsample = 1 if min(rgb.shape[:2]) < self.upsample_below_px else 0
        return [Box(left, top, right, bottom) for top, right, bottom, left in
                face_recognition.face_locations(rgb, number_of_times_to_upsample=upsample)]


def tiles(width: int, height: int, side: int, overlap: float = 0.25) -> list[tuple[int, int, int, int]]:
    """Overlapping squares (left, top, right, bottom) covering a frame; none when it fits in one."""
    if side <= 0 or max(width, height) <= side:
        return []

    def starts(length: int) -> list[int]:
        if length <= side:
            return [0]
        count = math.ceil((length - side) / (side * (1 - overlap))) + 1
        return [round(i * (length - side) / (count - 1)) for i in range(count)]

    return [(x, y, min(width, x + side), min(height, y + side)) for y in starts(height) for x in starts(width)]


def detect_in(detector: FaceDetector, frame: Frame, areas: Sequence[tuple[int, int, int, int]]) -> list[Box]:
    """Faces found in each area (left, top, right, bottom), in full-frame pixels, one box per face."""
    found: list[Box] = []
    for left, top, right, bottom in areas:
        crop = frame[top:bottom, left:right]
        if crop.shape[0] < 16 or crop.shape[1] < 16:
            continue
        found += [Box(b.left + left, b.top + top, b.right + left, b.bottom + top, b.score) for b in detector.detect(crop)]
    return merge_boxes(found)


def detect_everywhere(detector: FaceDetector, image: Frame, largest: int = 1600) -> list[Box]:
    """Every face, small ones too: the whole picture, then each of its tiles (enrolment, the CLI).

    A picture larger than ``largest`` pixels is searched at 1280 (a phone photo need not cost 50 tiles).
    """
    height, width = image.shape[:2]
    scale = 1280 / max(height, width) if max(height, width) > largest else 1.0
    if scale != 1.0:
        image = cv2.resize(image, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
        height, width = image.shape[:2]
    found = merge_boxes(detector.detect(image) + detect_in(detector, image, tiles(width, height, detector.tile)))
    return [Box(round(b.left / scale), round(b.top / scale), round(b.right / scale), round(b.bottom / scale), b.score)
            for b in found]


def default_detector(recognition: "RecognitionConfig | None" = None) -> FaceDetector:
    """BlazeFace; dlib's HOG (slower, blind to small faces) only when BlazeFace is not installed, said loudly."""
    from hub.vision.blazeface import BlazeFace, DetectorMissing

    try:
        return BlazeFace()
    except DetectorMissing as err:
        logger.error("%s; falling back to dlib's HOG detector, which misses faces under about 60 pixels", err)
        return HogDetector(recognition.upsample_below_px if recognition else 480)
