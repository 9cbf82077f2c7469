"""Manual incident entries: what she saw, in her words, with the details a court asks for (DOC-1)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from hub.events import Event, Severity

Category = Literal["surveillance", "life_invasion", "intimidation", "interference", "other"]
CATEGORIES: tuple[str, ...] = ("surveillance", "life_invasion", "intimidation", "interference", "other")


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

    def to_event(self, at: datetime) -> Event:
        """The log event for this report (kind ``incident.report``), citing its attachments."""
        detail = self.model_dump(mode="json", exclude_none=True, exclude_defaults=False)
        return Event(
            "incident.report",
            self.recorded_by,
            Severity.NOTICE,
            detail=detail,
            evidence=tuple(a.sha256 for a in self.attachments),
            at=self.started_at or at,
        )
