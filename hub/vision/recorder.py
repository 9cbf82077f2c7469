"""Evidence from cameras: a compressed pre-event buffer and snapshots with a time overlay.

Clips are written by ``hub.vision.clip_encoder``, in a process of their own.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime
from typing import Sequence

import cv2
import numpy as np

from hub.vision.frames import Frame

JPEG_QUALITY = 85


def encode_jpeg(frame: Frame, quality: int = JPEG_QUALITY) -> bytes:
    """A frame as JPEG bytes."""
    ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("could not encode the frame as JPEG")
    return bytes(data.tobytes())


def decode_jpeg(data: bytes) -> Frame:
    """JPEG bytes as a BGR frame."""
    frame = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if frame is None:
        raise ValueError("a buffered frame would not decode")
    return frame


def snapshot(frame: Frame, camera: str, at: datetime, boxes: Sequence[tuple[int, int, int, int]] = ()) -> bytes:
    """A JPEG with the camera name and the time (UTC and local) burnt in, and face boxes drawn."""
    image = frame.copy()
    for top, right, bottom, left in boxes:
        cv2.rectangle(image, (left, top), (right, bottom), (0, 0, 255), 2)
    local = at.astimezone()
    text = f"{camera}  {at.strftime('%Y-%m-%d %H:%M:%S')} UTC  ({local.strftime('%H:%M:%S %z')} local)"
    scale = max(0.4, image.shape[1] / 1400)
    (width, height), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    cv2.rectangle(image, (0, 0), (width + 12, height + 12), (0, 0, 0), -1)
    cv2.putText(image, text, (6, height + 6), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return encode_jpeg(image)


STILL_REPEAT = 0.5  # seconds: in a still scene a frame this close to the last one compressed repeats it


class PreBuffer:
    """The last ``seconds`` of analysed frames, JPEG-compressed in memory.

    Compressing every frame is a third of an idle camera's cost. When nothing moves, a frame
    within half a second of the last compressed one repeats that picture (at 5 fps one frame in
    three is compressed), so a clip keeps its timing and shows the still scene; when anything
    moves, every frame is compressed.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._frames: deque[tuple[float, bytes]] = deque()
        self._compressed_at = -1e9

    def add(self, frame: Frame, t: float, still: bool = False) -> None:
        """Keep a frame; forget frames older than the window. ``still``: nothing moved in it."""
        if self.seconds <= 0:
            return
        if still and self._frames and t - self._compressed_at < STILL_REPEAT:
            self._frames.append((t, self._frames[-1][1]))
        else:
            self._frames.append((t, encode_jpeg(frame, 75)))
            self._compressed_at = t
        while self._frames and t - self._frames[0][0] > self.seconds:
            self._frames.popleft()

    def jpegs(self) -> list[bytes]:
        """The buffered frames, oldest first, as the JPEGs they are kept as."""
        return [data for _, data in self._frames]
