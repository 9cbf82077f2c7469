"""Arm modes and the state that must survive a restart: mode, exit and entry deadlines."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Protocol, get_args

from hub.config import ArmMode

MODES: tuple[str, ...] = get_args(ArmMode)
_STATE_KEY = "arm"


@dataclass(frozen=True)
class ArmState:
    """Where the alarm stands. Deadlines are UTC wall-clock times so they outlive a reboot."""

    mode: str = "disarmed"
    exit_until: datetime | None = None
    entry_until: datetime | None = None
    entry_cause_seq: int | None = None
    entry_source: str | None = None
    bypassed: tuple[str, ...] = ()  # sensors she chose to leave out of this arming (a window left open)

    def to_json(self) -> str:
        """Serialise for the state table."""
        data = asdict(self)
        for key in ("exit_until", "entry_until"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> "ArmState":
        """Inverse of to_json; an absent or unreadable state means disarmed."""
        if not text:
            return cls()
        try:
            data = json.loads(text)
            for key in ("exit_until", "entry_until"):
                if data.get(key):
                    data[key] = datetime.fromisoformat(data[key])
            data["bypassed"] = tuple(data.get("bypassed") or ())
            state = cls(**data)
        except (ValueError, TypeError):
            return cls()
        return state if state.mode in MODES else cls()

    def with_mode(self, mode: str, exit_until: datetime | None, bypassed: tuple[str, ...] = ()) -> "ArmState":
        """A new state in ``mode``, with any entry delay cancelled and this arming's bypassed sensors."""
        return replace(self, mode=mode, exit_until=exit_until, entry_until=None,
                       entry_cause_seq=None, entry_source=None, bypassed=bypassed if mode != "disarmed" else ())


class StateTable(Protocol):
    """What ArmStore needs from its storage (hub.state.StateStore)."""

    def get_state(self, key: str) -> str | None:
        """Read a value."""

    def set_state(self, key: str, value: str) -> None:
        """Write a value."""


class ArmStore:
    """Loads and saves ArmState through the state table."""

    def __init__(self, state: StateTable) -> None:
        self._state = state

    def load(self) -> ArmState:
        """The persisted state (disarmed on first start)."""
        return ArmState.from_json(self._state.get_state(_STATE_KEY))

    def save(self, state: ArmState) -> None:
        """Persist the state durably."""
        self._state.set_state(_STATE_KEY, state.to_json())


