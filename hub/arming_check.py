"""Before arming: which doors and windows are open, and which sensors have stopped reporting.

Alarm panels refuse to arm over an open zone unless it is bypassed; so does Porchlight. A door he
left "open" with one spoofed message would otherwise never alarm: its real opening is no change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Protocol, Sequence

from hub.config import SensorConfig
from hub.events import LoggedEvent
from hub.sensor_kinds import sensor_kind
from hub import kinds


class Reader(Protocol):
    """What the check reads of the log."""

    def events(self, *, source: str | None = None, kinds: Sequence[str] | None = None, newest_first: bool = False,
               limit: int | None = None) -> list[LoggedEvent]:
        """Rows, filtered."""


@dataclass(frozen=True)
class NotReady:
    """A sensor that keeps the home from being armed as it is."""

    sensor: str
    label: str
    why: str  # "open" or "not reporting"

    def words(self) -> str:
        """"Back door is open"."""
        return f"{self.label} is {self.why}"


def not_ready(sensors: Mapping[str, SensorConfig], log: Reader, mode: str) -> list[NotReady]:
    """The sensors that would alarm in ``mode`` and are open now, or have stopped reporting."""
    found = []
    for sid, sensor in sensors.items():
        about = sensor_kind(sensor.kind)
        if about.restored is None or mode not in sensor.modes_that_alert():
            continue
        label = sensor.label or sid.replace("_", " ").capitalize()
        latest = log.events(source=sid, kinds=(about.triggered, about.restored, kinds.SENSOR_OFFLINE,
                                               kinds.SENSOR_ONLINE, kinds.SENSOR_SUSPECT), newest_first=True, limit=5)
        states = [e.kind for e in latest]
        if states and states[0] == kinds.SENSOR_OFFLINE:
            found.append(NotReady(sid, label, "not reporting"))
            continue
        if states and states[0] == kinds.SENSOR_SUSPECT:
            # Its last change was in a shape its device does not send: its "closed" may be his.
            found.append(NotReady(sid, label, "reporting unlike its own device (check it)"))
            continue
        last = next((k for k in states if k in (about.triggered, about.restored)), None)
        if last == about.triggered:
            found.append(NotReady(sid, label, "open"))
    return found
