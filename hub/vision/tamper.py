"""Camera sabotage: a covered or blacked-out lens, a blurred view, a camera turned away."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from hub.config import TamperConfig

_WARMUP_FRAMES = 5
_THUMB = (32, 24)


@dataclass(frozen=True)
class TamperChange:
    """Sabotage started (active) or ended, with why and the measurements behind it."""

    active: bool
    reason: str
    measures: dict[str, float]


class TamperDetector:
    """Watches the small grey analysis frame; a condition must hold for ``seconds`` to count."""

    def __init__(self, config: TamperConfig) -> None:
        self.config = config
        self._sharpness: float | None = None
        self._reference: np.ndarray | None = None
        self._frames = 0
        self._candidate: tuple[str, float] | None = None
        self._clear_since: float | None = None
        self.active: str | None = None

    def _condition(self, grey: np.ndarray) -> tuple[str | None, dict[str, float]]:
        mean, std = (float(v[0][0]) for v in cv2.meanStdDev(grey))
        sharpness = float(cv2.Laplacian(grey, cv2.CV_64F).var())
        thumb = cv2.resize(grey, _THUMB, interpolation=cv2.INTER_AREA).astype(np.float32)
        similarity = 1.0
        if self._reference is not None:
            a, b = thumb - thumb.mean(), self._reference - self._reference.mean()
            denom = float(np.sqrt((a * a).sum() * (b * b).sum()))
            similarity = float((a * b).sum() / denom) if denom > 1e-6 else 0.0
        measures = {"brightness": round(mean, 1), "contrast": round(std, 1), "sharpness": round(sharpness, 1),
                    "similarity": round(similarity, 3)}
        if mean < self.config.dark_level and std < 12:
            return "covered", measures
        if self._sharpness is not None and sharpness < self.config.blur_ratio * self._sharpness and std < 40:
            return "blurred", measures
        if self._reference is not None and similarity < self.config.moved_similarity:
            return "moved", measures
        # A healthy frame: learn slowly, so daylight changes are not sabotage.
        self._sharpness = sharpness if self._sharpness is None else 0.95 * self._sharpness + 0.05 * sharpness
        self._reference = thumb if self._reference is None else 0.9 * self._reference + 0.1 * thumb
        return None, measures

    def check(self, grey: np.ndarray, now: float) -> TamperChange | None:
        """A change of sabotage state at ``now``, or None."""
        if not self.config.enabled:
            return None
        self._frames += 1
        reason, measures = self._condition(grey)
        if self._frames <= _WARMUP_FRAMES:
            return None
        if reason is not None:
            self._clear_since = None
            if self.active is not None:
                return None
            if self._candidate is None or self._candidate[0] != reason:
                self._candidate = (reason, now)
            if now - self._candidate[1] >= self.config.seconds:
                self.active = reason
                self._candidate = None
                return TamperChange(True, reason, measures)
            return None
        self._candidate = None
        if self.active is None:
            return None
        if self._clear_since is None:
            self._clear_since = now
        if now - self._clear_since >= self.config.seconds:
            ended, self.active, self._clear_since = self.active, None, None
            return TamperChange(False, ended, measures)
        return None
