"""Vehicles on one camera: plates read on vehicle-sized moving regions and on a slow whole-frame sweep.

Only the plate (within the allowed misread characters) makes a sighting his car: a drive-by that
counts and alerts. A car that only looks like his is a possible sighting, one per pass, for her
review. A pass lasts while the car is seen again within ``pass_gap_seconds``; while one is open the
sweep comes round every few seconds, so a car that stops (and no longer moves, so motion no longer
sees it) stays the same pass and, staying long enough, is loitering.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

from hub.vision.frames import Frame
from hub.vision.motion import Region
from hub.vision.plates import read_plates
from hub.vision.vehicles import PassTracker, VehicleHit, VehicleLibrary

Kind = Literal["match", "loitering", "possible"]
VEHICLE_SHARE = 0.12  # a moving region this wide a share of the frame (and wider than tall) may be a car
MOST_AREAS = 2
OPEN_SWEEP_SECONDS = 2.0  # the sweep's pace while one of his cars is about (it may have stopped)


@dataclass(frozen=True)
class Sighting:
    """What the vehicle stage saw: his car (by its plate), his car staying, or a look-alike for her review."""

    kind: Kind
    hit: VehicleHit
    box: Region
    passes: int
    stayed: float


class VehicleWatch:
    """The vehicle stage of one camera's pipeline."""

    def __init__(self, library: VehicleLibrary, *, min_score: float, pass_gap: float, loitering: float,
                 min_gap: float = 0.5, sweep_seconds: float = 10.0) -> None:
        self.library = library
        self.min_score = min_score
        self.min_gap = min_gap  # seconds between two reads of moving regions
        self.sweep_seconds = sweep_seconds
        self.passes = PassTracker(pass_gap, loitering)
        self.possible = PassTracker(pass_gap, loitering)
        self.reads = 0  # OCR passes run: the cost
        self._last_read = self._last_sweep = -1e9

    def step(self, frame: Frame, regions: Sequence[Region], t: float) -> list[Sighting]:
        """Read plates where a car may be; the sightings this frame gives."""
        height, width = frame.shape[:2]
        areas: list[tuple[Region, bool]] = []
        if t - self._last_read >= self.min_gap:
            moving = [r for r in regions if r.width >= width * VEHICLE_SHARE and r.width >= 1.2 * r.height]
            areas += [(r.expanded(0.1, width, height), False) for r in moving[:MOST_AREAS]]
        pace = OPEN_SWEEP_SECONDS if self.passes.open(t) else self.sweep_seconds
        if t - self._last_sweep >= pace:
            self._last_sweep = t
            areas.append((Region(0, 0, width, height), True))
        if not areas:
            return []
        self._last_read = t
        sightings: list[Sighting] = []
        for area, whole_frame in areas:
            crop = frame[area.top:area.bottom, area.left:area.right]
            self.reads += 1
            hits = self.library.match(crop, read_plates(crop, self.library.formats()))
            if not hits:
                continue
            hit = hits[0]
            if self.library.plate_matches(hit):
                new_pass, loitering = self.passes.sighted(hit.name, t)
                count, stayed = self.passes.passes[hit.name], round(self.passes.stayed(hit.name, t), 1)
                if new_pass:
                    sightings.append(Sighting("match", hit, area, count, stayed))
                if loitering:
                    sightings.append(Sighting("loitering", hit, area, count, stayed))
            elif not whole_frame and hit.score >= self.min_score:
                # Colour and shape over a whole frame say nothing about one car: only regions count here.
                if self.possible.sighted(hit.name, t)[0]:
                    sightings.append(Sighting("possible", hit, area, self.possible.passes[hit.name], 0.0))
        return sightings
