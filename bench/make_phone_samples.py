"""Make tests/data/phone/: the kinds of files phones make, from footage already in tests/data.

No iPhone photo, Android voicemail or screen recording under an open licence was at hand, so these
are made here from the Intel sample footage (CC BY 4.0) with the encoders phones use: HEIC (HEVC
still, pillow-heif), a QuickTime .mov with HEVC picture and AAC sound (PyAV), and an AMR-NB
voicemail built frame by frame at 12.2 kbit/s (no AMR encoder ships in a wheel; any payload bits
are a valid frame, so it decodes to noise of the right length). Run: python bench/make_phone_samples.py
"""

from __future__ import annotations

import io
import math
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
OUT = DATA / "phone"


def heic_photo() -> None:
    import pillow_heif
    from PIL import Image

    capture = cv2.VideoCapture(str(DATA / "video" / "parking.mp4"))
    capture.set(cv2.CAP_PROP_POS_FRAMES, 40)
    ok, frame = capture.read()
    assert ok
    image = Image.fromarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    pillow_heif.register_heif_opener()
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the phone was held upright, so viewers turn it 90 degrees
    image.save(OUT / "damage.heic", format="HEIF", quality=70, exif=exif.tobytes())


def mov_recording() -> None:
    capture = cv2.VideoCapture(str(DATA / "video" / "walking-and-pause.mp4"))
    out = io.BytesIO()
    with av.open(out, "w", format="mov") as target:
        video = target.add_stream("hevc", rate=10)
        video.width, video.height, video.pix_fmt = 480, 270, "yuv420p"
        audio = target.add_stream("aac", rate=44100)
        audio.layout = "mono"
        for index in range(20):
            ok, frame = capture.read()
            if not ok:
                break
            picture = av.VideoFrame.from_ndarray(cv2.resize(frame, (480, 270)), format="bgr24")
            target.mux(video.encode(picture))
        samples = np.sin(2 * math.pi * 440 * np.arange(44100 * 2) / 44100).astype(np.float32) * 0.2
        for start in range(0, len(samples), 1024):
            chunk = av.AudioFrame.from_ndarray(samples[None, start:start + 1024], format="flt", layout="mono")
            chunk.sample_rate = 44100
            chunk.time_base = Fraction(1, 44100)
            chunk.pts = start
            target.mux(audio.encode(chunk))
        target.mux(video.encode(None))
        target.mux(audio.encode(None))
    (OUT / "screen-recording.mov").write_bytes(out.getvalue())


def amr_voicemail(seconds: float = 4.0) -> None:
    frames = int(seconds * 50)  # 20 ms frames
    rng = np.random.default_rng(7)
    body = b"".join(b"\x3c" + rng.integers(0, 256, 31, dtype=np.uint8).tobytes() for _ in range(frames))
    (OUT / "voicemail.amr").write_bytes(b"#!AMR\n" + body)


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    heic_photo()
    mov_recording()
    amr_voicemail()
    for path in sorted(OUT.iterdir()):
        print(f"{path.name}: {path.stat().st_size} bytes")
