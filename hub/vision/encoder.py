"""The face encoder: dlib's 128-d ResNet, with the face_recognition project's own model files.

This is what ``face_recognition.face_encodings`` computes (5-point alignment, one jitter): the
same numbers, checked by a test. It loads only the two models it needs. Importing
face_recognition itself also loads its 68-point landmark model (99 MB resident on a Pi with 2 GB)
and the CNN detector, which the hub never uses.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import numpy as np

from hub.errors import PorchlightError
from hub.vision.frames import Frame

_lock = threading.Lock()
_models: tuple[object, object] | None = None


ALIGNER = "shape_predictor_5_face_landmarks.dat"
ENCODER = "dlib_face_recognition_resnet_model_v1.dat"


def model_file(name: str) -> Path:
    """One of face_recognition_models' files, found without importing that package: its __init__
    imports pkg_resources (5 MB resident, and gone from newer setuptools) only to name these paths."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or spec.origin is None:
        raise PorchlightError("face_recognition_models is not installed: make install adds it")
    path = Path(spec.origin).parent / "models" / name
    if not path.is_file():
        raise PorchlightError(f"{path} is missing: reinstall face_recognition_models (nothing is downloaded)")
    return path


def _loaded() -> tuple[object, object]:
    global _models
    with _lock:
        if _models is None:
            import dlib

            _models = (dlib.shape_predictor(str(model_file(ALIGNER))),
                       dlib.face_recognition_model_v1(str(model_file(ENCODER))))
        return _models


def encode(rgb: Frame, top: int, right: int, bottom: int, left: int) -> np.ndarray:
    """The 128-d encoding of the face in the box of an RGB image."""
    import dlib

    aligner, encoder = _loaded()
    shape = aligner(rgb, dlib.rectangle(left, top, right, bottom))  # type: ignore[operator]
    return np.array(encoder.compute_face_descriptor(rgb, shape, 1))  # type: ignore[attr-defined]


def distances(known: np.ndarray, encoding: np.ndarray) -> np.ndarray:
    """Euclidean distance from each known encoding (what face_recognition.face_distance computes)."""
    if len(known) == 0:
        return np.empty(0)
    return np.asarray(np.linalg.norm(known - encoding, axis=1))
