"""Face detectors: where the faces are in a picture (who they are is ``hub.vision.recognise``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import face_recognition
import numpy as np

from hub.vision.frames import Frame
from hub.vision.tracks import Box

if TYPE_CHECKING:
    from hub.config import RecognitionConfig


class FaceDetector(Protocol):
    """Finds faces in a BGR image; boxes in that image's pixels."""

    name: str

    def detect(self, image: Frame) -> list[Box]:
        """The faces in ``image``."""


class HogDetector:
    """dlib's HOG detector (through face_recognition): slow, and misses faces under about 60 pixels at 1x."""

    name = "dlib HOG"

    def __init__(self, upsample_below_px: int = 480) -> None:
        self.upsample_below_px = upsample_below_px

    def detect(self, image: Frame) -> list[Box]:
        """The faces in ``image``; small images are searched at twice their size."""
        rgb = np.ascontiguousarray(image[:, :, ::-1])
        upsample = 1 if min(rgb.shape[:2]) < self.upsample_below_px else 0
        return [Box(left, top, right, bottom) for top, right, bottom, left in
                face_recognition.face_locations(rgb, number_of_times_to_upsample=upsample)]


def default_detector(recognition: "RecognitionConfig | None" = None) -> FaceDetector:
    """The detector the hub uses."""
    return HogDetector(recognition.upsample_below_px if recognition else 480)
