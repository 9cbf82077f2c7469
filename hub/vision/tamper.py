"""Camera sabotage: a covered or blacked-out lens, a blurred view, a camera turned to a new view.

"Moved" is judged on the scene's fixed structure only: the edges that stay put frame after frame
(door frames, kerbs, parking lines). Cars, people and light come and go without moving those, so
traffic is never sabotage; a knocked or turned camera displaces all of them at once. A new view is
learned after ``relearn_seconds`` and reported as such, so a nudge never blinds the camera for good.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from hub.config import TamperConfig

_WARMUP_FRAMES = 25  # 5 s at 5 fps: people walking up at start-up are not yet the view's structure
_NEAR = np.ones((3, 3), np.uint8)
_FIXED = 0.6  # an edge present in most recent frames (its running share above this) is fixed structure
_LEARN = 0.05  # per frame: an edge that appears and stays becomes fixed in about 3 s at 5 fps
_HEALTHY = 0.4  # the fixed structure is learned further only from frames that clearly match it
_MIN_FIXED_PIXELS = 100  # fewer fixed edge pixels (a bare wall, fog) and "moved" cannot be judged
_ANCHOR_AFTER = 25  # frames: the usual view is anchored once its fixed structure is learned (5 s at 5 fps)
_ANCHOR_REFRESH = 3000  # frames between refreshes of the anchor, and only from a view that still matches it
_ANCHOR_MATCHES = 0.6  # the view still matches its anchor this well: slow real change (a parked van) is taken in
_DAZZLED = 215  # mean brightness above this, with the structure gone: a light shone into the lens
_BRIGHTER = 45  # or this much brighter than its usual view, with the structure gone


@dataclass(frozen=True)
class TamperChange:
    """Sabotage started (active) or ended, with why and the measurements behind it."""

    active: bool
    reason: str
    measures: dict[str, float]
    relearned: bool = False  # ended because a new view was learned, not because the old one came back


def _edges(grey: np.ndarray) -> np.ndarray:
    return cv2.Canny(grey, 40, 100) > 0


class _FixedEdges:
    """A running share, per pixel, of frames with an edge there; above _FIXED it is fixed structure."""

    def __init__(self, edges: np.ndarray) -> None:
        self.share = edges.astype(np.float32) * 0.7  # a first frame's moving edges drop out within 3 frames
        self._fixed: tuple[np.ndarray, int] | None = None  # the fixed mask and its size, until the next learn

    def copy(self) -> "_FixedEdges":
        twin = _FixedEdges.__new__(_FixedEdges)
        twin.share, twin._fixed = self.share.copy(), self._fixed
        return twin

    def learn(self, edges: np.ndarray) -> None:
        cv2.accumulateWeighted(edges.view(np.uint8), self.share, _LEARN)  # share = (1 - L) share + L edges
        self._fixed = None

    def kept(self, near: "_Near") -> tuple[float, int]:
        """How much of the fixed structure is still in place (0: none beyond chance, 1: all), and its size."""
        if self._fixed is None:  # an anchor never learns: its mask is worked out once
            fixed = self.share > _FIXED
            self._fixed = (fixed, int(np.count_nonzero(fixed)))
        fixed, count = self._fixed
        kept = float(np.count_nonzero(near.mask & fixed)) / max(1, count)
        return (kept - near.chance) / max(1e-3, 1 - near.chance), count


class _Near:
    """Where this frame has an edge within a pixel, computed once a frame for every view it is held against."""

    def __init__(self, edges: np.ndarray) -> None:
        self.mask = cv2.dilate(edges.astype(np.uint8), _NEAR) > 0
        self.chance = float(self.mask.mean())  # a busy frame has edges near anything: discount that


class TamperDetector:
    """Watches the small grey analysis frame; a condition must hold for ``seconds`` to count."""

    def __init__(self, config: TamperConfig) -> None:
        self.config = config
        self._sharpness: float | None = None
        self._brightness: float | None = None
        self._fixed: _FixedEdges | None = None
        self._new_view: _FixedEdges | None = None
        self._former: _FixedEdges | None = None  # the view before a relearned move: going back is no sabotage
        # The usual view as anchored, which learns only by rare refreshes: a camera turned a little at a time
        # (each step taken in by the running view) still ends up far from it, and that is "moved".
        self._anchor: _FixedEdges | None = None
        self._anchored_at = 0
        self._moved_at = 0.0
        self._frames = 0
        self._edges = np.zeros((0, 0), bool)  # the last frame's edges
        self._candidate: tuple[str, float] | None = None
        self._clear_since: float | None = None
        self.active: str | None = None

    def _anchor_here(self) -> None:
        assert self._fixed is not None
        self._anchor, self._anchored_at = self._fixed.copy(), self._frames

    def _condition(self, grey: np.ndarray) -> tuple[str | None, dict[str, float]]:
        mean, std = (float(v[0][0]) for v in cv2.meanStdDev(grey))
        sharpness = float(cv2.meanStdDev(cv2.Laplacian(grey, cv2.CV_16S))[1][0][0]) ** 2  # its variance
        edges = self._edges = _edges(grey)
        near = _Near(edges)
        if self._fixed is None or self._fixed.share.shape != edges.shape:
            self._fixed = _FixedEdges(edges)
        kept, fixed_pixels = self._fixed.kept(near)
        measures = {"brightness": round(mean, 1), "contrast": round(std, 1), "sharpness": round(sharpness, 1),
                    "fixed_structure_kept": round(kept, 3), "fixed_edge_pixels": fixed_pixels}
        if self._anchor is None and self._frames >= _ANCHOR_AFTER and self.active is None:
            self._anchor_here()
        anchored, anchor_pixels = self._anchor.kept(near) if self._anchor is not None else (1.0, 0)
        measures["usual_view_kept"] = round(anchored, 3)
        lost = fixed_pixels >= _MIN_FIXED_PIXELS and kept < self.config.moved_similarity
        if mean < self.config.dark_level and std < 12:
            return "covered", measures
        brighter = self._brightness is not None and mean > self._brightness + _BRIGHTER
        if lost and (mean > _DAZZLED or brighter):
            return "dazzled", measures
        if self._sharpness is not None and sharpness < self.config.blur_ratio * self._sharpness and (std < 40 or lost):
            return "blurred", measures
        if self.active == "moved":
            assert self._new_view is not None
            self._new_view.learn(edges)
        far = anchor_pixels >= _MIN_FIXED_PIXELS and anchored < self.config.moved_similarity
        if (lost or far) and self._former is not None and self.active is None \
                and self._former.kept(near)[0] >= _HEALTHY:
            # Put back where it was before it was knocked: that view is the usual one again.
            self._fixed, self._former = self._former, None
            self._anchor_here()
            kept, fixed_pixels = self._fixed.kept(near)
            lost = far = False
        if lost or far:
            return "moved", measures  # knocked at once (lost), or turned a little at a time (far from its anchor)
        if anchored >= _ANCHOR_MATCHES and self._frames - self._anchored_at >= _ANCHOR_REFRESH:
            self._anchor_here()
        # A healthy frame: learn slowly, so daylight changes and parked cars become the usual view.
        self._sharpness = sharpness if self._sharpness is None else 0.95 * self._sharpness + 0.05 * sharpness
        self._brightness = mean if self._brightness is None else 0.95 * self._brightness + 0.05 * mean
        if kept >= _HEALTHY or fixed_pixels < _MIN_FIXED_PIXELS:
            self._fixed.learn(edges)
        return None, measures

    def check(self, grey: np.ndarray, now: float) -> TamperChange | None:
        """A change of sabotage state at ``now``, or None."""
        if not self.config.enabled:
            return None
        self._frames += 1
        reason, measures = self._condition(grey)
        if self._frames <= _WARMUP_FRAMES:
            return None
        if reason == "moved" and self.active == "moved" and now - self._moved_at >= self.config.relearn_seconds:
            # Still pointed elsewhere: that is the view now. Say so once, and watch it as the usual view.
            assert self._new_view is not None
            self._former = self._fixed
            self._fixed, self._new_view, self.active, self._clear_since = self._new_view, None, None, None
            self._anchor_here()
            return TamperChange(False, "moved", measures, relearned=True)
        if reason is not None:
            self._clear_since = None
            if self.active is not None:
                return None
            if self._candidate is None or self._candidate[0] != reason:
                self._candidate = (reason, now)
            if now - self._candidate[1] >= self.config.seconds:
                self.active = reason
                self._candidate = None
                if reason == "moved":
                    self._moved_at = now
                    self._new_view = _FixedEdges(self._edges)
                return TamperChange(True, reason, measures)
            return None
        self._candidate = None
        if self.active is None:
            return None
        if self._clear_since is None:
            self._clear_since = now
        if now - self._clear_since >= self.config.seconds:
            ended, self.active, self._clear_since, self._new_view = self.active, None, None, None
            return TamperChange(False, ended, measures)
        return None
