"""Sensor sources: each runs on its own threads and only publishes Events onto the bus."""

from __future__ import annotations

from typing import Protocol


class Source(Protocol):
    """Something that watches the physical world and publishes events."""

    def start(self) -> None:
        """Begin watching (spawn threads, connect)."""

    def stop(self) -> None:
        """Stop watching and release hardware or connections."""
