"""Clocks the hub reads, and a fake one that tests and the simulator can drive."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    """Wall-clock and monotonic time, injectable so timers can be tested without sleeping."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""

    def monotonic(self) -> float:
        """Seconds on a clock that never jumps (for delays, debounce and heartbeats)."""


class SystemClock:
    """The real clocks of the machine."""

    def now(self) -> datetime:
        """The current UTC time."""
        return datetime.now(timezone.utc)

    def monotonic(self) -> float:
        """time.monotonic()."""
        return time.monotonic()


class FakeClock:
    """A clock that moves only when told to: ``clock.advance(seconds)``."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=timezone.utc)
        self._mono = 1000.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The fake wall-clock time."""
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        """The fake monotonic reading."""
        with self._lock:
            return self._mono

    def advance(self, seconds: float) -> None:
        """Move both clocks forward."""
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._mono += seconds
