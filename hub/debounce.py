"""Contact debounce against an injectable clock: a level counts once it has held still."""

from __future__ import annotations


class Debouncer:
    """Accepts a new level only after it has been stable for ``window`` seconds.

    Reed switches chatter for a few milliseconds when a door moves; a door that is slammed
    can bounce open and shut. Waiting for a stable level records what the door really did.
    """

    def __init__(self, window: float, level: bool | None = None) -> None:
        self.window = window
        self.stable = level
        self._raw = level
        self._changed_at = 0.0

    def feed(self, level: bool, now: float) -> None:
        """Record a raw edge seen at ``now``."""
        if level != self._raw:
            self._raw = level
            self._changed_at = now

    def due(self) -> float | None:
        """When a pending change will have settled, or None if nothing is pending."""
        if self._raw is None or self._raw == self.stable:
            return None
        return self._changed_at + self.window

    def settle(self, now: float) -> bool | None:
        """The new stable level if a pending change has held for the window, else None."""
        due = self.due()
        if due is None or now < due:
            return None
        self.stable = self._raw
        return self.stable
