"""The bus and the pipeline on their own: a real log in a temporary folder, pure rules, a fake clock."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Iterator

import pytest

from hub import kinds
from hub.arming import ArmStore
from hub.bus import Bus
from hub.clock import FakeClock
from hub.config import ArmingConfig, GpioBinding, SensorConfig
from hub.events import Event, Severity
from hub.store import Store
from hub.pipeline import Pipeline
from hub.rules import Rules
from tests.conftest import wait_for

SENSORS = {"back_door": SensorConfig(kind="door", label="Back door", gpio=GpioBinding(pin=17))}


def test_the_bus_hands_events_over_in_order_and_in_bounded_batches() -> None:
    bus = Bus()
    for number in range(5):
        bus.publish(Event(kinds.DOOR_OPENED, f"door_{number}"))
    assert [e.event.source for e in bus.take(timeout=0.1, most=3)] == ["door_0", "door_1", "door_2"]
    assert [e.event.source for e in bus.take(timeout=0.1)] == ["door_3", "door_4"]
    assert bus.take(timeout=0.05) == [] and len(bus) == 0


def test_a_full_bus_holds_the_publisher_back_instead_of_dropping() -> None:
    bus = Bus(maxsize=1)
    bus.publish(Event(kinds.DOOR_OPENED, "first"))
    second_in = threading.Event()

    def publish_second() -> None:
        bus.publish(Event(kinds.DOOR_OPENED, "second"))
        second_in.set()

    threading.Thread(target=publish_second, daemon=True).start()
    assert not second_in.wait(0.2)  # blocked: the bus is full
    assert [e.event.source for e in bus.take(timeout=0.1, most=1)] == ["first"]
    assert second_in.wait(5)
    assert [e.event.source for e in bus.take(timeout=0.1)] == ["second"]


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[Pipeline, list[tuple[int, str, str]]]]:
    """A started pipeline whose one listener notes (seq, kind, arm mode as the listener saw it)."""
    store = Store(tmp_path / "data")
    clock = FakeClock()
    pipeline = Pipeline(Bus(), store.log, Rules(SENSORS, ArmingConfig(entry_delay_seconds=30, exit_delay_seconds=0)),
                        clock, ArmStore(store.state))
    seen: list[tuple[int, str, str]] = []
    pipeline.add_listener(lambda seq, event: seen.append((seq, event.kind, pipeline.arm_state.mode)))
    pipeline.start()
    yield pipeline, seen
    pipeline.stop()
    store.close()


def test_listeners_see_the_arm_state_the_rules_set_for_the_event(
        running: tuple[Pipeline, list[tuple[int, str, str]]]) -> None:
    pipeline, seen = running
    pipeline.bus.publish(Event(kinds.ARM_SET, "test", Severity.NOTICE, {"mode": "away"}))
    pipeline.bus.publish(Event(kinds.ARM_SET, "test", Severity.NOTICE, {"mode": "holiday"}))  # not a mode
    wait_for(lambda: len(seen) == 2, 5, "both arm.set rows")
    assert [mode for _, _, mode in seen] == ["away", "away"]


def test_a_cause_reaches_listeners_before_the_rows_it_causes(
        running: tuple[Pipeline, list[tuple[int, str, str]]]) -> None:
    pipeline, seen = running
    pipeline.bus.publish(Event(kinds.ARM_SET, "test", Severity.NOTICE, {"mode": "away"}))
    pipeline.bus.publish(Event(kinds.DOOR_OPENED, "back_door", Severity.NOTICE))
    wait_for(lambda: len(seen) == 3, 5, "the entry delay row")
    assert [(seq, kind) for seq, kind, _ in seen] == [(1, kinds.ARM_SET), (2, kinds.DOOR_OPENED),
                                                      (3, kinds.ARM_ENTRY_DELAY)]


def test_a_failing_listener_or_rule_never_stops_the_log(tmp_path: Path) -> None:
    class BrokenRules(Rules):
        def decide(self, *args: object, **kwargs: object) -> list[object]:  # type: ignore[override]
            raise RuntimeError("a rule bug")

    store = Store(tmp_path / "data")
    log = store.log
    pipeline = Pipeline(Bus(), log, BrokenRules(SENSORS, ArmingConfig()), FakeClock(), ArmStore(store.state))
    committed: list[int] = []

    def broken_listener(seq: int, event: Event) -> None:
        raise RuntimeError("a listener bug")

    pipeline.add_listener(broken_listener)
    pipeline.start()
    try:
        for _ in range(3):
            pipeline.bus.publish(Event(kinds.DOOR_OPENED, "back_door"), on_committed=committed.append)
        wait_for(lambda: len(committed) == 3, 5, "three acknowledgements")
    finally:
        pipeline.stop()
    assert committed == [1, 2, 3] and [e.kind for e in log.events()] == [kinds.DOOR_OPENED] * 3
    store.close()
