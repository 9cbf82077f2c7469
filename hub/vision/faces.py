"""The person of concern: enrolment from photos, face finding in moving regions, matching.

Only enrolled people are kept as templates. A face that matches nobody is discarded at once:
the hub never builds a gallery of passers-by.
"""

from __future__ import annotations

import json
import logging
import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Sequence

import face_recognition
import numpy as np
from PIL import Image, UnidentifiedImageError

from hub.config import Config
from hub.errors import InputRejected
from hub.files import write_atomic
from hub.vision.frames import Frame
from hub.vision.motion import Region

logger = logging.getLogger(__name__)

Role = Literal["concern", "trusted"]
MAX_PHOTO_PIXELS = 40_000_000
MAX_REGIONS = 3
# A candidate this close to a face she rejected for this person is the same false match again.
REJECTION_RADIUS = 0.35
SIGHTINGS = "sightings"  # a subfolder of the library: matched faces kept for her review
KEEP_SIGHTINGS = 500


def model_version() -> str:
    """What produced a match, recorded with every match."""
    from importlib.metadata import version

    import dlib

    return (f"face_recognition {version('face_recognition')} (dlib {dlib.__version__}; "
            "HOG detector; 128-d ResNet encoder)")


def slug(name: str) -> str:
    """A file-name-safe id for a person's or vehicle's name."""
    value = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if not value:
        raise InputRejected(f"name {name!r} needs at least one letter or digit")
    return value[:40]


def load_rgb(path: Path) -> np.ndarray:
    """A photo as an RGB array; refuses non-images and decompression bombs with a clear message."""
    try:
        with Image.open(path) as image:
            if image.width * image.height > MAX_PHOTO_PIXELS:
                raise InputRejected(f"{path.name}: the image is {image.width}x{image.height} pixels, "
                                    f"more than the {MAX_PHOTO_PIXELS // 1_000_000} megapixels allowed")
            return np.array(image.convert("RGB"))
    except UnidentifiedImageError as err:
        raise InputRejected(f"{path.name}: not an image Porchlight can read (JPEG, PNG, WebP...)") from err
    except Image.DecompressionBombError as err:
        raise InputRejected(f"{path.name}: the image claims more pixels than can safely be opened ({err})") from err
    except OSError as err:
        raise InputRejected(f"{path.name}: cannot read the image ({err})") from err


@dataclass(frozen=True)
class PhotoResult:
    """What enrolment made of one photo."""

    photo: str
    accepted: bool
    message: str


@dataclass
class Person:
    """An enrolled person: the one she fears (concern) or a household member (trusted)."""

    name: str
    role: Role
    encodings: list[list[float]] = field(default_factory=list)
    photos: list[str] = field(default_factory=list)
    rejected: list[list[float]] = field(default_factory=list)


@dataclass(frozen=True)
class FaceHit:
    """A face found in a frame, and whom it matched (if anyone)."""

    box: tuple[int, int, int, int]  # top, right, bottom, left, full-frame pixels
    match: str | None
    distance: float | None
    role: Role | None
    encoding: tuple[float, ...] = ()


class FaceLibrary:
    """Enrolled people, one JSON file each under ``folder``."""

    def __init__(self, folder: Path, tolerance: float = 0.55) -> None:
        self.folder = folder
        self.tolerance = tolerance
        self.people: dict[str, Person] = {}
        self.reload()

    @classmethod
    def for_config(cls, config: Config) -> "FaceLibrary":
        """The hub's library: data_dir/people, at the configured tolerance."""
        return cls(config.data_dir / "people", config.recognition.tolerance)

    def reload(self) -> None:
        """Read every enrolled person from disk (swapped in whole: a camera thread may be matching)."""
        people: dict[str, Person] = {}
        if self.folder.is_dir():
            for path in sorted(self.folder.glob("*.json")):
                people[path.stem] = Person(**json.loads(path.read_text()))
        self.people = people

    def save(self, person: Person) -> None:
        """Write one person's file atomically."""
        path = self.folder / f"{slug(person.name)}.json"
        write_atomic(path, json.dumps(person.__dict__).encode("utf-8"))
        self.people[path.stem] = person

    def enroll(self, name: str, photos: Sequence[Path], role: Role = "concern") -> list[PhotoResult]:
        """Add photos of a person; each photo is accepted or rejected with the reason."""
        key = slug(name)
        person = self.people.get(key) or Person(name=name, role=role)
        person.role = role
        results = []
        for photo in photos:
            try:
                image = load_rgb(photo)
            except InputRejected as err:
                results.append(PhotoResult(photo.name, False, str(err)))
                continue
            boxes = face_recognition.face_locations(image, number_of_times_to_upsample=1 if max(image.shape) < 800 else 0)
            if len(boxes) == 0:
                results.append(PhotoResult(photo.name, False, f"{photo.name}: no face found; use a photo "
                                           "where the face is clearly visible and facing the camera"))
                continue
            if len(boxes) > 1:
                results.append(PhotoResult(photo.name, False, f"{photo.name}: {len(boxes)} faces found; use a "
                                           "photo with only this person in it, or crop it to one face"))
                continue
            [encoding] = face_recognition.face_encodings(image, boxes)
            person.encodings.append([float(x) for x in encoding])
            person.photos.append(photo.name)
            results.append(PhotoResult(photo.name, True, f"{photo.name}: face found and enrolled"))
        if person.encodings:
            self.save(person)
        return results

    def reject(self, name: str, encoding: Sequence[float]) -> None:
        """Remember a false match so the same face is not reported as this person again."""
        person = self.people[slug(name)]
        person.rejected.append([float(x) for x in encoding])
        self.save(person)

    def remember_sighting(self, incident: str, encoding: Sequence[float]) -> None:
        """Keep a matched face's encoding here, under its incident id, in case she rejects the match.

        Face encodings are biometric data: they stay in the face library (0600), never in an event, a
        log line or an MQTT message. Only the newest sightings are kept.
        """
        folder = self.folder / SIGHTINGS
        write_atomic(folder / f"{slug(incident)}.json", json.dumps([float(x) for x in encoding]).encode(), 0o600)
        for old in sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)[:-KEEP_SIGHTINGS]:
            old.unlink(missing_ok=True)

    def reject_sighting(self, name: str, incident: str) -> bool:
        """Reject the match recorded for ``incident``; False when its encoding is no longer kept."""
        if not incident.strip("_-. ") or slug(name) not in self.people:
            return False
        path = self.folder / SIGHTINGS / f"{slug(incident)}.json"
        if not path.is_file():
            return False
        self.reject(name, json.loads(path.read_text()))
        return True

    def best_match(self, encoding: np.ndarray) -> tuple[str | None, float | None, Role | None]:
        """The closest enrolled person within tolerance, with the distance; or (None, None, None)."""
        best: tuple[str | None, float | None, Role | None] = (None, None, None)
        for person in self.people.values():
            if not person.encodings:
                continue
            distance = float(np.min(face_recognition.face_distance(np.array(person.encodings), encoding)))
            if distance > self.tolerance or (best[1] is not None and distance >= best[1]):
                continue
            if person.rejected and float(np.min(face_recognition.face_distance(
                    np.array(person.rejected), encoding))) < REJECTION_RADIUS:
                continue
            best = (person.name, distance, person.role)
        return best


class FaceFinder:
    """Runs HOG detection only on moving regions (upsampled when they are small), then matches."""

    def __init__(self, library: FaceLibrary, upsample_below_px: int = 480) -> None:
        self.library = library
        self.upsample_below_px = upsample_below_px

    def find(self, frame_bgr: Frame, regions: Sequence[Region] | None = None) -> list[FaceHit]:
        """Faces in the given regions (the whole frame when None), each matched or not."""
        height, width = frame_bgr.shape[:2]
        areas = [Region(0, 0, width, height)] if regions is None else \
            [r.expanded(0.25, width, height) for r in regions[:MAX_REGIONS]]
        hits = []
        for area in areas:
            crop = np.ascontiguousarray(frame_bgr[area.top:area.bottom, area.left:area.right, ::-1])
            if crop.shape[0] < 20 or crop.shape[1] < 20:
                continue
            # A person-shaped region narrower than this holds a face too small for HOG at 1x.
            upsample = 1 if min(crop.shape[:2]) < self.upsample_below_px else 0
            boxes = face_recognition.face_locations(crop, number_of_times_to_upsample=upsample)
            if not boxes:
                continue
            for (top, right, bottom, left), encoding in zip(boxes, face_recognition.face_encodings(crop, boxes)):
                name, distance, role = self.library.best_match(encoding)
                box = (top + area.top, right + area.left, bottom + area.top, left + area.left)
                # Only matches keep their encoding (for confirm/reject); strangers' faces are dropped.
                hits.append(FaceHit(box, name, distance, role,
                                    tuple(float(x) for x in encoding) if name else ()))
        return _dedupe(hits)


def _dedupe(hits: list[FaceHit]) -> list[FaceHit]:
    """Overlapping regions can find the same face twice; keep one per place."""
    kept: list[FaceHit] = []
    for hit in hits:
        top, right, bottom, left = hit.box
        if any(abs(top - k.box[0]) < 20 and abs(left - k.box[3]) < 20 for k in kept):
            continue
        kept.append(hit)
    return kept


class Agreement:
    """Raises a match only when the same person is seen in enough frames within a window."""

    def __init__(self, frames_required: int, window: float, cooldown: float) -> None:
        self.frames_required = frames_required
        self.window = window
        self.cooldown = cooldown
        self._seen: dict[str, deque[tuple[float, float]]] = {}
        self._last_fired: dict[str, float] = {}

    def observe(self, name: str, distance: float, now: float) -> tuple[int, float] | None:
        """Record a sighting; return (frames, best distance) when a match should be raised."""
        seen = self._seen.setdefault(name, deque())
        seen.append((now, distance))
        while seen and now - seen[0][0] > self.window:
            seen.popleft()
        last = self._last_fired.get(name)
        if len(seen) < self.frames_required or (last is not None and now - last < self.cooldown):
            return None
        self._last_fired[name] = now
        frames, best = len(seen), min(d for _, d in seen)
        seen.clear()
        return frames, best
