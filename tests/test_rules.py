"""Alarm rules as pure functions of (event, state, time)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from hub.arming import ArmState
from hub.config import ArmingConfig, GpioBinding, SensorConfig
from hub.events import Event, Severity
from hub.rules import RaiseAlarm, RecordEntryDelay, Rules, SetState

NOW = datetime(2026, 11, 23, 22, 0, tzinfo=timezone.utc)
SENSORS = {
    "back_door": SensorConfig(kind="door", label="Back door", gpio=GpioBinding(pin=17)),
    "kitchen_window": SensorConfig(kind="window", gpio=GpioBinding(pin=22)),
    "hall": SensorConfig(kind="motion", gpio=GpioBinding(pin=4, normally="open")),
}
RULES = Rules(SENSORS, ArmingConfig(entry_delay_seconds=30, exit_delay_seconds=60))


def _open(source: str = "back_door", kind: str = "door.opened") -> Event:
    return Event(kind, source, at=NOW)


def test_disarmed_door_opening_does_nothing() -> None:
    assert RULES.decide(_open(), 7, ArmState("disarmed"), NOW) == []


def test_away_door_starts_entry_delay_then_alarms() -> None:
    actions = RULES.decide(_open(), 7, ArmState("away"), NOW)
    until = NOW + timedelta(seconds=30)
    assert actions == [SetState(ArmState("away", None, until, 7, "back_door")),
                       RecordEntryDelay(until, 7, "back_door")]
    state = actions[0].state  # type: ignore[union-attr]
    assert RULES.tick(state, NOW + timedelta(seconds=29)) == []
    assert RULES.tick(state, until) == [
        SetState(ArmState("away")),
        RaiseAlarm(Severity.CRITICAL,
                   "Back door opened while armed (away) and nobody disarmed within 30 s", 7, "back_door",
                   "door.opened"),
    ]


def test_disarming_cancels_the_entry_delay() -> None:
    pending = ArmState("away", None, NOW + timedelta(seconds=30), 7, "back_door")
    [action] = RULES.decide(Event("arm.set", "dashboard", detail={"mode": "disarmed"}), 8, pending, NOW)
    assert action == SetState(ArmState("disarmed"))


def test_exit_delay_lets_her_leave() -> None:
    [arm] = RULES.decide(Event("arm.set", "cli", detail={"mode": "away"}), 1, ArmState(), NOW)
    state = arm.state  # type: ignore[union-attr]
    assert state.exit_until == NOW + timedelta(seconds=60)
    assert RULES.decide(_open(), 2, state, NOW + timedelta(seconds=10)) == []
    assert RULES.tick(state, NOW + timedelta(seconds=60)) == [SetState(ArmState("away"))]


@pytest.mark.parametrize("mode", ["night", "home"])
def test_without_entry_delay_a_door_alarms_at_once(mode: str) -> None:
    assert RULES.decide(_open(), 3, ArmState(mode), NOW) == [
        RaiseAlarm(Severity.CRITICAL, "Back door opened", 3, "back_door", "door.opened")]


def test_window_never_waits() -> None:
    [alarm] = RULES.decide(_open("kitchen_window", "window.opened"), 3, ArmState("away"), NOW)
    assert alarm == RaiseAlarm(Severity.CRITICAL, "Kitchen window opened", 3, "kitchen_window", "window.opened")


@pytest.mark.parametrize("mode,alarms", [("away", True), ("night", False), ("home", False)])
def test_motion_alarms_only_when_away(mode: str, alarms: bool) -> None:
    actions = RULES.decide(_open("hall", "motion.detected"), 3, ArmState(mode), NOW)
    assert (actions == [RaiseAlarm(Severity.CRITICAL, "Motion at Hall", 3, "hall", "motion.detected")]) is alarms


@pytest.mark.parametrize("kind,priority", [("panic", Severity.CRITICAL), ("sensor.offline", Severity.WARNING),
                                           ("sensor.tamper", Severity.WARNING),
                                           ("hub.power_restored", Severity.WARNING),
                                           ("duress", Severity.CRITICAL), ("face.match", Severity.CRITICAL),
                                           ("camera.tamper", Severity.WARNING)])
def test_some_events_alert_even_when_disarmed(kind: str, priority: Severity) -> None:
    [alarm] = RULES.decide(Event(kind, "back_door", at=NOW), 4, ArmState("disarmed"), NOW)
    assert isinstance(alarm, RaiseAlarm) and alarm.priority is priority and alarm.kind == kind


def test_state_survives_serialisation() -> None:
    state = ArmState("away", NOW, NOW + timedelta(seconds=5), 9, "back_door")
    assert ArmState.from_json(state.to_json()) == state
    assert ArmState.from_json("not json") == ArmState()
    assert ArmState.from_json('{"mode": "party"}') == ArmState()


@pytest.mark.parametrize(("source", "kind", "words"), [
    ("kitchen_window", "window.opened", "Kitchen window opened"),
    ("hall", "motion.detected", "Motion at Hall"),
])
def test_an_expired_entry_delay_names_the_kind_of_sensor_that_started_it(source: str, kind: str, words: str) -> None:
    rules = Rules({**SENSORS, source: SENSORS[source].model_copy(update={"entry_delay": True})},
                  ArmingConfig(entry_delay_seconds=30, exit_delay_seconds=60))
    [started, _] = rules.decide(_open(source, kind), 9, ArmState("away"), NOW)
    state = started.state  # type: ignore[union-attr]
    [_, alarm] = rules.tick(state, NOW + timedelta(seconds=30))
    assert alarm == RaiseAlarm(Severity.CRITICAL, f"{words} while armed (away) and nobody disarmed within 30 s", 9,
                               source, kind)
