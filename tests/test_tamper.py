"""Camera sabotage on real analysis frames: covered, blurred, turned away; and back to normal."""

from __future__ import annotations

import cv2
import numpy as np

from hub.config import TamperConfig
from hub.vision.synthetic import scene
from hub.vision.tamper import TamperDetector

FPS = 5.0


def _grey(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(cv2.resize(frame, (320, 240)), cv2.COLOR_BGR2GRAY)


def _run(detector: TamperDetector, frame: np.ndarray, start: float, seconds: float) -> list[tuple[bool, str]]:
    changes = []
    for index in range(int(seconds * FPS)):
        change = detector.check(_grey(frame), start + index / FPS)
        if change is not None:
            changes.append((change.active, change.reason))
    return changes


def test_blurred_view_is_sabotage_and_clearing_is_noticed() -> None:
    detector = TamperDetector(TamperConfig(seconds=2))
    porch = scene(640, 480)
    assert _run(detector, porch, 0, 4) == []
    assert _run(detector, cv2.GaussianBlur(porch, (31, 31), 12), 4, 4) == [(True, "blurred")]
    assert _run(detector, porch, 8, 4) == [(False, "blurred")]


def test_camera_turned_away_is_sabotage() -> None:
    detector = TamperDetector(TamperConfig(seconds=2))
    assert _run(detector, scene(640, 480), 0, 4) == []
    elsewhere = np.flipud(np.fliplr(scene(640, 480))).copy()  # pointed at something else entirely
    cv2.rectangle(elsewhere, (50, 50), (300, 200), (200, 200, 200), -1)
    assert _run(detector, elsewhere, 4, 4) == [(True, "moved")]


def test_covered_lens_beats_a_brief_shadow() -> None:
    detector = TamperDetector(TamperConfig(seconds=2))
    porch, dark = scene(640, 480), np.zeros((480, 640, 3), np.uint8)
    _run(detector, porch, 0, 4)
    assert _run(detector, dark, 4, 1) == []  # a second of darkness (a hand passing) is not sabotage
    assert _run(detector, porch, 5, 2) == []
    assert _run(detector, dark, 7, 3) == [(True, "covered")]
