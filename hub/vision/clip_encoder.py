"""Clips encoded in a short-lived process of their own, so the hub never holds an H.264 encoder.

PyAV's FFmpeg libraries cost 17 MB resident once loaded, and they stay loaded: a hub that has
recorded one clip kept them for good. Here each clip is written by a child process
(``python -m hub.vision.clip_encoder``) that lives as long as the clip and gives its memory back
when it ends. It also keeps a crash inside FFmpeg from taking the daemon with it.

The hub side, ``ClipEncoder``, never makes a camera wait: frames go into a backlog that a feeder
thread writes down the pipe (pre-event frames as the JPEGs they are buffered as, decoded one at a
time), so a child that is still starting, or stuck, costs at most ``BACKLOG_BYTES``; frames past
that are dropped and counted, never queued without bound.

This module imports neither numpy, cv2 nor the hub's vision code at the top, so the child runs on
PyAV alone (about 40 MB while it lives; numpy would add 11).
"""

from __future__ import annotations

import logging
import queue
import subprocess
import sys
import tempfile
import threading
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    import numpy as np

logger = logging.getLogger(__name__)

BACKLOG_BYTES = 64 * 1024 * 1024  # raw frames waiting for the child; a 768x432 frame is 1 MB, 1080p 6 MB
FINISH_SECONDS = 20.0  # how long a child may take to finish after its last frame, per 100 frames
FORMAT = "fragmented MP4, H.264"


class ClipWriter:
    """Writes BGR frames to a fragmented MP4 (H.264) as they come: a power cut leaves a playable file.

    Runs inside the encoder process; tests and benches may use it directly.
    """

    def __init__(self, path: Path, fps: float, size: tuple[int, int]) -> None:
        import av

        self._av: Any = av
        self.path = path
        width, height = even(size)
        self.size = (width, height)
        self._container: Any = av.open(str(path), "w", format="mp4",
                                       options={"movflags": "frag_keyframe+empty_moov+default_base_moof",
                                                "flush_packets": "1"})
        self._stream: Any = self._container.add_stream("libx264", rate=Fraction(round(fps * 1000), 1000))
        self._stream.width, self._stream.height = width, height
        self._stream.pix_fmt = "yuv420p"
        # A keyframe every second makes every fragment short, so little is lost in a power cut.
        self._stream.options = {"preset": "ultrafast", "tune": "zerolatency", "g": str(max(1, round(fps)))}
        self.frames = 0

    def add(self, frame: np.ndarray) -> None:
        """Append one BGR frame (cropped to the even size)."""
        import numpy as np

        image = np.ascontiguousarray(frame[: self.size[1], : self.size[0]])
        self._encode(self._av.VideoFrame.from_ndarray(image, format="bgr24"))

    def add_raw(self, data: bytes | bytearray) -> None:
        """Append one frame given as packed BGR bytes of exactly the writer's size."""
        width, height = self.size
        frame = self._av.VideoFrame(width, height, "bgr24")
        plane, row = frame.planes[0], width * 3
        if plane.line_size == row:
            plane.update(bytes(data))
        else:  # FFmpeg pads each line to its alignment
            padded = bytearray(plane.buffer_size)
            for y in range(height):
                padded[y * plane.line_size:y * plane.line_size + row] = data[y * row:(y + 1) * row]
            plane.update(bytes(padded))
        self._encode(frame)

    def _encode(self, frame: Any) -> None:
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self.frames += 1

    def close(self) -> Path:
        """Flush and close; return the file's path."""
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()
        return self.path


def even(size: tuple[int, int]) -> tuple[int, int]:
    """yuv420p needs even sizes."""
    return size[0] - size[0] % 2, size[1] - size[1] % 2


_Item = Union["np.ndarray", bytes, None]  # a frame, a buffered JPEG, or the end


class ClipEncoder:
    """A clip being written by its own encoder process: ``add`` frames, then ``close``."""

    def __init__(self, folder: Path, fps: float, size: tuple[int, int]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(dir=folder, suffix=".mp4", delete=False)
        handle.close()
        self.path = Path(handle.name)
        self.size = even(size)
        self.frames = 0
        self.dropped = 0
        self.failure: str | None = None
        self._backlog: queue.Queue[_Item] = queue.Queue()
        self._waiting = 0  # bytes in the backlog
        self._room = max(BACKLOG_BYTES, 4 * self.size[0] * self.size[1] * 3)  # a 4K camera still gets 4 frames
        self._lock = threading.Lock()
        self._stderr = tempfile.TemporaryFile()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "hub.vision.clip_encoder", str(self.path), repr(fps), str(self.size[0]),
             str(self.size[1])], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._stderr,
            start_new_session=True)  # a Ctrl-C to the hub must not cut the clip short: the hub closes it
        self._feeder = threading.Thread(target=self._feed, name=f"clip-{self.path.stem}", daemon=True)
        self._feeder.start()

    @property
    def pid(self) -> int:
        return self._process.pid

    def add(self, frame: np.ndarray) -> None:
        """Queue one BGR frame; never blocks (past the backlog the frame is dropped and counted)."""
        self._offer(frame, frame.nbytes)

    def add_jpeg(self, data: bytes) -> None:
        """Queue one buffered pre-event frame, decoded only when the child is ready for it."""
        self._offer(data, len(data))

    def _offer(self, item: np.ndarray | bytes, size: int) -> None:
        with self._lock:
            if self.failure is not None or self._waiting + size > self._room:
                self.dropped += 1
                return
            self._waiting += size
            self.frames += 1
        self._backlog.put(item)

    def _feed(self) -> None:
        pipe = self._process.stdin
        assert pipe is not None
        while True:
            item = self._backlog.get()
            if item is None:
                break
            with self._lock:
                self._waiting -= len(item) if isinstance(item, bytes) else item.nbytes
            if self.failure is not None:
                continue
            try:
                data = self._raw(item)
            except Exception as err:  # one bad frame (a buffered JPEG that will not decode) costs that frame only
                logger.warning("clip %s: a frame was left out (%s: %s)", self.path.name, type(err).__name__, err)
                with self._lock:
                    self.frames, self.dropped = self.frames - 1, self.dropped + 1
                continue
            try:
                pipe.write(data)
            except (OSError, ValueError) as err:  # the child died: keep draining, so add() never blocks
                self.failure = f"the encoder stopped taking frames ({err.__class__.__name__})"
        try:
            pipe.close()
        except OSError:
            pass

    def _raw(self, item: np.ndarray | bytes) -> bytes:
        import cv2
        import numpy as np

        from hub.vision.recorder import decode_jpeg

        if isinstance(item, bytes):
            item = decode_jpeg(item)
        width, height = self.size
        image = item[:height, :width]
        if image.shape != (height, width, 3):  # a camera that changed size mid-clip: fit the clip's size
            image = cv2.resize(item, (width, height))
        return np.ascontiguousarray(image, dtype=np.uint8).tobytes()

    def close(self) -> Path:
        """Send the last frame, wait for the child to finish the file; return the file's path.

        A child that fails leaves what it wrote (a fragmented MP4 is playable up to its last
        fragment); ``failure`` then says why.
        """
        self._backlog.put(None)
        allowed = FINISH_SECONDS * (1 + self.frames / 100)
        self._feeder.join(allowed)
        try:
            code = self._process.wait(allowed)
        except subprocess.TimeoutExpired:
            self._process.kill()
            code = self._process.wait(5)
            self.failure = self.failure or f"the encoder took longer than {allowed:.0f} s and was stopped"
        if code != 0 and self.failure is None:
            self._stderr.seek(0)
            said = self._stderr.read()[-400:].decode("utf-8", "replace").strip().splitlines()
            self.failure = f"the encoder exited with {code}: {said[-1] if said else 'no message'}"
        self._stderr.close()
        if self.failure:
            logger.error("clip %s: %s (%d frames queued, %d dropped)", self.path.name, self.failure,
                         self.frames, self.dropped)
        elif self.dropped:
            logger.warning("clip %s: %d frames dropped while the encoder was busy", self.path.name, self.dropped)
        return self.path


def _main(argv: list[str]) -> int:
    """The encoder process: raw BGR frames of the given size on stdin, a fragmented MP4 at the path."""
    path, fps, width, height = Path(argv[0]), float(argv[1]), int(argv[2]), int(argv[3])
    writer = ClipWriter(path, fps, (width, height))
    frame_bytes = width * height * 3
    stdin: Any = sys.stdin.buffer
    buffer = bytearray(frame_bytes)
    view = memoryview(buffer)
    while True:
        got = 0
        while got < frame_bytes:
            n = stdin.readinto(view[got:])
            if not n:
                break
            got += n
        if got < frame_bytes:
            break  # the end (a partial frame is the hub going away mid-write: dropped)
        writer.add_raw(buffer)
    writer.close()
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
