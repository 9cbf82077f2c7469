"""What Content Credentials cost: a snapshot and a 10 s clip written with and without a C2PA manifest.

"Writing" is what the hub does for each: a snapshot is drawn, encoded as JPEG and stored; a clip
is encoded (H.264, fragmented MP4) from 50 real 720p frames and stored. The signed run adds the
manifest. Both runs are in this process, alternated, medians of several; figures are ratios.

    .venv/bin/python bench/credentials.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402

from hub.credentials import Capture, ContentCredentials, check_credentials  # noqa: E402
from hub.device_cert import device_certificates  # noqa: E402
from hub.evidence import EvidenceStore  # noqa: E402
from hub.keys import DeviceKey  # noqa: E402
from hub.vision.clip_encoder import ClipWriter  # noqa: E402
from hub.vision.recorder import snapshot  # noqa: E402

VIDEO = ROOT / "tests" / "data" / "video" / "room-entries.mp4"
SIZE = (1280, 720)
FPS = 5.0


def frames(count: int) -> list:  # type: ignore[type-arg]
    capture = cv2.VideoCapture(str(VIDEO))
    found = []
    while len(found) < count:
        ok, frame = capture.read()
        if not ok:
            capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            continue
        found.append(cv2.resize(frame, SIZE))
    capture.release()
    return found


def median_seconds(job: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        job()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        keys = Path(tmp) / "keys"
        keys.mkdir(mode=0o700)
        key = DeviceKey(keys)
        certificates = device_certificates(keys, key.public, "bench")
        credentials = ContentCredentials(key.private_pem(), certificates, key.fingerprint)
        store = EvidenceStore(Path(tmp) / "evidence")
        clip_frames = frames(int(10 * FPS))
        picture = clip_frames[len(clip_frames) // 2]
        capture = Capture("porch", "Front porch", datetime.now(timezone.utc), "face.match", "bench")
        signed_sizes: list[int] = []

        def write_snapshot(sign: bool) -> None:
            data = snapshot(picture, "Front porch", datetime.now(timezone.utc))
            if sign:
                data = credentials.sign(data, "image/jpeg", capture)
                signed_sizes.append(len(data))
            store.put_bytes(data)

        def write_clip(sign: bool) -> None:
            writer = ClipWriter(Path(tmp) / "clip.mp4", FPS, SIZE)
            for frame in clip_frames:
                writer.add(frame)
            path = writer.close()
            data = path.read_bytes()
            path.unlink()
            if sign:
                data = credentials.sign(data, "video/mp4", capture)
            store.put_bytes(data)

        write_snapshot(True), write_clip(True)  # warm up both paths (libraries loaded, caches filled)
        rows = []
        for name, job, runs in (("snapshot (720p JPEG)", write_snapshot, 30), ("10 s clip (720p, 5 fps)", write_clip, 4)):
            plain, signed = [], []
            for _ in range(3):  # alternated, so a noisy moment hits both
                plain.append(median_seconds(lambda: job(False), runs))
                signed.append(median_seconds(lambda: job(True), runs))
            rows.append((name, statistics.median(plain), statistics.median(signed)))
        for name, plain, signed in rows:
            print(f"{name:<26} unsigned {plain * 1000:8.1f} ms   signed {signed * 1000:8.1f} ms   "
                  f"ratio {signed / plain:5.2f}x")
        check = check_credentials(credentials.sign(snapshot(picture, "Front porch", capture.at), "image/jpeg",
                                                   capture), "image/jpeg", certificates.root_pem)
        print(f"the signed snapshot reads back as {check.state}; the manifest adds "
              f"{signed_sizes[-1] - len(snapshot(picture, 'Front porch', capture.at)):,} bytes")
        print("target: under 1.5x for a clip")


if __name__ == "__main__":
    main()
