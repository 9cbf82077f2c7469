"""The live view's frames from the running cameras: JPEG with the frame's age drawn on it."""

from __future__ import annotations

import threading
import time
from typing import Any, Sequence

from hub.frames import STALE_SECONDS, LiveFrame
from hub.vision.motion import apply_privacy_masks

JPEG_QUALITY = 70
MAX_WIDTH = 960


class CameraFrames:
    """A frame provider over the hub's camera workers (anything with ``camera_id`` and ``grabber``)."""

    def __init__(self, workers: Sequence[Any]) -> None:
        self._workers = {w.camera_id: w for w in workers}
        self._cache: dict[str, tuple[int, bytes]] = {}  # the last live frame's number and JPEG, per camera
        self._lock = threading.Lock()

    def __call__(self, camera_id: str) -> LiveFrame | None:
        worker = self._workers.get(camera_id)
        grabbed = worker.grabber.latest() if worker is not None else None
        if grabbed is None:
            return None
        age = time.monotonic() - grabbed.at
        return LiveFrame(lambda: self._jpeg(camera_id, grabbed, age), age)

    def _jpeg(self, camera_id: str, grabbed: Any, age: float) -> bytes:
        # One encode per live frame, however many browsers watch; a stale picture's stamp changes as it ages.
        stale = age > STALE_SECONDS
        with self._lock:
            cached = self._cache.get(camera_id)
        if not stale and cached is not None and cached[0] == grabbed.number:
            return cached[1]
        worker = self._workers.get(camera_id)
        pipeline = getattr(worker, "pipeline", None)
        masks = pipeline.config.masks if pipeline is not None else []
        # Behind a privacy mask is a neighbour's window: never shown, in the live view either.
        jpeg = _encode(apply_privacy_masks(grabbed.image, masks), age, stale)
        if not stale:
            with self._lock:
                self._cache[camera_id] = (grabbed.number, jpeg)
        return jpeg


def _encode(image: Any, age: float, stale: bool) -> bytes:
    import cv2

    height, width = image.shape[:2]
    if width > MAX_WIDTH:
        image = cv2.resize(image, (MAX_WIDTH, int(height * MAX_WIDTH / width)))
    else:
        image = image.copy()
    text = f"STALE: {age:.0f} s old" if stale else f"{age:.1f} s old"
    colour = (0, 0, 255) if stale else (255, 255, 255)
    cv2.putText(image, text, (10, 28), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 4, cv2.LINE_AA)
    cv2.putText(image, text, (10, 28), cv2.FONT_HERSHEY_SIMPLEX, 0.8, colour, 2, cv2.LINE_AA)
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    return bytes(data) if ok else b""
