"""The vehicle of concern: enrolment from photos (plus plate and colour), matching, passes, loitering."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from hub.config import Config
from hub.errors import InputRejected
from hub.files import write_atomic
from hub.vision.faces import load_rgb, slug
from hub.vision.frames import Frame
from hub.vision.plates import PlateRead, normalise, plate_distance, plate_format

# Hue ranges (OpenCV hue, 0-179) for colour names people use for cars.
COLOUR_HUES: dict[str, tuple[tuple[int, int], ...]] = {
    "red": ((0, 10), (170, 179)), "orange": ((10, 22),), "yellow": ((22, 35),), "green": ((35, 85),),
    "blue": ((85, 130),), "purple": ((130, 170),),
}
NEUTRAL_COLOURS = ("white", "black", "grey", "gray", "silver")
_ORB_FEATURES = 500


def colour_histogram(bgr: Frame) -> np.ndarray:
    """A normalised hue-saturation histogram (the car's paint, roughly)."""
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1], None, [30, 32], [0, 180, 0, 256])
    return cv2.normalize(hist, hist).flatten()


def dominant_colour(bgr: Frame) -> str:
    """The colour name of a region's saturated pixels, or a neutral name."""
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV).reshape(-1, 3)
    saturated = hsv[(hsv[:, 1] > 80) & (hsv[:, 2] > 50)]
    if len(saturated) < 0.15 * len(hsv):
        value = float(np.median(hsv[:, 2]))
        return "white" if value > 180 else "black" if value < 60 else "grey"
    hue = int(np.median(saturated[:, 0]))
    for name, ranges in COLOUR_HUES.items():
        if any(low <= hue <= high for low, high in ranges):
            return name
    return "red"


def orb_descriptors(bgr: Frame) -> np.ndarray | None:
    """ORB local-feature descriptors (shape, badges, stickers, dents)."""
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    _, descriptors = cv2.ORB.create(_ORB_FEATURES).detectAndCompute(grey, None)
    return descriptors


def feature_similarity(a: np.ndarray | None, b: np.ndarray | None) -> float:
    """Share of local features that match unambiguously (Lowe's ratio test), 0-1."""
    if a is None or b is None or len(a) < 2 or len(b) < 2:
        return 0.0
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(a, b, k=2)
    good = sum(1 for pair in pairs if len(pair) == 2 and pair[0].distance < 0.75 * pair[1].distance)
    return good / min(len(a), len(b))


@dataclass
class Vehicle:
    """An enrolled vehicle."""

    name: str
    plate: str | None = None
    colour: str | None = None
    histograms: list[list[float]] = field(default_factory=list)
    descriptors: list[str] = field(default_factory=list)  # base64 of uint8 arrays (N x 32)
    shapes: list[list[int]] = field(default_factory=list)
    photos: list[str] = field(default_factory=list)

    def descriptor_arrays(self) -> list[np.ndarray]:
        """The stored ORB descriptors as arrays."""
        return [np.frombuffer(base64.b64decode(data), np.uint8).reshape(shape)
                for data, shape in zip(self.descriptors, self.shapes)]


@dataclass(frozen=True)
class VehicleHit:
    """How well a region matches an enrolled vehicle, and why."""

    name: str
    score: float
    plate: str | None
    plate_errors: int | None
    plate_confidence: float | None
    colour_score: float
    feature_score: float


class VehicleLibrary:
    """Enrolled vehicles, one JSON file each under ``folder``."""

    def __init__(self, folder: Path, plate_max_errors: int = 1, min_score: float = 0.6) -> None:
        self.folder = folder
        self.plate_max_errors = plate_max_errors
        self.min_score = min_score
        self.vehicles: dict[str, Vehicle] = {}
        if folder.is_dir():
            for path in sorted(folder.glob("*.json")):
                self.vehicles[path.stem] = Vehicle(**json.loads(path.read_text()))

    @classmethod
    def for_config(cls, config: Config) -> "VehicleLibrary":
        """The hub's library: data_dir/vehicles, with the configured plate and score thresholds."""
        return cls(config.data_dir / "vehicles", config.recognition.plate_max_errors,
                   config.recognition.vehicle_min_score)

    def enroll(self, name: str, photos: Sequence[Path], plate: str | None = None,
               colour: str | None = None) -> list[str]:
        """Add photos (and plate, colour) of a vehicle; return one line per photo."""
        if colour is not None and colour.lower() not in (*COLOUR_HUES, *NEUTRAL_COLOURS):
            known = ", ".join((*COLOUR_HUES, *NEUTRAL_COLOURS))
            raise InputRejected(f"colour {colour!r} is not one Porchlight knows; use one of: {known}")
        key = slug(name)
        vehicle = self.vehicles.get(key) or Vehicle(name=name)
        vehicle.plate = normalise(plate) if plate else vehicle.plate
        vehicle.colour = colour.lower() if colour else vehicle.colour
        lines = []
        for photo in photos:
            try:
                bgr = np.ascontiguousarray(load_rgb(photo)[:, :, ::-1])
            except InputRejected as err:
                lines.append(f"rejected: {err}")
                continue
            descriptors = orb_descriptors(bgr)
            vehicle.histograms.append([float(x) for x in colour_histogram(bgr)])
            if descriptors is not None:
                vehicle.descriptors.append(base64.b64encode(descriptors.tobytes()).decode("ascii"))
                vehicle.shapes.append(list(descriptors.shape))
            vehicle.photos.append(photo.name)
            lines.append(f"accepted: {photo.name}: {0 if descriptors is None else len(descriptors)} features, "
                         f"looks {dominant_colour(bgr)}")
        if vehicle.histograms or vehicle.plate:
            write_atomic(self.folder / f"{key}.json", json.dumps(vehicle.__dict__).encode("utf-8"))
            self.vehicles[key] = vehicle
        return lines

    def remove(self, key: str) -> "Vehicle | None":
        """Forget an enrolled vehicle; None when there is no such vehicle."""
        vehicle = self.vehicles.pop(key, None)
        if vehicle is not None:
            (self.folder / f"{key}.json").unlink(missing_ok=True)
        return vehicle

    def formats(self) -> list[str]:
        """The shapes of the enrolled plates (LLDDDLL...): reads are fitted to them before comparing."""
        return sorted({plate_format(v.plate) for v in self.vehicles.values() if v.plate})

    def plate_matches(self, hit: VehicleHit) -> bool:
        """Whether the hit rests on the plate: read, and within the allowed misread characters."""
        return hit.plate_errors is not None and hit.plate_errors <= self.plate_max_errors

    def match(self, region: Frame, plates: Sequence[PlateRead]) -> list[VehicleHit]:
        """Scores of a vehicle-sized region against every enrolled vehicle (matches first)."""
        hist = colour_histogram(region)
        descriptors = orb_descriptors(region)
        seen_colour = dominant_colour(region)
        hits = []
        for vehicle in self.vehicles.values():
            plate_errors, plate_text, plate_confidence = None, None, None
            if vehicle.plate:
                for read in plates:
                    errors = plate_distance(read.text, vehicle.plate)
                    if plate_errors is None or errors < plate_errors:
                        plate_errors, plate_text, plate_confidence = errors, read.text, read.confidence
            colour_score = max((float(cv2.compareHist(hist, np.array(h, np.float32), cv2.HISTCMP_CORREL))
                                for h in vehicle.histograms), default=0.0)
            if vehicle.colour and vehicle.colour not in NEUTRAL_COLOURS and seen_colour != vehicle.colour:
                colour_score = min(colour_score, 0.0)
            feature_score = max((feature_similarity(descriptors, d) for d in vehicle.descriptor_arrays()),
                                default=0.0)
            score = 0.6 * max(colour_score, 0.0) + 0.4 * min(1.0, feature_score * 2)
            if plate_errors is not None and plate_errors <= self.plate_max_errors:
                score = 1.0  # the plate is the strongest evidence there is
            elif plate_errors is not None and plate_errors > self.plate_max_errors + 1:
                score = min(score, 0.3)  # a clearly different plate: a look-alike, not his car
            hits.append(VehicleHit(vehicle.name, round(score, 3), plate_text, plate_errors, plate_confidence,
                                   round(colour_score, 3), round(feature_score, 3)))
        hits.sort(key=lambda hit: hit.score, reverse=True)
        return hits


class PassTracker:
    """Counts drive-bys: a sighting after ``gap`` seconds unseen is a new pass; long stays are loitering."""

    def __init__(self, gap: float, loitering: float) -> None:
        self.gap = gap
        self.loitering = loitering
        self.passes: dict[str, int] = {}
        self._first: dict[str, float] = {}
        self._last: dict[str, float] = {}
        self._loitered: set[str] = set()

    def sighted(self, name: str, t: float) -> tuple[bool, bool]:
        """(new pass, started loitering) for a sighting at ``t``."""
        last = self._last.get(name)
        new_pass = last is None or t - last > self.gap
        if new_pass:
            self.passes[name] = self.passes.get(name, 0) + 1
            self._first[name] = t
            self._loitered.discard(name)
        self._last[name] = t
        loitering = name not in self._loitered and t - self._first[name] >= self.loitering
        if loitering:
            self._loitered.add(name)
        return new_pass, loitering

    def open(self, t: float) -> bool:
        """Whether any pass is still going on at ``t`` (seen within the gap)."""
        return any(t - last <= self.gap for last in self._last.values())

    def stayed(self, name: str, t: float) -> float:
        """Seconds since this pass began."""
        return t - self._first.get(name, t)
