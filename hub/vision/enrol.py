"""Enrolling the person or vehicle of concern, and her verdict on a match: the change to the library
and the event that records it, the same whether she uses the command line or the dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from hub.config import Config
from hub.events import Event, LoggedEvent, Severity
from hub.evidence import EvidenceStore
from hub.vision.faces import FaceLibrary, PhotoResult, Role
from hub.vision.vehicles import VehicleLibrary
from hub import kinds


def _stored(evidence: EvidenceStore, photos: Sequence[Path], labels: Sequence[str],
            results: Sequence[PhotoResult]) -> list[dict[str, str]]:
    """The accepted photos, kept as evidence under the names she knows them by."""
    return [{"name": label, "sha256": evidence.put_file(photo)}
            for photo, label, result in zip(photos, labels, results) if result.accepted]


def enrol_person(config: Config, evidence: EvidenceStore, name: str, photos: Sequence[Path],
                 labels: Sequence[str], role: Role,
                 progress: Callable[[int, PhotoResult, float], None] | None = None,
                 ) -> tuple[list[PhotoResult], Event | None]:
    """Enrol photos (``labels`` name them in messages); the event is None when no photo was accepted.

    ``progress`` hears of each photo as it is done, named by its label."""
    def told(index: int, result: PhotoResult, seconds: float) -> None:
        if progress is not None:
            progress(index, PhotoResult(labels[index], result.accepted,
                                        result.message.replace(photos[index].name, labels[index])), seconds)

    results = FaceLibrary.for_config(config).enroll(name, photos, role=role, progress=told)
    shown = [PhotoResult(label, r.accepted, r.message.replace(photo.name, label))
             for photo, label, r in zip(photos, labels, results)]
    stored = _stored(evidence, photos, labels, shown)
    if not stored:
        return shown, None
    return shown, Event(kinds.PERSON_ENROLLED, "owner", Severity.NOTICE,
                        detail={"person": name, "role": role, "photos": stored},
                        evidence=tuple(p["sha256"] for p in stored))


def enrol_vehicle(config: Config, evidence: EvidenceStore, name: str, photos: Sequence[Path],
                  labels: Sequence[str], plate: str | None, colour: str | None) -> tuple[list[PhotoResult], Event]:
    """Enrol a vehicle from photos, plate and colour; raises InputRejected for a colour it does not know."""
    lines = VehicleLibrary.for_config(config).enroll(name, photos, plate=plate, colour=colour)
    shown = [PhotoResult(label, line.startswith("accepted"), line.split(": ", 1)[1].replace(photo.name, label))
             for photo, label, line in zip(photos, labels, lines)]
    stored = _stored(evidence, photos, labels, shown)
    return shown, Event(kinds.VEHICLE_ENROLLED, "owner", Severity.NOTICE,
                        detail={"vehicle": name, "plate": plate, "colour": colour, "photos": stored},
                        evidence=tuple(p["sha256"] for p in stored))


def remove_person(config: Config, key: str) -> Event | None:
    """Forget an enrolled person; the row that records it (None: nobody by that key)."""
    person = FaceLibrary.for_config(config).remove(key)
    if person is None:
        return None
    return Event(kinds.PERSON_REMOVED, "owner", Severity.NOTICE,
                 detail={"person": person.name, "photos_forgotten": len(person.encodings)})


def remove_vehicle(config: Config, key: str) -> Event | None:
    """Forget an enrolled vehicle; the row that records it (None: no vehicle by that key)."""
    vehicle = VehicleLibrary.for_config(config).remove(key)
    if vehicle is None:
        return None
    return Event(kinds.VEHICLE_REMOVED, "owner", Severity.NOTICE,
                 detail={"vehicle": vehicle.name, "plate": vehicle.plate})


def review(config: Config, match: LoggedEvent, verdict: str, note: str | None) -> Event:
    """Her verdict on a face or vehicle match; a rejected face also teaches the matcher not to repeat it."""
    family = match.kind.split(".")[0]
    who = str(match.detail.get("person") or match.detail.get("vehicle") or "")
    if family == "face" and verdict == "reject":
        library = FaceLibrary.for_config(config)
        legacy = match.detail.get("encoding")  # rows written before encodings moved into the library
        if not library.reject_sighting(who, str(match.detail.get("incident") or "")) and legacy:
            library.reject(who, list(legacy))
    kind = f"{family}.{'rejected' if verdict == 'reject' else 'confirmed'}"
    return Event(kind, "owner", Severity.NOTICE,
                 detail={"match_seq": match.seq, "person" if family == "face" else "vehicle": who, "note": note})
