"""What the dashboard gets from the running cameras: the newest frame of each, and how old it is."""

from __future__ import annotations

from typing import Callable

STALE_SECONDS = 10.0  # older than this, a live picture is stamped STALE and the camera shown as such


class LiveFrame:
    """The newest frame of a camera and how old it is. The JPEG may be given as a function, so that pages
    that need only the age (health on the home page) never pay for encoding a picture."""

    def __init__(self, jpeg: bytes | Callable[[], bytes], age_seconds: float) -> None:
        self._jpeg = jpeg
        self.age_seconds = age_seconds

    @property
    def jpeg(self) -> bytes:
        """The picture, encoded on first use."""
        if callable(self._jpeg):
            self._jpeg = self._jpeg()
        return self._jpeg


FrameProvider = Callable[[str], LiveFrame | None]


def no_frames(camera_id: str) -> LiveFrame | None:
    """The frame provider when no camera is running (the dashboard alone, as in most tests)."""
    return None
