"""Text in a picture: PP-OCRv6 detection and recognition, run on onnxruntime with the ONNX weights
the rapidocr wheel ships.

The two models come from the installed rapidocr package, given by path, so nothing is ever
downloaded (a missing file is an error naming the fix). The hub runs them itself rather than
through RapidOCR's pipeline object: that object imports requests, omegaconf, shapely and Pillow's
font code (15 MB resident on a Pi, for a config loader and a download step the hub never uses) and
logs a warning for every picture without text. What is done here is the published PP-OCR recipe:

- detection (DB): the picture scaled to multiples of 32 (longest side at most ``LONGEST_SIDE``),
  normalised to [-1, 1]; the probability map thresholded at 0.3 and dilated; each region's
  minimum-area rectangle kept if its mean probability is at least 0.5, then grown by
  area x 1.6 / perimeter on every side (the DB "unclip");
- recognition (CTC): each region cut out upright, scaled to 48 pixels high, normalised to [-1, 1];
  the best class per time step, repeats and blanks dropped; the confidence is the mean
  probability of the characters kept. The character list is in the model's own metadata.

The text-line orientation classifier is not used: plates are upright. One pair of sessions per
process, built on first use; calls are serialised (one thread each: two cores are the budget).
"""

from __future__ import annotations

import importlib.util
import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from hub.errors import PorchlightError
from hub.vision.frames import Frame

MODELS = {"Det": "PP-OCRv6_det_small.onnx", "Rec": "PP-OCRv6_rec_small.onnx"}
MAX_ASPECT = 12  # a plate is about 5:1; an image far longer than that holds no plate worth the cost
LONGEST_SIDE = 960  # detection input; never scaled up (small crops are padded instead, see _padded)
MIN_SIDE = 30  # a smaller picture is scaled up to this first
WIDE = 8  # a strip wider than 8:1, or under MIN_SIDE high, is given black margins above and below
PIXEL_THRESHOLD = 0.3
BOX_THRESHOLD = 0.5
UNCLIP = 1.6
MIN_BOX = 3  # pixels: a shorter side is noise
TEXT_SCORE = 0.5  # a line read with less confidence than this is dropped
LINE_HEIGHT = 48
LINE_WIDTH = 320  # the narrowest recognition input; wider lines widen it
BATCH = 6  # lines recognised together (sorted by shape, so little of a batch is padding)


class OcrMissing(PorchlightError):
    """The OCR runtime or its model files are not installed."""


@dataclass(frozen=True)
class TextRead:
    """One line of text: what it says, how sure the reader is (0-1), and where (left, top, right, bottom)."""

    text: str
    confidence: float
    box: tuple[int, int, int, int]


def model_dir() -> Path:
    """The folder of model files inside the installed rapidocr wheel."""
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or spec.origin is None:
        raise OcrMissing("the plate reader's weights are not installed: pip install rapidocr onnxruntime "
                         "(make install does this)")
    folder = Path(spec.origin).parent / "models"
    for name in MODELS.values():
        if not (folder / name).is_file():
            raise OcrMissing(f"{folder / name} is missing: reinstall the rapidocr wheel (nothing is downloaded)")
    return folder


class _Models:
    """The detection and recognition sessions, and the recogniser's characters (index 0 is the CTC blank)."""

    def __init__(self) -> None:
        try:
            import onnxruntime
        except ImportError as err:
            raise OcrMissing("onnxruntime is not installed: pip install onnxruntime (make install does this)") from err
        folder = model_dir()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.enable_cpu_mem_arena = False  # an arena keeps the largest frame's scratch for ever
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        self.det = onnxruntime.InferenceSession(str(folder / MODELS["Det"]), options,
                                                providers=["CPUExecutionProvider"])
        self.rec = onnxruntime.InferenceSession(str(folder / MODELS["Rec"]), options,
                                                providers=["CPUExecutionProvider"])
        listed = self.rec.get_modelmeta().custom_metadata_map.get("character")
        if not listed:
            raise OcrMissing(f"{folder / MODELS['Rec']} carries no character list: reinstall the rapidocr wheel")
        self.characters = ["", *listed.splitlines(), " "]
        self.det_input = self.det.get_inputs()[0].name
        self.rec_input = self.rec.get_inputs()[0].name


_lock = threading.Lock()
_models: _Models | None = None


def _get_models() -> _Models:
    global _models
    with _lock:
        if _models is None:
            _models = _Models()
        return _models


def _padded(image: np.ndarray) -> tuple[np.ndarray, float, int]:
    """The picture as detection should see it, with its scale and the rows of margin added on top."""
    scale = 1.0
    if min(image.shape[:2]) < MIN_SIDE:
        scale = MIN_SIDE / min(image.shape[:2])
        image = cv2.resize(image, (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale))))
    height, width = image.shape[:2]
    margin = 0
    if height <= MIN_SIDE or width / height > WIDE:
        margin = abs(max(int(width / WIDE), MIN_SIDE) * 2 - height) // 2
        image = cv2.copyMakeBorder(image, margin, margin, 0, 0, cv2.BORDER_CONSTANT, value=(0, 0, 0))
    return image, scale, margin


def _detect(models: _Models, image: np.ndarray) -> list[np.ndarray]:
    """Text regions, each four corners (clockwise from top left) in the image's pixels."""
    height, width = image.shape[:2]
    ratio = min(1.0, LONGEST_SIDE / max(height, width))
    size = (max(32, round(width * ratio / 32) * 32), max(32, round(height * ratio / 32) * 32))
    tensor = cv2.resize(image, size).astype(np.float32) / 127.5 - 1.0
    [probability] = models.det.run(None, {models.det_input: tensor.transpose(2, 0, 1)[None]})
    probability = probability[0, 0]
    mask = cv2.dilate((probability > PIXEL_THRESHOLD).astype(np.uint8), np.ones((2, 2), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    back = np.array([width / size[0], height / size[1]], dtype=np.float32)
    regions = []
    for contour in contours[:1000]:
        centre, (w, h), angle = cv2.minAreaRect(contour)
        if min(w, h) < MIN_BOX or _mean_inside(probability, cv2.boxPoints((centre, (w, h), angle))) < BOX_THRESHOLD:
            continue
        grow = w * h * UNCLIP / max(2 * (w + h), 1e-6)
        w, h = w + 2 * grow, h + 2 * grow
        if min(w, h) < MIN_BOX + 2:
            continue
        # Whole pixels, as the models were trained and scored: a half-pixel shift of the cut can add a letter.
        corners = np.round(_clockwise(cv2.boxPoints((centre, (w, h), angle))) * back)
        corners[:, 0] = corners[:, 0].clip(0, width)
        corners[:, 1] = corners[:, 1].clip(0, height)
        regions.append(corners.astype(np.float32))
    regions.sort(key=lambda c: (round(float(c[0, 1]) / 10), float(c[0, 0])))  # reading order, near enough
    return regions


def _mean_inside(probability: np.ndarray, corners: np.ndarray) -> float:
    left, top = np.floor(corners.min(axis=0)).astype(int).clip(0, None)
    right = int(min(math.ceil(float(corners[:, 0].max())), probability.shape[1] - 1))
    bottom = int(min(math.ceil(float(corners[:, 1].max())), probability.shape[0] - 1))
    if right < left or bottom < top:
        return 0.0
    mask = np.zeros((bottom - top + 1, right - left + 1), np.uint8)
    cv2.fillPoly(mask, [np.round(corners - [left, top]).astype(np.int32)], 1)
    return float(cv2.mean(probability[top:bottom + 1, left:right + 1], mask)[0])


def _clockwise(corners: np.ndarray) -> np.ndarray:
    """Top left, top right, bottom right, bottom left."""
    by_x = corners[np.argsort(corners[:, 0])]
    left, right = by_x[:2], by_x[2:]
    top_left, bottom_left = left[np.argsort(left[:, 1])]
    top_right, bottom_right = right[np.argsort(right[:, 1])]
    return np.array([top_left, top_right, bottom_right, bottom_left], dtype=np.float32)


def _upright(image: np.ndarray, corners: np.ndarray) -> np.ndarray:
    width = int(max(np.linalg.norm(corners[0] - corners[1]), np.linalg.norm(corners[2] - corners[3])))
    height = int(max(np.linalg.norm(corners[0] - corners[3]), np.linalg.norm(corners[1] - corners[2])))
    width, height = max(width, 1), max(height, 1)
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    crop = cv2.warpPerspective(image, cv2.getPerspectiveTransform(corners, target), (width, height),
                               flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    return np.rot90(crop) if height >= 1.5 * width else crop


def _recognise(models: _Models, lines: list[np.ndarray]) -> list[tuple[str, float]]:
    """What each line says, and how sure: in batches of lines of similar shape."""
    results: dict[int, tuple[str, float]] = {}
    order = sorted(range(len(lines)), key=lambda i: lines[i].shape[1] / lines[i].shape[0])
    for start in range(0, len(order), BATCH):
        chosen = order[start:start + BATCH]
        for index, said in zip(chosen, _recognise_batch(models, [lines[i] for i in chosen])):
            results[index] = said
    return [results[i] for i in range(len(lines))]


def _recognise_batch(models: _Models, lines: list[np.ndarray]) -> list[tuple[str, float]]:
    widest = max(LINE_WIDTH / LINE_HEIGHT, *(line.shape[1] / line.shape[0] for line in lines))
    width = int(LINE_HEIGHT * widest)
    batch = np.zeros((len(lines), 3, LINE_HEIGHT, width), np.float32)  # zero is mid-grey once normalised
    for index, line in enumerate(lines):
        fitted = min(width, math.ceil(LINE_HEIGHT * line.shape[1] / line.shape[0]))
        scaled = cv2.resize(line, (fitted, LINE_HEIGHT)).astype(np.float32) / 127.5 - 1.0
        batch[index, :, :, :fitted] = scaled.transpose(2, 0, 1)
    [probabilities] = models.rec.run(None, {models.rec_input: batch})
    results = []
    for steps in probabilities:
        best, sure = steps.argmax(axis=1), steps.max(axis=1)
        keep = (best != 0) & np.concatenate(([True], best[1:] != best[:-1]))
        text = "".join(models.characters[i] if i < len(models.characters) else "" for i in best[keep])
        results.append((text, float(sure[keep].mean()) if keep.any() else 0.0))
    return results


def read_text(image: Frame, most: int = 64) -> list[TextRead]:
    """Every line of text found in a BGR image, at most ``most``."""
    height, width = image.shape[:2] if image.ndim == 3 else (0, 0)
    if min(height, width) < 8 or max(height, width) > MAX_ASPECT * min(height, width):
        return []  # a sliver (a hostile stream's 16x2000 frames cost the detector seconds and a gigabyte)
    models = _get_models()
    picture, scale, margin = _padded(np.ascontiguousarray(image[:, :, :3]))
    with _lock:
        regions = _detect(models, picture)[:most]
        said = _recognise(models, [_upright(picture, corners) for corners in regions])
    reads = []
    for corners, (text, confidence) in zip(regions, said):
        if confidence < TEXT_SCORE or not text.strip():
            continue
        left, top = (corners.min(axis=0) - [0, margin]) / scale
        right, bottom = (corners.max(axis=0) - [0, margin]) / scale
        reads.append(TextRead(text, confidence, (int(max(left, 0)), int(max(top, 0)),
                                                  int(min(right, width)), int(min(bottom, height)))))
    return reads


def engine_name() -> str:
    """What read a plate, recorded with every plate match."""
    from importlib.metadata import version

    return (f"PP-OCRv6 small det + rec (weights from rapidocr {version('rapidocr')}), "
            f"onnxruntime {version('onnxruntime')}")
