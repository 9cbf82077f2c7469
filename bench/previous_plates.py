"""The plate reader the hub used before RapidOCR, kept only so bench/plates.py can measure both in one run.

A hand-written finder (bright rectangles, rows of dark strokes) and Tesseract on each candidate.
Needs the tesseract program and pytesseract (make bench installs both).
"""

from __future__ import annotations

import logging
import shutil

import cv2
import numpy as np

from hub.vision.frames import Frame
from hub.vision.plates import PlateRead, normalise

logger = logging.getLogger(__name__)

_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_MIN_ASPECT, _MAX_ASPECT = 2.0, 7.0


def tesseract_available() -> bool:
    """Whether the tesseract program is installed (apt install tesseract-ocr)."""
    return shutil.which("tesseract") is not None


def candidates(frame: Frame, most: int = 4) -> list[tuple[int, int, int, int]]:
    """Plate-shaped regions, best first: bright rectangles, then dense rows of dark strokes."""
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    boxes = _bright_rectangles(grey) + _stroke_rows(grey)
    unique: list[tuple[int, int, int, int]] = []
    for box in boxes:
        if not any(_overlap(box, kept) > 0.5 for kept in unique):
            unique.append(box)
    return unique[:most]


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return width * height / smaller


def _plate_shaped(mask: np.ndarray, max_width: float, min_fill: float, pad: bool) -> list[tuple[int, int, int, int]]:
    """Boxes of the mask's blobs that have a plate's shape, largest first (padded if asked)."""
    height, width = mask.shape
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    scored = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        if h < 12 or w < 40 or w > width * max_width or not _MIN_ASPECT <= w / h <= _MAX_ASPECT:
            continue
        if cv2.contourArea(contour) < min_fill * w * h:
            continue
        pad_x, pad_y = (w // 12, h // 4) if pad else (0, 0)
        scored.append((w * h, (max(0, x - pad_x), max(0, y - pad_y), min(width, x + w + pad_x),
                               min(height, y + h + pad_y))))
    scored.sort(reverse=True)
    return [box for _, box in scored]


def _bright_rectangles(grey: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Plates are white or yellow: bright areas that fill their bounding rectangle."""
    _, bright = cv2.threshold(grey, 170, 255, cv2.THRESH_BINARY)
    bright = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 5)))
    return _plate_shaped(bright, max_width=0.6, min_fill=0.7, pad=False)


def _stroke_rows(grey: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Rows of dark character strokes on a lighter background."""
    # Dark characters on a light plate: the black-hat transform lights up the characters.
    blackhat = cv2.morphologyEx(grey, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_RECT, (25, 9)))
    gradient = cv2.convertScaleAbs(cv2.Sobel(blackhat, cv2.CV_32F, 1, 0, ksize=3))
    gradient = cv2.GaussianBlur(gradient, (5, 5), 0)
    closed = cv2.morphologyEx(gradient, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (21, 5)))
    _, mask = cv2.threshold(closed, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    square = np.ones((3, 3), np.uint8)
    mask = cv2.dilate(cv2.erode(mask, square, iterations=1), square, iterations=2)
    return _plate_shaped(mask, max_width=0.9, min_fill=0.0, pad=True)


def read_crop(crop: Frame) -> str:
    """OCR one plate crop (single line, letters and digits only)."""
    import pytesseract

    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    scale = 64 / max(1, grey.shape[0])
    grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    grey = cv2.GaussianBlur(grey, (3, 3), 0)
    _, binary = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    binary = _drop_edge_strokes(binary)
    binary = cv2.copyMakeBorder(binary, 12, 12, 12, 12, cv2.BORDER_CONSTANT, value=255)
    text = pytesseract.image_to_string(binary, config=f"--psm 7 -c tessedit_char_whitelist={_CHARS}")
    return normalise(str(text))


def _drop_edge_strokes(binary: np.ndarray) -> np.ndarray:
    """Erase the plate's frame: lines longer than any character stroke, then specks at the edge."""
    ink = 255 - binary
    height, width = ink.shape
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, width * 3 // 10), 1)))
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(3, height * 9 // 10))))
    ink = cv2.subtract(cv2.subtract(ink, horizontal), vertical)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    for label in range(1, count):
        x, y, w, h, area = stats[label]
        touches = x == 0 or y == 0 or x + w >= width or y + h >= height
        if area < height * height // 40 or (touches and h < height // 2):
            ink[labels == label] = 0
    return 255 - ink


def read_plates(frame: Frame) -> list[PlateRead]:
    """Every plate read in the frame (4 to 10 characters), from the most plate-like regions."""
    if not tesseract_available():
        logger.warning("tesseract is not installed; plates are not read (apt install tesseract-ocr)")
        return []
    reads = []
    for left, top, right, bottom in candidates(frame):
        text = read_crop(frame[top:bottom, left:right])
        if 4 <= len(text) <= 10:
            reads.append(PlateRead(text, (left, top, right, bottom)))
    return reads
