"""Who a face track is: recognised on its best frames, decided over the whole track.

Recognition (dlib's 128-d encoder, about 90 ms a face here) is the costly step, so it runs on a
track's frames only until the track is decided, and on at most ``max_embeddings`` of them. Each
recognised frame votes with a weight that grows with the face's size (a 20-pixel face is a weak
witness, an 80-pixel one a full one); a person is named when the agreeing weight reaches
``required`` and is most of what the track's frames said. One track gives at most one match, with
the frame where that person's face was clearest for the snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from hub.vision.faces import GOOD_FACE_PX, FaceLibrary, Role, encode_face, face_sharpness
from hub.vision.frames import Frame
from hub.vision.boxes import Box
from hub.vision.tracks import Track

FULL_WEIGHT_PX = GOOD_FACE_PX  # a face as large as a good enrolment photo's counts as one whole sighting
SLOW_GAP = 2.0  # seconds between recognitions of a track that has spent its budget
MIN_FACE_PX = 20  # smaller than this, the encoder's landmarks are guesses: not recognised at all


@dataclass(frozen=True)
class TrackMatch:
    """A track decided to be an enrolled person."""

    person: str
    role: Role
    distance: float  # the best (smallest) distance among the agreeing frames
    weight: float  # the agreeing weight
    embeddings: int  # frames recognised on this track
    box: Box  # the face in the clearest agreeing frame
    frame: Frame  # that frame, for the snapshot
    encoding: tuple[float, ...]


class TrackRecogniser:
    """Decides face tracks against the face library."""

    def __init__(self, library: FaceLibrary, required: float = 3.0, max_embeddings: int = 6,
                 min_gap: float = 0.15, window: float = 10.0) -> None:
        self.library = library
        self.window = window  # seconds a track may take to be decided
        self.required = required
        self.max_embeddings = max_embeddings
        self.min_gap = min_gap  # seconds between two recognitions of one track
        self.embeddings = 0  # recognitions run, over all tracks: the cost

    def consider(self, track: Track, box: Box, frame: Frame, t: float) -> TrackMatch | None:
        """Recognise this detection if it is worth it; the match once the track is decided."""
        state: dict[str, Any] = track.state
        if state.get("decided") or box.size < MIN_FACE_PX:
            return None
        # A track whose budget is spent, or older than the window, is still looked at, only slowly: a man
        # first badly seen who then stands in full view at the door must not stay unrecognised. A face
        # half as large again as any recognised on this track is looked at at once.
        grown = box.size >= 1.5 * state.get("largest", box.size)
        spent = state.get("embeddings", 0) >= self.max_embeddings or track.age(t) > self.window
        gap = SLOW_GAP if spent and not grown else self.min_gap
        if t - state.get("last", -1e9) < gap:
            return None
        state["largest"] = max(box.size, state.get("largest", 0))
        encoding = encode_face(frame, box)
        self.embeddings += 1
        state["embeddings"] = state.get("embeddings", 0) + 1
        state["last"] = t
        weight = min(1.0, box.size / FULL_WEIGHT_PX)
        state["total"] = state.get("total", 0.0) + weight
        name, distance, role = self.library.best_match(encoding)
        if name is None or distance is None or role is None:
            return None
        votes: dict[str, float] = state.setdefault("votes", {})
        votes[name] = votes.get(name, 0.0) + weight
        clarity = box.size * min(1.0, face_sharpness(frame, box) / 100.0)
        best: dict[str, tuple[float, float, Box, Frame, np.ndarray, Role]] = state.setdefault("best", {})
        if name not in best or clarity > best[name][0]:
            best[name] = (clarity, distance, box, frame.copy(), encoding, role)
        closest = min(distance, state.setdefault("closest", {}).get(name, 1.0))
        state["closest"][name] = closest
        if votes[name] < self.required or votes[name] <= 0.5 * state["total"]:
            return None
        state["decided"] = True
        _, _, best_box, best_frame, best_encoding, best_role = best[name]
        state.pop("best")  # the frames are not kept beyond the decision
        return TrackMatch(name, best_role, round(closest, 4), round(votes[name], 2), state["embeddings"],
                          best_box, best_frame, tuple(float(x) for x in best_encoding))
