"""Text in a picture, read by RapidOCR: PP-OCRv6 detection and recognition, ONNX weights inside its wheel.

Every model is given by path, to a file inside the installed rapidocr package, so RapidOCR never
reaches for its download step (a missing file is an error naming the fix, never a fetch). The
text-line orientation classifier is not used: plates are upright. One engine per process, built
on first use; calls are serialised (the engine keeps per-call state on itself).
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hub.errors import PorchlightError
from hub.vision.frames import Frame

MODELS = {"Det": "PP-OCRv6_det_small.onnx", "Rec": "PP-OCRv6_rec_small.onnx", "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx"}
MAX_ASPECT = 12  # a plate is about 5:1; an image far longer than that holds no plate worth the cost
LONGEST_SIDE = 960  # RapidOCR's own default scales small crops *up* to 736 px tall, and then finds nothing


class OcrMissing(PorchlightError):
    """RapidOCR or its model files are not installed."""


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
        raise OcrMissing("RapidOCR is not installed: pip install rapidocr onnxruntime (make install does this)")
    folder = Path(spec.origin).parent / "models"
    for name in MODELS.values():
        if not (folder / name).is_file():
            raise OcrMissing(f"{folder / name} is missing: reinstall the rapidocr wheel (nothing is downloaded)")
    return folder


_lock = threading.Lock()
_engine: Any = None


def _get_engine() -> Any:
    global _engine
    with _lock:
        if _engine is None:
            from rapidocr import RapidOCR

            folder = model_dir()
            params: dict[str, object] = {f"{part}.model_path": str(folder / name) for part, name in MODELS.items()}
            params.update({"Global.log_level": "warning", "Global.use_cls": False, "Global.text_score": 0.5,
                           "Global.model_root_dir": str(folder), "Det.limit_type": "max",
                           "Det.limit_side_len": LONGEST_SIDE,
                           "EngineConfig.onnxruntime.intra_op_num_threads": 1})
            _engine = RapidOCR(params=params)
        return _engine


def read_text(image: Frame, most: int = 64) -> list[TextRead]:
    """Every line of text found in a BGR image, at most ``most``."""
    height, width = image.shape[:2] if image.ndim == 3 else (0, 0)
    if min(height, width) < 8 or max(height, width) > MAX_ASPECT * min(height, width):
        return []  # a sliver (a hostile stream's 16x2000 frames cost the detector seconds and a gigabyte)
    engine = _get_engine()
    with _lock:
        result = engine(np.ascontiguousarray(image), use_det=True, use_cls=False, use_rec=True)
    boxes, texts, scores = getattr(result, "boxes", None), getattr(result, "txts", None), getattr(result, "scores", None)
    if boxes is None or texts is None or scores is None:
        return []
    reads = []
    for polygon, text, score in list(zip(boxes, texts, scores))[:most]:
        points = np.asarray(polygon, dtype=float)
        reads.append(TextRead(str(text), float(score), (int(points[:, 0].min()), int(points[:, 1].min()),
                                                         int(points[:, 0].max()), int(points[:, 1].max()))))
    return reads


def engine_name() -> str:
    """What read a plate, recorded with every plate match."""
    from importlib.metadata import version

    return f"RapidOCR {version('rapidocr')} (PP-OCRv6 small det + rec, onnxruntime {version('onnxruntime')})"
