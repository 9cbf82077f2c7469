"""Cut the short test clips under tests/data/video/ from the shared real videos (CC BY 4.0, Intel).

Run once by a developer with the shared data folder beside the checkout; the clips it writes are
committed with their credit (tests/data/MANIFEST.md), so the tests need nothing beside the clone.
"""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "video"
OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "video"

# name: (source, first second, last second, frames per second kept)
CLIPS = {
    "room-entries.mp4": ("one-by-one-person-detection.mp4", 0.0, 32.0, 5.0),
    "parking.mp4": ("car-detection.mp4", 0.0, 30.2, 5.0),
    "walking-strangers.mp4": ("face-demographics-walking.gif", 0.0, 2.8, 12.5),
    "walking-and-pause.mp4": ("face-demographics-walking-and-pause.gif", 0.0, 3.3, 12.5),
}


def frames(source: Path, start: float, end: float, fps: float) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(source))
    rate = capture.get(cv2.CAP_PROP_FPS) or fps
    kept, index, next_at = [], 0, start
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        t = index / rate
        index += 1
        if t > end + 1e-6:
            break
        if t + 1e-6 >= next_at:
            kept.append(frame)
            next_at += 1.0 / fps
    capture.release()
    return kept


def write(path: Path, images: list[np.ndarray], fps: float) -> None:
    height, width = images[0].shape[:2]
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(round(fps * 10), 10))
        stream.width, stream.height, stream.pix_fmt = width - width % 2, height - height % 2, "yuv420p"
        stream.options = {"crf": "26", "preset": "slow"}
        for image in images:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image[:stream.height, :stream.width]),
                                               format="bgr24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def main() -> int:
    if not SHARED.is_dir():
        print(f"the shared videos are not at {SHARED}: nothing to cut")
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (source, start, end, fps) in CLIPS.items():
        images = frames(SHARED / source, start, end, fps)
        write(OUT / name, images, fps)
        print(f"{name}: {len(images)} frames from {source} {start}-{end} s at {fps} fps, "
              f"{(OUT / name).stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
