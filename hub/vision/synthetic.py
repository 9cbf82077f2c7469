"""Synthetic camera footage made from real photos: a person walks into an empty scene.

Ships in the package (not only in tests) so the demo, the benchmarks and the tests share it.
"""

from __future__ import annotations

from pathlib import Path

import cv2
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
    import face_recognition  # a test and bench helper: the running hub never imports face_recognition

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


def car(colour_bgr: tuple[int, int, int], plate: str, width: int = 420) -> np.ndarray:
    """A simple car seen from the side-rear, with its number plate (BGR, on a grey background)."""
    from hub.vision.plates import render_plate

    height = int(width * 0.5)
    image = np.full((height, width, 3), 110, np.uint8)
    body_top = height * 45 // 100
    cv2.rectangle(image, (0, body_top), (width - 1, height * 85 // 100), colour_bgr, -1)
    cabin = np.array([[width // 5, body_top], [width * 3 // 10, height // 10], [width * 7 // 10, height // 10],
                      [width * 4 // 5, body_top]], np.int32)
    cv2.fillPoly(image, [cabin], colour_bgr)
    cv2.fillPoly(image, [np.array([[width * 24 // 100, body_top - 4], [width * 32 // 100, height // 10 + 8],
                                   [width * 68 // 100, height // 10 + 8], [width * 76 // 100, body_top - 4]],
                                  np.int32)], (60, 50, 40))
    for cx in (width // 5, width * 4 // 5):
        cv2.circle(image, (cx, height * 85 // 100), height // 7, (20, 20, 20), -1)
        cv2.circle(image, (cx, height * 85 // 100), height // 16, (160, 160, 160), -1)
    cv2.rectangle(image, (width - 30, body_top + 8), (width - 6, body_top + 26), (0, 0, 230), -1)
    plate_image = render_plate(plate, height=max(16, height // 6))
    ph, pw = plate_image.shape[:2]
    x, y = (width - pw) // 2, height * 62 // 100
    image[y:y + ph, x:x + pw] = plate_image
    return image


def drive_by_video(vehicle: np.ndarray, out: Path, *, seconds: float = 10.0, fps: float = 10.0,
                   size: tuple[int, int] = (1280, 720), enter_at: float = 1.0, stop_for: float = 4.0) -> Path:
    """Write an MP4: a street; the vehicle drives in from the right, stops a while, drives off left."""
    width, height = size
    background = scene(width, height)
    cv2.rectangle(background, (0, height * 55 // 100), (width, height), (75, 75, 80), -1)
    vh, vw = vehicle.shape[:2]
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter.fourcc(*"mp4v"), fps, (width, height))
    drive = 1.5
    for index in range(int(seconds * fps)):
        t = index / fps
        frame = background.copy()
        centre = None
        if enter_at <= t < enter_at + drive:
            centre = width + vw // 2 - (t - enter_at) / drive * (width // 2 + vw // 2)
        elif enter_at + drive <= t < enter_at + drive + stop_for:
            centre = width / 2
        elif enter_at + drive + stop_for <= t < enter_at + 2 * drive + stop_for:
            centre = width / 2 - (t - enter_at - drive - stop_for) / drive * (width // 2 + vw // 2)
        if centre is not None:
            x = int(centre - vw / 2)
            y = height - vh - height // 20
            x0, x1 = max(0, x), min(width, x + vw)
            if x1 > x0:
                frame[y:y + vh, x0:x1] = vehicle[:, x0 - x:x1 - x]
        writer.write(frame)
    writer.release()
    return out
