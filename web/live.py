"""Live view: each camera as MJPEG with its frame age; a stale or offline camera says so."""

from __future__ import annotations

import threading
import time
from typing import Iterator

from flask import Blueprint, Response, abort, render_template

from hub.frames import STALE_SECONDS, FrameProvider, LiveFrame
from web.health import camera_health
from web.services import account, audit, services
from hub import kinds

bp = Blueprint("live", __name__)
FRAMES_PER_SECOND = 2.0
# A stream ends after this long (the page offers to reload): no loop runs unbounded.
STREAM_SECONDS = 600.0
BOUNDARY = "porchlightframe"
# Each open stream holds one server thread; this many at once leaves the rest of the dashboard usable.
MAX_STREAMS = 6
_streams = threading.BoundedSemaphore(MAX_STREAMS)


def _allowed() -> None:
    who = account()
    if who.role != "owner" and not who.live_view:
        abort(403)


@bp.route("/live")
def index() -> str:
    """Every camera, with its status and the age of its newest frame."""
    _allowed()
    found = services()
    audit(kinds.ACCESS_LIVE_VIEWED, {"cameras": len(found.config.cameras)})
    return render_template("live/index.html", cameras=camera_health(found.config, found.log, found.frames),
                           stale=STALE_SECONDS)


class _Stream:
    """The multipart body. Runs after the view returned (outside the app context), so it is given all it
    needs; ``close()`` (called by the server however the response ends) frees its place."""

    def __init__(self, frames: FrameProvider, camera_id: str, deadline: float) -> None:
        self.frames, self.camera_id, self.deadline = frames, camera_id, deadline
        self._released = False

    def __iter__(self) -> Iterator[bytes]:
        last: LiveFrame | None = None
        while time.monotonic() < self.deadline:
            frame = self.frames(self.camera_id)
            if frame is not None and frame is not last:
                last = frame
                yield (f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(frame.jpeg)}\r\n"
                       f"X-Frame-Age: {frame.age_seconds:.1f}\r\n\r\n").encode() + frame.jpeg + b"\r\n"
            time.sleep(1.0 / FRAMES_PER_SECOND)

    def close(self) -> None:
        if not self._released:
            self._released = True
            _streams.release()


@bp.route("/live/<camera_id>.mjpg")
def stream(camera_id: str) -> Response:
    """The camera's frames as multipart JPEG (age printed onto each picture), for up to 10 minutes."""
    _allowed()
    found = services()
    if camera_id not in found.config.cameras:
        abort(404)
    if not _streams.acquire(blocking=False):
        return Response(f"{MAX_STREAMS} live views are open already; close one (another tab?) and reload.",
                        503, mimetype="text/plain")
    body = _Stream(found.frames, camera_id, time.monotonic() + STREAM_SECONDS)
    return Response(body, mimetype=f"multipart/x-mixed-replace; boundary={BOUNDARY}")
