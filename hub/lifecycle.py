"""Notices a start after an unclean shutdown (power cut, crash, kill) and how long the hub was down."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

from hub.events import Event, Severity
from hub import kinds


ALIVE_SECONDS = 150.0  # the marker is touched every minute; two missed touches mean no hub is running


def marker_path(data_dir: Path) -> Path:
    """Where a running hub keeps its marker."""
    return data_dir / "run" / "hub.running"


def hub_running(data_dir: Path, now: float | None = None) -> bool:
    """Whether a hub is running on this data directory now (its marker was touched recently)."""
    try:
        touched = marker_path(data_dir).stat().st_mtime
    except OSError:
        return False
    return (now if now is not None else time.time()) - touched < ALIVE_SECONDS


class RunMarker:
    """A file present while the hub runs, touched every minute; found at start means power loss."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def begin(self, now: datetime) -> Event:
        """Create the marker; return ``hub.started`` or ``hub.power_restored`` for the log."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        event: Event
        if self.path.exists():
            last_alive = datetime.fromtimestamp(self.path.stat().st_mtime, timezone.utc)
            event = Event(
                kinds.HUB_POWER_RESTORED, "hub", Severity.WARNING,
                detail={
                    "last_alive": last_alive.isoformat(),
                    "down_seconds_at_most": round((now - last_alive).total_seconds()),
                    "note": "the hub did not shut down cleanly (power cut, crash or kill)",
                },
                at=now,
            )
        else:
            event = Event(kinds.HUB_STARTED, "hub", Severity.INFO, at=now)
        self.touch()
        return event

    def touch(self) -> None:
        """Record that the hub is alive now (mtime is the last-alive time after a power cut).

        No fsync: the kernel writes the new time back within half a minute, and forcing it would
        cost the SD card a journal commit each time.
        """
        self.path.touch()

    def end(self) -> None:
        """Remove the marker on a clean stop."""
        self.path.unlink(missing_ok=True)
