"""The bounded queue every source publishes onto and the pipeline consumes from."""

from __future__ import annotations

import queue
import sqlite3
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

from hub.events import Event

OnCommitted = Callable[[int], None]


class InTransaction(Protocol):
    """A row another table's owner writes in the same transaction as an event's log row (an outbox alert)."""

    def write(self, conn: sqlite3.Connection, seq: int) -> None:
        """Insert the row that goes with log row ``seq``."""


@dataclass(frozen=True)
class Envelope:
    """An event on its way to the log, with what to do once it is committed (e.g. MQTT ack)."""

    event: Event
    on_committed: OnCommitted | None = None
    also: Sequence[InTransaction] = ()  # committed with the event, or not at all


class Bus:
    """A bounded FIFO. A full bus blocks publishers: backpressure, never silent loss."""

    def __init__(self, maxsize: int = 1000) -> None:
        self._queue: queue.Queue[Envelope] = queue.Queue(maxsize)

    def publish(self, event: Event, on_committed: OnCommitted | None = None,
                also: Sequence[InTransaction] = ()) -> None:
        """Enqueue an event (and rows to commit with it); blocks while the bus is full."""
        self._queue.put(Envelope(event, on_committed, tuple(also)))

    def take(self, timeout: float, most: int = 64) -> list[Envelope]:
        """Wait up to ``timeout`` seconds for events; return up to ``most`` of them in order."""
        try:
            first = self._queue.get(timeout=timeout)
        except queue.Empty:
            return []
        batch = [first]
        while len(batch) < most:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def __len__(self) -> int:
        return self._queue.qsize()
