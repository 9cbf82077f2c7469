"""The one event type that crosses every component boundary."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any, Mapping

JsonValue = Any  # JSON-serialisable: str, int, float, bool, None, lists and dicts of those


class Severity(str, enum.Enum):
    """How urgent an event is; alerts use it to pick channels and escalation."""

    DEBUG = "debug"
    INFO = "info"
    NOTICE = "notice"
    WARNING = "warning"
    CRITICAL = "critical"


def utc_now() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def _frozen(detail: Mapping[str, JsonValue]) -> Mapping[str, JsonValue]:
    return MappingProxyType(dict(detail))


@dataclass(frozen=True)
class Event:
    """Something that happened: a door opened, a face matched, the owner wrote a note.

    ``source`` is a config id (``front_door``) or a component name (``hub``, ``cli``);
    ``evidence`` holds SHA-256 hex digests of files in the evidence store.
    """

    kind: str
    source: str
    severity: Severity = Severity.INFO
    detail: Mapping[str, JsonValue] = field(default_factory=dict)
    evidence: tuple[str, ...] = ()
    at: datetime = field(default_factory=utc_now)

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError(f"Event.at must be timezone-aware, got naive {self.at!r}")
        object.__setattr__(self, "detail", _frozen(self.detail))
        object.__setattr__(self, "evidence", tuple(self.evidence))


@dataclass(frozen=True)
class LoggedEvent:
    """An event as the incident log holds it, with its place in the chain."""

    seq: int
    kind: str
    source: str
    severity: Severity
    detail: Mapping[str, JsonValue]
    evidence: tuple[str, ...]
    at: datetime
    recorded_at: datetime
    hash: str

    def to_json(self) -> dict[str, JsonValue]:
        """The JSON object ``porchlight log list --json`` prints for this row."""
        return {
            "seq": self.seq,
            "kind": self.kind,
            "source": self.source,
            "severity": self.severity.value,
            "at": self.at.isoformat(),
            "recorded_at": self.recorded_at.isoformat(),
            "detail": dict(self.detail),
            "evidence": list(self.evidence),
            "hash": self.hash,
        }
