"""Camera sources and the grabber that always holds the newest frame (never falls behind live)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

import cv2
import numpy as np

logger = logging.getLogger(__name__)

Frame = np.ndarray  # BGR, uint8, H x W x 3


@dataclass(frozen=True)
class Grabbed:
    """A frame and when it was grabbed (monotonic seconds), with its number since start."""

    image: Frame
    at: float
    number: int


class FrameSource(Protocol):
    """Where frames come from: a USB camera, a stream, a file, the Pi camera."""

    def open(self) -> None:
        """Open the device or stream; raise OSError if it cannot be opened."""

    def read(self) -> Frame | None:
        """The next frame, or None if the stream was lost."""

    def close(self) -> None:
        """Release the device."""


class OpenCvSource:
    """USB cameras (index or /dev path), RTSP/HTTP streams and video files, through OpenCV."""

    def __init__(self, spec: str, *, pace: bool = False, loop: bool = False, timeout_ms: int = 5000) -> None:
        self.spec = spec
        self.pace = pace
        self.loop = loop
        self.timeout_ms = timeout_ms
        self._cap: cv2.VideoCapture | None = None
        self._next_due = 0.0
        self._period = 0.0

    def _target(self) -> str | int:
        if self.spec.isdigit():
            return int(self.spec)
        return self.spec.removeprefix("file:")

    def open(self) -> None:
        """Open the capture; OSError when nothing can be read from it."""
        target = self._target()
        if isinstance(target, str) and "://" not in target and not target.startswith("/dev/") \
                and not Path(target).exists():
            raise OSError(f"video file {target} does not exist")
        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, self.timeout_ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, self.timeout_ms]
        cap = cv2.VideoCapture(target, cv2.CAP_ANY, params) if isinstance(target, str) \
            else cv2.VideoCapture(target)
        if not cap.isOpened():
            cap.release()
            raise OSError(f"cannot open camera source {self.spec}")
        fps = cap.get(cv2.CAP_PROP_FPS) or 0.0
        self._period = 1.0 / fps if self.pace and 0 < fps < 240 else 0.0
        self._next_due = time.monotonic()
        self._cap = cap

    def read(self) -> Frame | None:
        """The next frame; a file is read at its own frame rate when ``pace`` is set."""
        if self._cap is None:
            return None
        if self._period:
            delay = self._next_due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._next_due = max(self._next_due + self._period, time.monotonic() - self._period)
        ok, frame = self._cap.read()
        if not ok and self.loop:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = self._cap.read()
        return frame if ok else None

    @property
    def fps(self) -> float:
        """The source's own frame rate (0 when unknown)."""
        return float(self._cap.get(cv2.CAP_PROP_FPS)) if self._cap is not None else 0.0

    def close(self) -> None:
        """Release the capture."""
        if self._cap is not None:
            self._cap.release()
            self._cap = None


class PiCameraSource:
    """The Raspberry Pi camera through picamera2 (only where picamera2 is installed)."""

    def __init__(self, size: tuple[int, int] = (1280, 720)) -> None:
        self.size = size
        self._camera: object | None = None

    def open(self) -> None:
        """Start the camera; OSError if picamera2 or the camera is missing."""
        try:
            from picamera2 import Picamera2  # type: ignore[import-not-found]
        except ImportError as err:
            raise OSError("picamera2 is not installed (apt install python3-picamera2)") from err
        camera = Picamera2()
        camera.configure(camera.create_video_configuration(main={"size": self.size, "format": "BGR888"}))
        camera.start()
        self._camera = camera

    def read(self) -> Frame | None:
        """The newest frame from the camera."""
        if self._camera is None:
            return None
        frame = self._camera.capture_array()  # type: ignore[attr-defined]
        return np.ascontiguousarray(frame) if frame is not None else None

    def close(self) -> None:
        """Stop the camera."""
        if self._camera is not None:
            self._camera.stop()  # type: ignore[attr-defined]
            self._camera = None


def make_source(spec: str, loop: bool = False) -> FrameSource:
    """The source for a config ``source`` string ("picamera", an index, a path, a URL)."""
    if spec == "picamera":
        return PiCameraSource()
    is_file = "://" not in spec and not spec.isdigit() and not spec.startswith("/dev/")
    return OpenCvSource(spec, pace=is_file, loop=loop)


StatusCallback = Callable[[bool, str], None]


class Grabber:
    """One thread per camera reading as fast as the source gives frames and keeping only the newest.

    Analysis takes the newest frame when it is ready for one, so a slow analysis never builds a
    backlog: older frames are dropped, and ``dropped`` counts them.
    """

    def __init__(self, source: FrameSource, on_status: StatusCallback, *,
                 min_backoff: float = 1.0, max_backoff: float = 30.0) -> None:
        self.source = source
        self.on_status = on_status
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.dropped = 0
        self.read_count = 0
        self._latest: Grabbed | None = None
        self._taken = 0
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.online: bool | None = None  # unknown until the first open or frame

    def start(self) -> None:
        """Start grabbing."""
        self._thread = threading.Thread(target=self._run, name="grabber", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop grabbing and release the source."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(10)
        self.source.close()

    def newest(self, timeout: float) -> Grabbed | None:
        """The newest frame not yet taken, waiting up to ``timeout`` seconds for one."""
        with self._cond:
            deadline = time.monotonic() + timeout
            while self._latest is None or self._latest.number <= self._taken:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stop.is_set():
                    return None
                self._cond.wait(remaining)
            self._taken = self._latest.number
            return self._latest

    def latest(self) -> Grabbed | None:
        """The newest frame without taking it (for the live view; analysis still gets it)."""
        with self._cond:
            return self._latest

    def frame_age(self) -> float | None:
        """Seconds since the newest frame was grabbed (None before the first frame)."""
        with self._cond:
            return None if self._latest is None else time.monotonic() - self._latest.at

    def _run(self) -> None:
        backoff = self.min_backoff
        while not self._stop.is_set():
            try:
                self.source.open()
            except OSError as err:
                self._set_online(False, str(err))
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                continue
            while not self._stop.is_set():
                frame = self.source.read()
                if frame is None:
                    break
                backoff = self.min_backoff
                self._set_online(True, "frames arriving")
                with self._cond:
                    self.read_count += 1
                    if self._latest is not None and self._latest.number > self._taken:
                        self.dropped += 1
                    self._latest = Grabbed(frame, time.monotonic(), self.read_count)
                    self._cond.notify_all()
            self.source.close()
            if not self._stop.is_set():
                self._set_online(False, "the stream stopped delivering frames")
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff)

    def _set_online(self, online: bool, why: str) -> None:
        if online != self.online:
            self.online = online
            self.on_status(online, why)
