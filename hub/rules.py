"""Pure alarm rules: given an event, the arm state and the time, decide what happens next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping

from hub import kinds
from hub.arming import MODES, ArmState
from hub.config import ArmingConfig, SensorConfig
from hub.events import Event, Severity
from hub.sensor_kinds import TRIGGERED_KINDS, sensor_kind

@dataclass(frozen=True)
class SetState:
    """Replace the arm state (mode change, delay started or finished)."""

    state: ArmState


@dataclass(frozen=True)
class RecordEntryDelay:
    """Log that the entry delay started: she has until ``until`` to disarm."""

    until: datetime
    cause_seq: int
    source: str


@dataclass(frozen=True)
class RaiseAlarm:
    """Log an alarm and put an alert in the outbox."""

    priority: Severity
    reason: str
    cause_seq: int
    source: str
    kind: str = kinds.ALARM_TRIGGERED
    silent: bool = False  # a duress alarm: contacts are told, nothing at the home shows it


Action = SetState | RecordEntryDelay | RaiseAlarm


class Rules:
    """The alarm policy of one configuration; every method is a pure function of its inputs."""

    def __init__(self, sensors: Mapping[str, SensorConfig], arming: ArmingConfig) -> None:
        self.sensors = sensors
        self.arming = arming

    def decide(self, event: Event, seq: int, state: ArmState, now: datetime) -> list[Action]:
        """What follows from a committed event."""
        if event.kind == kinds.ARM_SET:
            return self._arm(event, state, now)
        # Kinds with ``alerts`` in hub/kinds.py alarm whatever the mode: she needs to know even while
        # disarmed (SEC-4: a change to credentials, contacts or logins too, in case it was not her).
        if event.kind in kinds.ALWAYS_ALERT:
            return [RaiseAlarm(kinds.ALWAYS_ALERT[event.kind], _reason(event, self.sensors), seq, event.source,
                               event.kind, silent=event.kind in kinds.SILENT_KINDS)]
        if event.kind not in TRIGGERED_KINDS:  # "this sensor was triggered", not restored or reporting
            return []
        if event.source in state.bypassed:  # she armed with it left open, knowingly, for this arming only
            return []
        sensor = self.sensors.get(event.source)
        if sensor is None or state.mode not in sensor.modes_that_alert():
            return []
        if state.exit_until is not None and now < state.exit_until:
            return []
        if state.entry_until is not None:
            return []  # already counting down; the first opening is the cause
        delay = self.arming.entry_delay_seconds
        if sensor.uses_entry_delay() and state.mode in self.arming.entry_delay_modes and delay > 0:
            until = now + timedelta(seconds=delay)
            new = ArmState(state.mode, state.exit_until, until, seq, event.source)
            return [SetState(new), RecordEntryDelay(until, seq, event.source)]
        return [RaiseAlarm(Severity.CRITICAL, _reason(event, self.sensors), seq, event.source, event.kind)]

    def tick(self, state: ArmState, now: datetime) -> list[Action]:
        """What follows from time passing: an entry delay running out, an exit delay ending."""
        actions: list[Action] = []
        if state.entry_until is not None and now >= state.entry_until:
            source = state.entry_source or "hub"
            sensor = self.sensors.get(source)
            # The alarm is about what started the delay: a window or a motion sensor too, not only a door.
            kind = sensor_kind(sensor.kind).triggered if sensor is not None else kinds.ALARM_TRIGGERED
            what = kinds.about(kind).sentence(_label(source, self.sensors), source, {})
            actions.append(SetState(ArmState(state.mode, state.exit_until)))
            actions.append(RaiseAlarm(
                Severity.CRITICAL,
                f"{what} while armed ({state.mode}) and nobody disarmed within "
                f"{self.arming.entry_delay_seconds} s",
                state.entry_cause_seq or 0,
                source,
                kind,
            ))
        elif state.exit_until is not None and now >= state.exit_until:
            actions.append(SetState(ArmState(state.mode, None, state.entry_until,
                                             state.entry_cause_seq, state.entry_source)))
        return actions

    def _arm(self, event: Event, state: ArmState, now: datetime) -> list[Action]:
        mode = str(event.detail.get("mode"))
        if mode not in MODES:
            return []
        exit_until = None
        if mode != "disarmed" and self.arming.exit_delay_seconds > 0:
            exit_until = now + timedelta(seconds=self.arming.exit_delay_seconds)
        bypassed = event.detail.get("bypassed")
        chosen = tuple(str(s) for s in bypassed) if isinstance(bypassed, list) else ()
        return [SetState(state.with_mode(mode, exit_until, chosen))]


def _label(source: str, sensors: Mapping[str, SensorConfig]) -> str:
    sensor = sensors.get(source)
    if sensor is not None and sensor.label:
        return sensor.label
    return source.replace("_", " ").capitalize() if source else "A sensor"


def _reason(event: Event, sensors: Mapping[str, SensorConfig]) -> str:
    return kinds.about(event.kind).sentence(_label(event.source, sensors), event.source, event.detail)
