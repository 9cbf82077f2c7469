"""Cameras end to end: real video files through OpenCV, made from real photos of real people."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import av
import cv2
import numpy as np
import pytest

from hub.app import Hub
from hub.config import CameraConfig, RecognitionConfig, parse_config
from hub.log import IncidentLog
from hub.vision.camera import CameraPipeline
from hub.vision.faces import FaceLibrary
from hub.vision.frames import Grabber, OpenCvSource
from hub.vision.motion import apply_privacy_masks
from hub.vision.recorder import PreBuffer, decode_jpeg
from hub.vision.synthetic import walk_in_video
from tests.conftest import FACES, run_cli, wait_for


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Synthetic porch footage: Obama walks in; Biden walks in; Biden then a covered lens."""
    folder = tmp_path_factory.mktemp("videos")
    return {
        "obama": walk_in_video(FACES / "obama3.jpg", folder / "obama.mp4"),
        "biden": walk_in_video(FACES / "biden.jpg", folder / "biden.mp4"),
        "covered": walk_in_video(FACES / "biden.jpg", folder / "covered.mp4", seconds=9, covered=(4.0, 9.0)),
    }


def _hub(data_dir: Path, video: Path, mock_factory: Any) -> Hub:
    library = FaceLibrary(data_dir / "people")
    library.enroll("Barack Obama", [FACES / "obama.jpg", FACES / "obama2.jpg"])
    config = parse_config({
        "data_dir": str(data_dir), "gpio": {"pin_factory": "mock"}, "mqtt": {"enabled": False},
        "cameras": {"porch": {"source": str(video), "fps": 5, "pre_seconds": 2, "post_seconds": 2}},
    })
    return Hub(config, pin_factory=mock_factory)


def test_person_walking_in_gives_one_match_with_verified_snapshot_and_clip(
        data_dir: Path, videos: dict[str, Path], mock_factory: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    hub = _hub(data_dir, videos["obama"], mock_factory)
    hub.start()
    try:
        wait_for(lambda: hub.log is not None and hub.log.events(kind="camera.clip"), 30, "the clip")
    finally:
        hub.stop()
    log = IncidentLog(data_dir)  # reopened: the hub closed its own on stop
    [match] = log.events(kind="face.match")
    assert match.source == "porch" and match.detail["person"] == "Barack Obama"
    assert match.detail["distance"] < 0.55 and match.detail["frames"] >= 3
    assert match.detail["model"].startswith("BlazeFace full-range detector; dlib ")
    [clip] = log.events(kind="camera.clip")
    assert clip.detail["incidents"] == [match.detail["incident"]]
    [snapshot_sha] = match.evidence
    assert log.evidence.read(snapshot_sha)[:2] == b"\xff\xd8"  # a JPEG, re-hashed on read
    with av.open(str(log.evidence.path_for(clip.evidence[0]))) as container:
        assert sum(1 for _ in container.decode(video=0)) == clip.detail["frames"]
    assert log.verify().ok
    log.close()
    # Face encodings are biometric data: they stay in the face library, never in the log or the journal.
    assert "encoding" not in match.detail
    numbers = re.compile(r"-?0\.\d{4,}(, -?0\.\d{4,}){20}")
    assert not numbers.search(json.dumps(dict(match.detail)))
    assert not [r.getMessage() for r in caplog.records if numbers.search(r.getMessage())]
    library = FaceLibrary(data_dir / "people")
    assert library.reject_sighting("Barack Obama", match.detail["incident"])
    assert len(FaceLibrary(data_dir / "people").people["barack_obama"].rejected) == 1


def test_other_people_raise_no_match(data_dir: Path, videos: dict[str, Path], mock_factory: Any) -> None:
    result = run_cli("scan", "--json", str(videos["biden"]), "--data", str(_enrolled(data_dir)))
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line for line in lines if line.get("kind") == "face.match"] == []
    assert lines[-1]["summary"]["frames_read"] == 80


def _enrolled(data_dir: Path) -> Path:
    FaceLibrary(data_dir / "people").enroll("Barack Obama", [FACES / "obama.jpg", FACES / "obama2.jpg"])
    return data_dir


def test_scan_reports_match_and_tamper_with_video_times(data_dir: Path, videos: dict[str, Path]) -> None:
    _enrolled(data_dir)
    obama = [json.loads(x) for x in run_cli("scan", "--json", str(videos["obama"]), "--data", str(data_dir),
                                           check=True).stdout.splitlines()]
    [match] = [x for x in obama if x.get("kind") == "face.match"]
    assert 2.0 < match["video_time"] < 6.0 and match["detail"]["person"] == "Barack Obama"
    summary = obama[-1]["summary"]
    assert summary["frames_read"] == 80 and summary["frames_analysed"] == 40
    assert summary["cpu_seconds"] > 0 and summary["fps"] > 0
    covered = [json.loads(x) for x in run_cli("scan", "--json", str(videos["covered"]), "--data", str(data_dir),
                                             check=True).stdout.splitlines()]
    [tamper] = [x for x in covered if x.get("kind") == "camera.tamper"]
    assert tamper["detail"]["reason"] == "covered"
    assert 4.0 <= tamper["video_time"] <= 7.0  # within seconds of the lens going dark


def test_file_source_that_stops_goes_offline_and_recovers(videos: dict[str, Path]) -> None:
    changes: list[tuple[bool, str]] = []
    grabber = Grabber(OpenCvSource(str(videos["biden"]), pace=False), lambda on, why: changes.append((on, why)),
                      min_backoff=0.2, max_backoff=0.2)
    grabber.start()
    try:
        wait_for(lambda: [c[0] for c in changes][:3] == [True, False, True], 30, "online, offline, online")
    finally:
        grabber.stop()
    assert changes[1] == (False, "the stream stopped delivering frames")


class _Mjpeg(BaseHTTPRequestHandler):
    frame = cv2.imencode(".jpg", np.full((240, 320, 3), 128, np.uint8))[1].tobytes()

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        self.end_headers()
        deadline = time.monotonic() + 30
        try:
            while not getattr(self.server, "stopping", False) and time.monotonic() < deadline:
                self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n"
                                 % len(self.frame) + self.frame + b"\r\n")
                time.sleep(0.05)
        except OSError:
            pass


def _serve(port: int) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", port), _Mjpeg)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _stop(server: ThreadingHTTPServer) -> None:
    server.stopping = True  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()


@pytest.fixture
def stream_server() -> Iterator[list[ThreadingHTTPServer]]:
    """An MJPEG camera on 127.0.0.1 (the list holds the current server, so a test can replace it)."""
    servers = [_serve(0)]
    yield servers
    _stop(servers[-1])


def test_network_camera_that_goes_away_goes_offline_and_recovers(
        stream_server: list[ThreadingHTTPServer]) -> None:
    port = stream_server[0].server_address[1]
    changes: list[bool] = []
    grabber = Grabber(OpenCvSource(f"http://127.0.0.1:{port}/stream.mjpg", timeout_ms=2000),
                      lambda on, why: changes.append(on), min_backoff=0.3, max_backoff=0.3)
    grabber.start()
    try:
        wait_for(lambda: changes == [True], 15, "the stream to come online")
        _stop(stream_server.pop())
        wait_for(lambda: changes == [True, False], 15, "camera.offline")
        stream_server.append(_serve(port))
        wait_for(lambda: changes == [True, False, True], 15, "camera.online again")
    finally:
        grabber.stop()


class _SlowFrames:
    """A source that delivers numbered frames quickly: analysis is slower than the camera."""

    def __init__(self) -> None:
        self.count = 0

    def open(self) -> None:
        pass

    def read(self) -> np.ndarray | None:
        time.sleep(0.005)
        self.count += 1
        return np.full((8, 8, 3), self.count % 256, np.uint8)

    def close(self) -> None:
        pass


def test_grabber_hands_over_the_newest_frame_and_drops_the_rest() -> None:
    grabber = Grabber(_SlowFrames(), lambda on, why: None)
    grabber.start()
    try:
        first = grabber.newest(timeout=2)
        time.sleep(0.3)  # a slow analysis
        second = grabber.newest(timeout=2)
    finally:
        grabber.stop()
    assert first is not None and second is not None
    assert second.number - first.number > 10  # it skipped ahead to live
    assert grabber.dropped >= second.number - first.number - 1
    age = time.monotonic() - second.at
    assert age < 0.1


def test_pre_event_buffer_keeps_every_moving_frame_and_a_still_scene_at_a_third_in_time() -> None:
    buffer = PreBuffer(seconds=2.0)
    pictures = [np.full((72, 128, 3), 10 + 12 * n, np.uint8) for n in range(20)]  # each told by its brightness
    for n, picture in enumerate(pictures[:10]):
        buffer.add(picture, n * 0.2, still=True)  # nothing moves
    for n, picture in enumerate(pictures[10:], start=10):
        buffer.add(picture, n * 0.2, still=False)  # someone walks in
    kept = [decode_jpeg(data) for data in buffer.jpegs()]
    assert len(kept) == 11  # 2 s at 5 fps plus the frame on the edge: a clip keeps its timing
    still, moving = kept[:1], kept[1:]
    assert [round((frame.mean() - 10) / 12) for frame in moving] == list(range(10, 20))
    assert round((still[0].mean() - 10) / 12) == 9  # compressed at 0, 0.6, 1.2 and 1.8 s: this one is its own

    quiet = PreBuffer(seconds=10.0)
    for n, picture in enumerate(pictures):
        quiet.add(picture, n * 0.2, still=True)
    frames = [decode_jpeg(data) for data in quiet.jpegs()]
    assert len(frames) == 20
    distinct = {frame.tobytes() for frame in frames}
    assert len(distinct) == 7  # one frame in three compressed (0, 0.6, 1.2 s...); the two after repeat it
    assert all(np.array_equal(frames[n], frames[n + 1]) and np.array_equal(frames[n], frames[n + 2])
               for n in range(0, 18, 3))


def test_privacy_mask_is_black_before_analysis() -> None:
    frame = np.full((100, 200, 3), 200, np.uint8)
    masked = apply_privacy_masks(frame, [[(0.5, 0.0), (1.0, 0.0), (1.0, 0.5), (0.5, 0.5)]])
    assert masked[10, 150].tolist() == [0, 0, 0] and masked[80, 50].tolist() == [200, 200, 200]
    assert frame[10, 150].tolist() == [200, 200, 200]  # the original is untouched


def test_pipeline_ignores_trusted_household_members(tmp_path: Path, videos: dict[str, Path]) -> None:
    library = FaceLibrary(tmp_path / "people")
    library.enroll("Barack Obama", [FACES / "obama.jpg", FACES / "obama2.jpg"], role="trusted")
    pipeline = CameraPipeline("porch", CameraConfig(source="x"), RecognitionConfig(), library, None,
                              lambda: datetime.now(timezone.utc), tmp_path / "clips")
    capture = cv2.VideoCapture(str(videos["obama"]))
    kinds = []
    for index in range(80):
        ok, frame = capture.read()
        if index % 2 == 0:
            kinds += [e.kind for e in pipeline.process(frame, index / 10)]
    assert "face.match" not in kinds


def test_panic_records_a_clip_on_every_camera(data_dir: Path, videos: dict[str, Path], mock_factory: Any) -> None:
    from hub.events import Event, Severity

    config = parse_config({
        "data_dir": str(data_dir), "gpio": {"pin_factory": "mock"}, "mqtt": {"enabled": False},
        "cameras": {"porch": {"source": str(videos["biden"]), "loop": True, "post_seconds": 1, "faces": False},
                    "garden": {"source": str(videos["obama"]), "loop": True, "post_seconds": 1, "faces": False}},
    })
    hub = Hub(config, pin_factory=mock_factory)
    hub.start()
    try:
        time.sleep(1)
        hub.submit(Event("panic", "test", Severity.CRITICAL))
        wait_for(lambda: hub.log is not None and len(hub.log.events(kind="camera.clip")) == 2, 20, "two clips")
        assert hub.log is not None
        clips = hub.log.events(kind="camera.clip")
        assert sorted(c.source for c in clips) == ["garden", "porch"]
        assert all(c.detail["incidents"][0].startswith("panic-") for c in clips)
    finally:
        hub.stop()


def test_routine_motion_clips_when_asked(tmp_path: Path, videos: dict[str, Path]) -> None:
    from hub.evidence import EvidenceStore

    store = EvidenceStore(tmp_path / "evidence")
    pipeline = CameraPipeline("porch", CameraConfig(source="x", record_motion=True, post_seconds=1, faces=False),
                              RecognitionConfig(), None, store, lambda: datetime.now(timezone.utc), tmp_path / "clips")
    capture = cv2.VideoCapture(str(videos["biden"]))
    events = []
    for index in range(80):
        ok, frame = capture.read()
        if index % 2 == 0:
            events += pipeline.process(frame, index / 10)
    events += pipeline.flush()
    clips = [e for e in events if e.kind == "camera.clip"]
    assert clips and all(str(i).startswith("motion-") for c in clips for i in c.detail["incidents"])
    assert all(store.check(c.evidence[0]) is None for c in clips)


def test_masks_drawn_on_the_dashboard_apply_to_the_running_camera_and_its_live_view(
        data_dir: Path, videos: dict[str, Path], mock_factory: Any) -> None:
    import numpy as np

    from hub.events import Event, Severity
    from hub.hub_settings import HubSettings
    from hub.vision.live import CameraFrames

    config = parse_config({
        "data_dir": str(data_dir), "gpio": {"pin_factory": "mock"}, "mqtt": {"enabled": False},
        "cameras": {"porch": {"source": str(videos["obama"]), "loop": True, "faces": False}}})
    hub = Hub(config, pin_factory=mock_factory)
    hub.start()
    try:
        assert hub.store is not None
        whole = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]
        HubSettings(config, hub.store.state).set_masks("porch", [whole])
        HubSettings(config, hub.store.state).set_areas("porch", "zones", [[[0, 0.5], [1, 0.5], [1, 1], [0, 1]]])
        hub.submit(Event("access.settings_changed", "dashboard", Severity.NOTICE,
                         {"what": "privacy masks of porch changed", "camera": "porch"}))
        [worker] = hub.cameras
        wait_for(lambda: worker.pipeline.config.masks == [[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]], 10,
                 "the new mask on the running camera")
        assert worker.pipeline.motion.zones == [[(0, 0.5), (1, 0.5), (1, 1), (0, 1)]]  # and the zones, live
        frames = CameraFrames(hub.cameras)
        live = wait_for(lambda: frames("porch"), 10, "a live frame")
        picture = cv2.imdecode(np.frombuffer(live.jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
        # All black but the age stamped on it: nothing behind the mask is shown.
        assert np.mean(picture[60:, :]) < 3
    finally:
        hub.stop()
