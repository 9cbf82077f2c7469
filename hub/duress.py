"""A duress disarm stays invisible to anyone beside her until she says it is over.

The duress PIN answers exactly like the normal one, and nothing at the home may tell them apart
afterwards either: no siren or LED (hub/outputs.py), nothing on MQTT (hub/announce.py), and on her
dashboard none of the rows it caused: the duress row, its silent alarm, and that alarm's delivery
rows. Her contacts see the alert they were sent. Once she marks the situation over (Settings, or
``porchlight safe-now``), everything is shown; the export always holds it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Iterable, TypeVar

from hub.alerts.outbox import Outbox
from hub.events import LoggedEvent
from hub.log import IncidentLog
from hub import kinds

_E = TypeVar("_E", bound=LoggedEvent)


class Veil:
    """Which rows her screens must not show now."""

    def __init__(self, log: IncidentLog, outbox: Outbox) -> None:
        self.log = log
        self.outbox = outbox

    def hidden(self) -> frozenset[int]:
        """The rows caused by a silent alarm not yet marked over."""
        resolved = self.log.events(kind=kinds.DURESS_RESOLVED, newest_first=True, limit=1)
        after = resolved[0].seq if resolved else 0
        causes = [e for e in self.log.events(kinds=sorted(kinds.SILENT_KINDS)) if e.seq > after]
        if not causes:
            return frozenset()
        since = min(e.at for e in causes) - timedelta(minutes=5)
        hidden = {e.seq for e in causes}
        alarms = {e.seq for e in self.log.events(kind=kinds.ALARM_TRIGGERED, since=since)
                  if e.seq > after and e.detail.get("cause_seq") in hidden}
        alerts = self.outbox.alert_ids_for(alarms)
        hidden |= alarms
        hidden |= {e.seq for e in self.log.events(kinds=kinds.ALERT_ROW_KINDS, since=since)
                   if e.detail.get("alert") in alerts}
        return frozenset(hidden)

    def visible(self, events: Iterable[_E]) -> list[_E]:
        """``events`` without the hidden rows."""
        hidden = self.hidden()
        return [e for e in events if e.seq not in hidden]
