"""Camera analysis cost and recall: Porchlight's pipeline against face_recognition's own examples.

On one synthetic 720p video (a real photo of the enrolled person walks into an empty porch scene,
face about 70 px wide, as a wide-angle door camera sees it), in one process:
  (a) Porchlight: newest frame at 5 fps, motion gate, HOG only on moving regions;
  (b) the naive loop of face_recognition's video-file example: every frame, full size;
  (c) its "faster" webcam variant: every other frame at 1/4 size.
Prints CPU seconds per video second, whether the person was found and when; then the CPU share
of an idle camera (no motion) at 5 fps through the live grabber. Run: python bench/camera_pipeline.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cv2  # noqa: E402
import face_recognition  # noqa: E402
import numpy as np  # noqa: E402

from hub.config import CameraConfig, RecognitionConfig  # noqa: E402
from hub.vision.camera import CameraPipeline  # noqa: E402
from hub.vision.faces import FaceLibrary  # noqa: E402
from hub.vision.frames import Grabber, OpenCvSource  # noqa: E402
from hub.vision.synthetic import scene, walk_in_video  # noqa: E402

FACES = Path(__file__).resolve().parent.parent / "tests" / "data" / "faces"  # committed with the repository
SIZE = (1280, 720)
FPS = 10.0
SECONDS = 7.0
HEAD = 105  # pixels from hair to chin: a face about 70 px wide


def frames(video: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(video))
    out = []
    while True:
        ok, frame = cap.read()
        if not ok:
            return out
        out.append(frame)


def ours(video_frames: list[np.ndarray], library: FaceLibrary, clips: Path) -> tuple[float, float | None]:
    pipeline = CameraPipeline("bench", CameraConfig(source="bench", fps=5.0), RecognitionConfig(), library,
                              None, lambda: datetime.now(timezone.utc), clips)
    found: float | None = None
    start = time.process_time()
    next_t = 0.0
    for index, frame in enumerate(video_frames):
        t = index / FPS
        if t + 1e-9 < next_t:
            continue
        next_t += 1 / 5.0
        for event in pipeline.process(frame, t):
            if event.kind == "face.match" and found is None:
                found = t
    pipeline.flush()
    return time.process_time() - start, found


def naive(video_frames: list[np.ndarray], known: list[np.ndarray], every: int, scale: float
          ) -> tuple[float, float | None]:
    """face_recognition's example loops: detect (default upsample 1), encode, compare at 0.6."""
    found: float | None = None
    start = time.process_time()
    for index, frame in enumerate(video_frames):
        if index % every:
            continue
        small = frame if scale == 1 else cv2.resize(frame, (0, 0), fx=scale, fy=scale)
        rgb = np.ascontiguousarray(small[:, :, ::-1])
        locations = face_recognition.face_locations(rgb)
        for encoding in face_recognition.face_encodings(rgb, locations):
            if any(face_recognition.compare_faces(known, encoding)) and found is None:
                found = index / FPS
    return time.process_time() - start, found


def idle_share(seconds: float = 10.0) -> float:
    """CPU share of one core for an idle 720p camera analysed at 5 fps through the live grabber."""
    with tempfile.TemporaryDirectory() as tmp:
        still = Path(tmp) / "idle.mp4"
        writer = cv2.VideoWriter(str(still), cv2.VideoWriter.fourcc(*"mp4v"), 5.0, SIZE)
        background = scene(*SIZE)
        rng = np.random.default_rng(1)
        for _ in range(50):
            noise = rng.integers(-3, 4, background.shape, dtype=np.int16)
            writer.write(np.clip(background.astype(np.int16) + noise, 0, 255).astype(np.uint8))
        writer.release()
        pipeline = CameraPipeline("idle", CameraConfig(source=str(still), fps=5.0), RecognitionConfig(),
                                  FaceLibrary(Path(tmp) / "people"), None, lambda: datetime.now(timezone.utc),
                                  Path(tmp) / "clips")
        grabber = Grabber(OpenCvSource(str(still), pace=True, loop=True), lambda online, why: None)
        grabber.start()
        start_cpu, start_wall = time.process_time(), time.monotonic()
        while time.monotonic() - start_wall < seconds:
            grabbed = grabber.newest(timeout=1.0)
            if grabbed is not None:
                pipeline.process(grabbed.image, grabbed.at)
        share = (time.process_time() - start_cpu) / (time.monotonic() - start_wall)
        grabber.stop()
    return share


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        library = FaceLibrary(Path(tmp) / "people")
        library.enroll("Barack Obama", [FACES / "obama.jpg", FACES / "obama2.jpg"])
        known = [np.array(e) for e in library.people["barack_obama"].encodings]
        video = walk_in_video(FACES / "obama3.jpg", Path(tmp) / "walk.mp4", seconds=SECONDS, fps=FPS,
                              size=SIZE, head_height=HEAD, enter_at=1.5)
        video_frames = frames(video)
        results = {
            "(a) porchlight": ours(video_frames, library, Path(tmp) / "clips"),
            "(b) naive: every frame, full size": naive(video_frames, known, every=1, scale=1.0),
            "(c) faster: every other frame, 1/4 size": naive(video_frames, known, every=2, scale=0.25),
        }
    seconds = len(video_frames) / FPS
    print(f"video: {SIZE[0]}x{SIZE[1]} at {FPS:.0f} fps, {seconds:.1f} s, face about {HEAD * 2 // 3} px wide, "
          "person enters at 1.5 s")
    for name, (cpu, found) in results.items():
        seen = f"found at {found:.1f} s" if found is not None else "NOT found"
        print(f"{name:<42} {cpu / seconds:6.2f} CPU s per video s   {seen}")
    base = results["(b) naive: every frame, full size"][0]
    print(f"ratio (b)/(a): porchlight uses {base / results['(a) porchlight'][0]:.1f}x less CPU than the naive loop")
    share = idle_share()
    print(f"idle 720p camera at 5 fps (grab + motion + tamper + pre-event buffer): {share * 100:.1f}% of one core")


if __name__ == "__main__":
    main()
