"""Facts about time that make a timestamp defensible: zone offset, boot id, clock sync."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

logger = logging.getLogger(__name__)

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
_TIMESYNCD_FLAG = Path("/run/systemd/timesync/synchronized")
_TIME_ERROR = 5  # adjtimex() returns TIME_ERROR while the kernel clock is unsynchronised


@dataclass(frozen=True)
class TimeStamp:
    """When a row was recorded, with what is needed to defend that time in court."""

    recorded_at: datetime
    tz_offset: str
    monotonic_ns: int
    boot_id: str
    clock_synced: bool | None


def boot_id() -> str:
    """The kernel's id for this boot; a new one after every power cycle."""
    try:
        return _BOOT_ID.read_text().strip()
    except OSError:
        # Not Linux (or /proc hidden): one id per process is the honest fallback.
        return _PROCESS_BOOT_ID


_PROCESS_BOOT_ID = "process-" + uuid.uuid4().hex


def clock_synchronised() -> bool | None:
    """Whether the system clock is NTP-synchronised; None when it cannot be told."""
    if _TIMESYNCD_FLAG.exists():
        return True
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return None
    try:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        # struct timex is 208 bytes on 64-bit Linux; a zeroed larger buffer with modes=0 only reads.
        buf = ctypes.create_string_buffer(512)
        state = int(libc.adjtimex(buf))
    except (OSError, AttributeError):
        return None
    if state < 0:
        return None
    return state != _TIME_ERROR


def local_offset(at: datetime) -> str:
    """The local zone's UTC offset at ``at`` as ``+HH:MM``."""
    local = at.astimezone()
    offset = local.utcoffset()
    seconds = int(offset.total_seconds()) if offset is not None else 0
    sign = "+" if seconds >= 0 else "-"
    seconds = abs(seconds)
    return f"{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


class TimeSource:
    """Stamps rows; caches the facts that change rarely and re-reads sync status each minute."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self._boot_id = boot_id()
        self._synced: bool | None = None
        self._synced_checked = -1e9

    def stamp(self) -> TimeStamp:
        """A TimeStamp for a row being recorded now."""
        mono = time.monotonic()
        if mono - self._synced_checked > 60:
            self._synced = clock_synchronised()
            self._synced_checked = mono
        now = self._now()
        return TimeStamp(
            recorded_at=now,
            tz_offset=local_offset(now),
            monotonic_ns=time.monotonic_ns(),
            boot_id=self._boot_id,
            clock_synced=self._synced,
        )


class JumpDetector:
    """Notices the wall clock jumping against the monotonic clock (NTP step, manual change)."""

    def __init__(self, threshold_seconds: float = 2.0) -> None:
        self.threshold = threshold_seconds
        self._base: float | None = None

    def check(self, wall: float, mono: float) -> float | None:
        """Return the jump in seconds when the wall clock moved against the monotonic one."""
        offset = wall - mono
        if self._base is None:
            self._base = offset
            return None
        jump = offset - self._base
        if abs(jump) >= self.threshold:
            self._base = offset
            return jump
        return None
