"""Clips are encoded in a process of their own: the hub never loads the encoder, a slow or dead
encoder never holds up a camera, and what a dead one wrote is kept and said to be partial."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from hub.config import CameraConfig, RecognitionConfig
from hub.evidence import EvidenceStore
from hub.vision import clip_encoder
from hub.vision.camera import CameraPipeline
from hub.vision.clip_encoder import ClipEncoder
from hub.vision.recorder import encode_jpeg

VIDEO = Path(__file__).parent / "data" / "video" / "parking.mp4"  # real footage (see tests/data/MANIFEST.md)


def real_frames(count: int) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(VIDEO))
    frames = []
    while len(frames) < count:
        ok, frame = capture.read()
        assert ok
        frames.append(frame)
    capture.release()
    return frames


def decoded_frames(path: Path) -> int:
    count = 0
    with av.open(str(path)) as container:
        try:
            for _ in container.decode(video=0):
                count += 1
        except av.error.InvalidDataError:
            pass  # a half-written last fragment
    return count


def test_a_clip_from_buffered_jpegs_and_live_frames_is_whole_and_the_hub_never_loads_the_encoder(
        tmp_path: Path) -> None:
    script = (
        "import sys, cv2\n"
        "from pathlib import Path\n"
        "from hub.vision.clip_encoder import ClipEncoder\n"
        "from hub.vision.recorder import encode_jpeg\n"
        "capture = cv2.VideoCapture(sys.argv[1])\n"
        "frames = [capture.read()[1] for _ in range(20)]\n"
        "clip = ClipEncoder(Path(sys.argv[2]), 5.0, (frames[0].shape[1], frames[0].shape[0]))\n"
        "for frame in frames[:8]:\n"
        "    clip.add_jpeg(encode_jpeg(frame, 75))\n"
        "for frame in frames[8:]:\n"
        "    clip.add(frame)\n"
        "path = clip.close()\n"
        "print(path, clip.frames, clip.dropped, clip.failure, 'av' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", script, str(VIDEO), str(tmp_path)], capture_output=True,
                            text=True, timeout=120, cwd=Path(__file__).parent.parent)
    assert result.returncode == 0, result.stderr
    path, frames, dropped, failure, loaded = result.stdout.split()
    assert (frames, dropped, failure, loaded) == ("20", "0", "None", "False")
    assert decoded_frames(Path(path)) == 20
    with av.open(path) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and (stream.width, stream.height) == (768, 432)


def test_a_stalled_encoder_never_holds_up_the_camera(tmp_path: Path) -> None:
    """He cannot make the camera fall behind live by starving the encoder: frames past the backlog are
    dropped and counted, and add() returns at once."""
    frames = real_frames(10)
    clip = ClipEncoder(tmp_path, 5.0, (768, 432))
    os.kill(clip.pid, signal.SIGSTOP)
    try:
        start = time.monotonic()
        for index in range(150):  # 150 MB of frames against a 64 MB backlog
            clip.add(frames[index % 10])
        took = time.monotonic() - start
    finally:
        os.kill(clip.pid, signal.SIGCONT)
    path = clip.close()
    assert took < 1.0
    assert clip.dropped > 0 and clip.frames + clip.dropped == 150
    assert clip.frames <= clip_encoder.BACKLOG_BYTES // frames[0].nbytes + 2  # what a backlog of 64 MB holds
    assert clip.failure is None and decoded_frames(path) == clip.frames


def test_an_encoder_killed_mid_clip_leaves_a_playable_partial_clip_marked_incomplete(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = EvidenceStore(tmp_path / "evidence")
    pipeline = CameraPipeline("street", CameraConfig(source="x", post_seconds=30, faces=False),
                              RecognitionConfig(), None, store, lambda: datetime.now(timezone.utc), tmp_path / "clips")
    frames = real_frames(40)
    pipeline.request_clip("panic-1")
    for index, frame in enumerate(frames[:25]):
        pipeline.process(frame, index / 5)
        time.sleep(0.02)  # about live pace, so the encoder has written fragments before it dies
    recording = pipeline._recording
    assert recording is not None
    deadline = time.monotonic() + 10
    while recording.writer.path.stat().st_size < 20_000 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(recording.writer.pid, signal.SIGKILL)
    with caplog.at_level(logging.ERROR):
        for index, frame in enumerate(frames[25:], start=25):
            pipeline.process(frame, index / 5)  # the camera goes on
        [event] = [e for e in pipeline.flush() if e.kind == "camera.clip"]
    assert "encoder" in event.detail["incomplete"] and event.detail["incidents"] == ["panic-1"]
    kept = store.path_for(event.evidence[0])
    assert store.check(event.evidence[0]) is None and decoded_frames(kept) >= 5
    assert any("clip" in r.getMessage() and "encoder" in r.getMessage() for r in caplog.records)


def test_a_clip_whose_encoder_cannot_start_is_reported_lost_not_stored(tmp_path: Path,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    store = EvidenceStore(tmp_path / "evidence")
    pipeline = CameraPipeline("street", CameraConfig(source="x", post_seconds=0.5, faces=False),
                              RecognitionConfig(), None, store, lambda: datetime.now(timezone.utc), tmp_path / "clips")
    frames = real_frames(6)
    pipeline.request_clip("panic-2")
    pipeline.process(frames[0], 0.0)
    recording = pipeline._recording
    assert recording is not None
    os.kill(recording.writer.pid, signal.SIGKILL)  # dies before it has written a byte
    with caplog.at_level(logging.ERROR):
        events = [e for index, frame in enumerate(frames[1:], start=1) for e in pipeline.process(frame, index / 5)]
        events += pipeline.flush()
    assert not [e for e in events if e.kind == "camera.clip"]
    assert any("lost" in r.getMessage() and "panic-2" in r.getMessage() for r in caplog.records)
    assert not list((tmp_path / "clips").glob("*.mp4"))  # no half-made file left behind
    assert encode_jpeg(frames[0])  # the camera's own frames are untouched


@pytest.mark.parametrize("size", [(768, 432), (1278, 719)])  # 1278 px lines are padded inside FFmpeg
def test_what_the_encoder_process_writes_is_the_picture_it_was_sent(tmp_path: Path, size: tuple[int, int]) -> None:
    frames = [cv2.resize(frame, size) for frame in real_frames(12)]
    clip = ClipEncoder(tmp_path, 5.0, size)
    for frame in frames:
        clip.add(frame)
    path = clip.close()
    assert clip.failure is None and clip.size == (size[0], size[1] - size[1] % 2)
    with av.open(str(path)) as container:
        decoded = [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]
    assert len(decoded) == 12
    for sent, got in zip(frames, decoded):
        assert got.shape == (clip.size[1], clip.size[0], 3)
        assert cv2.PSNR(sent[: clip.size[1], : clip.size[0]], got) > 25  # H.264 ultrafast, not a shifted picture


def test_a_clip_cut_short_by_a_power_cut_still_plays(tmp_path: Path) -> None:
    """The power goes two thirds of the way through the file: the fragments before the cut play."""
    clip = ClipEncoder(tmp_path, 5.0, (768, 432))
    for frame in real_frames(40):
        clip.add(frame)
        time.sleep(0.01)
    data = clip.close().read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 2 // 3])
    assert decoded_frames(cut) >= 10


def test_a_buffered_frame_that_will_not_decode_costs_only_that_frame(tmp_path: Path) -> None:
    frames = real_frames(6)
    clip = ClipEncoder(tmp_path, 5.0, (768, 432))
    clip.add_jpeg(encode_jpeg(frames[0]))
    clip.add_jpeg(b"\xff\xd8 not a picture")
    for frame in frames[1:]:
        clip.add(frame)
    path = clip.close()
    assert clip.failure is None and (clip.frames, clip.dropped) == (6, 1) and decoded_frames(path) == 6
