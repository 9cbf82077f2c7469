"""What arrives from the network and is refused: counted and summarised, never a synced row per message.

Anyone on her Wi-Fi can publish to the broker. A refused message is acknowledged at once (it carries
nothing to keep, so it must never hold the broker's in-flight window), and the log gets the first
refusal on each topic in a window as it happens, then one summary row per topic and window with
the count and a sample. A flood of junk costs a few rows a minute, not thousands of synced writes.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from hub.events import Event, Severity
from hub import kinds

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60.0
_SAMPLE_BYTES = 64
_MAX_PROBLEM = 300
_MAX_TOPICS = 256  # topics are ours (we only receive what we subscribe to), but bound the table anyway

Publish = Callable[[Event], None]


@dataclass
class _Window:
    started: float
    first_at: datetime
    source: str
    count: int = 0  # refusals after the first, not yet summarised
    problems: dict[str, int] = field(default_factory=dict)
    sample: str = ""


class Rejections:
    """One per hub: ``reject()`` from any handler thread, ``flush()`` from housekeeping."""

    def __init__(self, publish: Publish, now: Callable[[], datetime], monotonic: Callable[[], float],
                 window: float = WINDOW_SECONDS) -> None:
        self._publish = publish
        self._now = now
        self._monotonic = monotonic
        self.window = window
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()
        self.total = 0

    def reject(self, source: str, topic: str, problem: str, payload: bytes) -> None:
        """Count one refused message; the first in its window is logged now, the rest in the summary."""
        problem = problem[:_MAX_PROBLEM]
        now, mono = self._now(), self._monotonic()
        with self._lock:
            self.total += 1
            current = self._windows.get(topic)
            if current is not None:
                current.count += 1
                current.problems[problem] = current.problems.get(problem, 0) + 1
                if len(current.problems) > 8:  # keep the commonest few
                    current.problems.pop(min(current.problems, key=current.problems.__getitem__))
                return
            if len(self._windows) >= _MAX_TOPICS:
                return
            self._windows[topic] = _Window(mono, now, source, sample=payload[:_SAMPLE_BYTES].hex())
        # The journal, like the log, hears of the first in a window only: a flood must not fill the SD card.
        logger.warning("refused a message on %s: %s", topic, problem)
        self._publish(Event(kinds.INPUT_REJECTED, source, Severity.WARNING,
                            {"topic": topic, "problem": problem, "size": len(payload),
                             "payload_hex": payload[:_SAMPLE_BYTES].hex()}, at=now))

    def flush(self, force: bool = False) -> None:
        """Summarise and close the windows that have run their time (all of them when ``force``)."""
        mono = self._monotonic()
        with self._lock:
            done = [t for t, w in self._windows.items() if force or mono - w.started >= self.window]
            closed = [(t, self._windows.pop(t)) for t in done]
        for topic, window in closed:
            if window.count == 0:
                continue
            logger.warning("refused %d more messages on %s", window.count, topic)
            self._publish(Event(kinds.INPUT_FLOOD, window.source, Severity.WARNING, {
                "topic": topic, "count": window.count, "since": window.first_at.isoformat(),
                "problems": dict(window.problems), "first_payload_hex": window.sample,
                "note": f"{window.count} more refused messages on this topic after the first"}, at=self._now()))
