"""Manual incident entries: what she saw, in her words, with the details a court asks for (DOC-1)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from hub.events import Event, LoggedEvent, Severity
from hub import kinds

def _known_category(name: str) -> str:
    if name not in kinds.CATEGORIES:
        raise ValueError(f"must be one of {', '.join(kinds.CATEGORIES)}")
    return name


Category = Annotated[str, AfterValidator(_known_category)]


class Witness(BaseModel):
    """Someone who saw it, and how to reach them."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=200)
    contact: str | None = Field(None, max_length=200)


class Vehicle(BaseModel):
    """The vehicle involved, as far as she could see it."""

    model_config = ConfigDict(extra="forbid")
    make: str | None = Field(None, max_length=100)
    model: str | None = Field(None, max_length=100)
    colour: str | None = Field(None, max_length=50)
    plate: str | None = Field(None, max_length=20)


class Attachment(BaseModel):
    """A file attached to an entry; the file itself is in the evidence store under its hash."""

    model_config = ConfigDict(extra="forbid")
    sha256: str
    name: str = Field(max_length=255)
    size: int


class IncidentReport(BaseModel):
    """One incident as a stalking incident log records it. Only the description is required."""

    model_config = ConfigDict(extra="forbid")
    description: str = Field(min_length=1, max_length=20_000)
    started_at: datetime | None = None
    ended_at: datetime | None = None
    location: str | None = Field(None, max_length=500)
    category: Category | None = None
    tags: list[str] = []
    people_present: str | None = Field(None, max_length=1000)
    children_present: bool | None = None
    witnesses: list[Witness] = []
    vehicle: Vehicle | None = None
    weapon: str | None = Field(None, max_length=500)
    statements: str | None = Field(None, max_length=5000)
    impact: str | None = Field(None, max_length=5000)
    police_called: bool | None = None
    officer_name: str | None = Field(None, max_length=200)
    officer_badge: str | None = Field(None, max_length=50)
    police_report_number: str | None = Field(None, max_length=100)
    protective_order_ref: str | None = Field(None, max_length=200)
    suspected_technology: str | None = Field(None, max_length=1000)
    attachments: list[Attachment] = []
    recorded_by: str = "owner"

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> "IncidentReport":
        if self.started_at and self.ended_at and self.ended_at < self.started_at:
            raise ValueError("when it ended is before when it started")
        return self

    def to_event(self, at: datetime) -> Event:
        """The log event for this report (kind ``incident.report``), citing its attachments."""
        detail = self.model_dump(mode="json", exclude_none=True, exclude_defaults=False)
        return Event(
            kinds.INCIDENT_REPORT,
            self.recorded_by,
            Severity.NOTICE,
            detail=detail,
            evidence=tuple(a.sha256 for a in self.attachments),
            at=self.started_at or at,
        )


# --- which rows are incidents, and how to say what they were ------------------------------------

# What counts as an incident (routine rows such as heartbeats, logins and checkpoints do not), and the
# rows added later that point at one (her narrative or corrections, match reviews): see hub/kinds.py.

def category_of(event: LoggedEvent) -> str:
    """Her category for her own entries; a fixed one for what the hub saw by itself."""
    if event.kind == kinds.INCIDENT_REPORT:
        return str(event.detail.get("category") or "other")
    return kinds.category_of(event.kind) or "other"


def describe(event: LoggedEvent) -> str:
    """One line saying what happened."""
    detail = event.detail
    text = detail.get("description") or detail.get("reason")
    if isinstance(text, dict):  # a sealed hub's words, as their commitment, until she unlocks
        return f"{kinds.about(event.kind).short or event.kind} (sealed: unlock to read)"
    if text:
        return str(text)[:160]
    if event.kind == kinds.FACE_MATCH:
        return f"{detail.get('person', 'person of concern')} seen by {event.source}"
    if event.kind in (kinds.VEHICLE_MATCH, kinds.VEHICLE_LOITERING):
        what = "loitering" if event.kind == kinds.VEHICLE_LOITERING else "passed"
        return f"{detail.get('vehicle', 'vehicle of concern')} {what} ({event.source})"
    if event.kind == kinds.VEHICLE_POSSIBLE:
        return (f"possibly {detail.get('vehicle', 'the vehicle of concern')} ({event.source}, looks "
                f"{detail.get('score', '?')} alike, plate not read): for your review")
    return f"{event.kind} from {event.source}"


def follows_up(event: LoggedEvent) -> int | None:
    """The incident row this row adds to, if it is a follow-up."""
    if event.kind not in kinds.FOLLOW_UP_KINDS:
        return None
    target = event.detail.get("corrects", event.detail.get("match_seq"))
    return int(target) if isinstance(target, int) else None


def incident_id(event: LoggedEvent) -> str | None:
    """The id that ties camera clips to this incident (a match's own id, or the panic's row)."""
    found = event.detail.get("incident")
    if isinstance(found, str):
        return found
    return f"panic-{event.seq}" if event.kind == kinds.PANIC else None


def is_clip_of(candidate: LoggedEvent, incident: str | None) -> bool:
    """Whether a row is a camera clip recorded for this incident."""
    return (incident is not None and candidate.kind == kinds.CAMERA_CLIP
            and incident in (candidate.detail.get("incidents") or []))
