"""The person of concern: enrolment from photos, face finding in moving regions, matching.

Only enrolled people are kept as templates. A face that matches nobody is discarded at once:
the hub never builds a gallery of passers-by.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Literal, Sequence

import numpy as np
from PIL import Image, UnidentifiedImageError

from hub.config import Config
from hub.errors import InputRejected
from hub.files import write_atomic
from hub.filetypes import heif_opener
from hub.vision.encoder import distances, encode
from hub.vision.frames import Frame
from hub.vision.boxes import Box

if TYPE_CHECKING:
    from hub.vision.face_detector import FaceDetector

logger = logging.getLogger(__name__)

Role = Literal["concern", "trusted"]
MAX_PHOTO_PIXELS = 40_000_000
MIN_PHOTO_SIDE = 32
MAX_ASPECT = 20  # a 1x40,000,000 PNG is 78 kB and, resized, 10 GB
# A candidate this close to a face she rejected for this person is the same false match again.
REJECTION_RADIUS = 0.35
SIGHTINGS = "sightings"  # a subfolder of the library: matched faces kept for her review
KEEP_SIGHTINGS = 500


def model_version(detector: str) -> str:
    """What produced a match, recorded with every match."""
    from importlib.metadata import version

    import dlib

    return (f"{detector} detector; dlib {dlib.__version__} 128-d ResNet encoder "
            f"(face_recognition_models {version('face_recognition_models')})")


def slug(name: str) -> str:
    """A file-name-safe id for a person's or vehicle's name."""
    value = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if not value:
        raise InputRejected(f"name {name!r} needs at least one letter or digit")
    return value[:40]


def load_rgb(path: Path) -> np.ndarray:
    """A photo as an RGB array; refuses non-images and decompression bombs with a clear message."""
    heif_opener()
    try:
        with Image.open(path) as image:
            if image.width * image.height > MAX_PHOTO_PIXELS:
                raise InputRejected(f"{path.name}: the image is {image.width}x{image.height} pixels, "
                                    f"more than the {MAX_PHOTO_PIXELS // 1_000_000} megapixels allowed")
            if min(image.width, image.height) < MIN_PHOTO_SIDE:
                raise InputRejected(f"{path.name}: the image is {image.width}x{image.height} pixels; a photo needs "
                                    f"at least {MIN_PHOTO_SIDE} pixels a side")
            if max(image.width, image.height) > MAX_ASPECT * min(image.width, image.height):
                raise InputRejected(f"{path.name}: the image is {image.width}x{image.height} pixels, too long and "
                                    "thin to be a photo of a face or a car")
            return np.array(image.convert("RGB"))
    except UnidentifiedImageError as err:
        raise InputRejected(f"{path.name}: not an image Porchlight can read (JPEG, PNG, WebP, HEIC...)") from err
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

    def enroll(self, name: str, photos: Sequence[Path], role: Role = "concern",
               detector: "FaceDetector | None" = None,
               progress: "Callable[[int, PhotoResult, float], None] | None" = None) -> list[PhotoResult]:
        """Add photos of a person; each photo is accepted or rejected with the reason and what was found.

        ``progress`` hears of each photo as it is done (its index, result and seconds): a Pi takes a
        second or more per photo, and the page shows her each one as it comes.
        """
        from hub.vision.face_detector import default_detector, detect_everywhere

        detector = detector or default_detector()
        key = slug(name)
        person = self.people.get(key) or Person(name=name, role=role)
        person.role = role
        results: list[PhotoResult] = []
        started = time.monotonic()

        def done(result: PhotoResult) -> None:
            nonlocal started
            results.append(result)
            if progress is not None:
                progress(len(results) - 1, result, time.monotonic() - started)
            started = time.monotonic()

        for photo in photos:
            try:
                image = load_rgb(photo)
            except InputRejected as err:
                done(PhotoResult(photo.name, False, str(err)))
                continue
            bgr = np.ascontiguousarray(image[:, :, ::-1])
            boxes = detect_everywhere(detector, bgr)  # the detector the cameras use
            if len(boxes) == 0:
                done(PhotoResult(photo.name, False, f"{photo.name}: no face found; use a photo "
                                 "where the face is clearly visible and facing the camera"))
                continue
            if len(boxes) > 1:
                done(PhotoResult(photo.name, False, f"{photo.name}: {len(boxes)} faces found; use a "
                                 "photo with only this person in it, or crop it to one face"))
                continue
            [box] = boxes
            encoding = encode_face(bgr, box)
            person.encodings.append([float(x) for x in encoding])
            person.photos.append(photo.name)
            done(PhotoResult(photo.name, True, f"{photo.name}: face found and enrolled ({photo_quality(bgr, box)})"))
        if person.encodings:
            self.save(person)
        return results

    def remove(self, key: str) -> "Person | None":
        """Forget an enrolled person (their face encodings go with the file); None when there is no such person."""
        person = self.people.get(key)
        if person is None:
            return None
        (self.folder / f"{key}.json").unlink(missing_ok=True)
        self.people = {k: v for k, v in self.people.items() if k != key}
        return person

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
            distance = float(np.min(distances(np.array(person.encodings), encoding)))
            if distance > self.tolerance or (best[1] is not None and distance >= best[1]):
                continue
            if person.rejected and float(np.min(distances(
                    np.array(person.rejected), encoding))) < REJECTION_RADIUS:
                continue
            best = (person.name, distance, person.role)
        return best


GOOD_FACE_PX = 80  # a face this wide in an enrolment photo gives a template as good as a close camera view
SHARP = 40.0  # variance of the Laplacian inside the face box; a blurred face scores below this


def face_sharpness(frame_bgr: Frame, box: Box) -> float:
    """Variance of the Laplacian inside the face box: low for a blurred or moving face."""
    import cv2

    crop = frame_bgr[max(0, box.top):box.bottom, max(0, box.left):box.right]
    if crop.size == 0:
        return 0.0
    return float(cv2.Laplacian(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())


def photo_quality(frame_bgr: Frame, box: Box) -> str:
    """What she is told about the face found in an enrolment photo: its size and sharpness, with advice."""
    notes = [f"face {box.width} pixels wide"]
    if box.width < GOOD_FACE_PX:
        notes.append("small: a closer photo of his face will match better")
    sharpness = face_sharpness(frame_bgr, box)
    notes.append("sharp" if sharpness >= SHARP else "blurred: a sharper photo will match better")
    return ", ".join(notes)


def encode_face(frame_bgr: Frame, box: Box) -> np.ndarray:
    """The 128-d encoding of the face in ``box``, computed on a crop around it (not the whole frame)."""
    height, width = frame_bgr.shape[:2]
    margin = max(box.width, box.height) // 2
    left, top = max(0, box.left - margin), max(0, box.top - margin)
    right, bottom = min(width, box.right + margin), min(height, box.bottom + margin)
    crop = np.ascontiguousarray(frame_bgr[top:bottom, left:right, ::-1])
    return encode(crop, box.top - top, box.right - left, box.bottom - top, box.left - left)


class FaceFinder:
    """Every face in a picture, each matched against the library (the CLI's ``match``)."""

    def __init__(self, library: FaceLibrary, detector: "FaceDetector | None" = None) -> None:
        from hub.vision.face_detector import default_detector

        self.library = library
        self.detector = detector or default_detector()

    def find(self, frame_bgr: Frame) -> list[FaceHit]:
        """The faces in the frame, each matched or not."""
        hits = []
        for box in self.detector.detect(frame_bgr):
            encoding = encode_face(frame_bgr, box)
            name, distance, role = self.library.best_match(encoding)
            # Only matches keep their encoding (for confirm/reject); strangers' faces are dropped.
            hits.append(FaceHit(box.trbl(), name, distance, role,
                                tuple(float(x) for x in encoding) if name else ()))
        return hits
