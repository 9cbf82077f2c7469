"""Synthetic camera footage made from real photos: a person walks into an empty scene.

Ships in the package (not only in tests) so the demo, the benchmarks and the tests share it.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import face_recognition
import numpy as np

from hub.vision.faces import load_rgb


def scene(width: int, height: int) -> np.ndarray:
    """A still porch-like background: a wall, a door, a step (BGR)."""
    image = np.zeros((height, width, 3), np.uint8)
    for y in range(height):
        image[y, :] = (90 + y * 60 // height, 110 + y * 40 // height, 120)
    cv2.rectangle(image, (width * 6 // 10, height // 6), (width * 8 // 10, height * 9 // 10), (40, 60, 90), -1)
    cv2.circle(image, (width * 61 // 100 + 8, height // 2), 5, (0, 200, 220), -1)
    cv2.rectangle(image, (0, height * 9 // 10), (width, height), (70, 70, 70), -1)
    for x in range(0, width, 40):
        cv2.line(image, (x, 0), (x, height * 9 // 10), (80, 100, 110), 1)
    return image


def head_crop(photo: Path) -> np.ndarray:
    """The photo's face with hair and chin around it (BGR); fails unless exactly one face."""
    rgb = load_rgb(photo)
    boxes = face_recognition.face_locations(rgb)
    if len(boxes) != 1:
        raise ValueError(f"{photo.name}: expected one face, found {len(boxes)}")
    top, right, bottom, left = boxes[0]
    height, width = bottom - top, right - left
    top, bottom = max(0, top - height // 2), min(rgb.shape[0], bottom + height // 3)
    left, right = max(0, left - width // 3), min(rgb.shape[1], right + width // 3)
    return np.ascontiguousarray(rgb[top:bottom, left:right, ::-1])


def walk_in_video(photo: Path, out: Path, *, seconds: float = 8.0, fps: float = 10.0,
                  size: tuple[int, int] = (640, 480), head_height: int = 150, enter_at: float = 2.0,
                  covered: tuple[float, float] | None = None) -> Path:
    """Write an MP4: empty scene, then the person walks in from the left, stops, and leaves."""
    width, height = size
    background = scene(width, height)
    head = head_crop(photo)
    scale = head_height / head.shape[0]
    head = cv2.resize(head, (max(1, int(head.shape[1] * scale)), head_height), interpolation=cv2.INTER_AREA)
    hh, hw = head.shape[:2]
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter.fourcc(*"mp4v"), fps, (width, height))
    frames = int(seconds * fps)
    walk = 1.5  # seconds to walk from the edge to the door
    stay = max(0.0, seconds - enter_at - 2 * walk - 0.5)
    rng = np.random.default_rng(7)
    for index in range(frames):
        t = index / fps
        frame = background.copy()
        progress = None
        if enter_at <= t < enter_at + walk:
            progress = (t - enter_at) / walk
        elif enter_at + walk <= t < enter_at + walk + stay:
            progress = 1.0
        elif enter_at + walk + stay <= t < enter_at + 2 * walk + stay:
            progress = 1.0 - (t - enter_at - walk - stay) / walk
        if progress is not None:
            x = int(-hw + progress * (width // 2 - hw // 2 + hw))
            y = height // 5
            torso = (x - hw // 4, y + hh, x + hw + hw // 4, min(height, y + hh * 3))
            cv2.rectangle(frame, torso[:2], torso[2:], (50, 50, 140), -1)
            x0, x1 = max(0, x), min(width, x + hw)
            if x1 > x0:
                frame[y:y + hh, x0:x1] = head[:, x0 - x:x1 - x]
        if covered is not None and covered[0] <= t < covered[1]:
            frame = rng.integers(0, 6, frame.shape, dtype=np.uint8)
        writer.write(frame)
    writer.release()
    return out
