"""GPIO sensors on gpiozero's MockFactory, followed through the whole hub to log rows and the outbox."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest

from hub.app import Hub
from hub.clock import FakeClock
from hub.config import parse_config
from hub.events import Event
from hub.log import IncidentLog
from hub.store import Store
from hub.sources.gpio import circuit_to_active
from hub.config import GpioBinding
from tests.conftest import wait_for


def _config(data_dir: Path, **arming: Any) -> Any:
    return parse_config({
        "data_dir": str(data_dir),
        "gpio": {"pin_factory": "mock"},
        "mqtt": {"enabled": False},
        "sensors": {
            "back_door": {"kind": "door", "label": "Back door", "gpio": {"pin": 17, "normally": "closed",
                                                                         "debounce_ms": 20}},
            "panic_button": {"kind": "panic", "gpio": {"pin": 27, "normally": "open", "debounce_ms": 20}},
            "lid": {"kind": "tamper", "gpio": {"pin": 5, "normally": "closed", "debounce_ms": 0}},
        },
        "arming": {"entry_delay_seconds": 1, "exit_delay_seconds": 0, **arming},
    })


@pytest.fixture
def hub(data_dir: Path, mock_factory: Any) -> Iterator[Hub]:
    """A running hub on mock pins, MQTT off."""
    running = Hub(_config(data_dir), pin_factory=mock_factory)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def timed(data_dir: Path, mock_factory: Any) -> Iterator[tuple[Hub, FakeClock]]:
    """A running hub whose clock moves only when the test says: entry delays expire without waiting."""
    clock = FakeClock(datetime.now(timezone.utc))
    running = Hub(_config(data_dir), pin_factory=mock_factory, clock=clock)
    running.start()
    yield running, clock
    running.stop()


def _let_time_pass(hub: Hub, clock: FakeClock, seconds: float) -> None:
    """Move the hub's clock on, then wait until the pipeline has run its time-based rules twice since."""
    clock.advance(seconds)
    assert hub.pipeline is not None
    after = time.monotonic()
    wait_for(lambda: hub.pipeline is not None and hub.pipeline.last_beat > after + 0.1, 5, "two pipeline turns")
    assert hub.wait_idle(5)


def _settle(hub: Hub, clock: FakeClock) -> None:
    """Let a pin's new level outlast its debounce window on the fake clock."""
    clock.advance(0.05)
    assert hub.gpio is not None
    hub.gpio.poke()


def _kinds(hub: Hub) -> list[str]:
    assert hub.log is not None and hub.store is not None
    return [e.kind for e in hub.log.events()]


def _arm(hub: Hub, mode: str) -> None:
    hub.submit(Event("arm.set", "test", detail={"mode": mode}))
    wait_for(lambda: hub.pipeline is not None and hub.pipeline.arm_state.mode == mode, 5, f"mode {mode}")


@pytest.mark.parametrize("normally,closed_circuit,active", [
    ("closed", True, False), ("closed", False, True), ("open", True, True), ("open", False, False)])
def test_reed_switch_polarity(normally: str, closed_circuit: bool, active: bool) -> None:
    assert circuit_to_active(GpioBinding(pin=17, normally=normally), closed_circuit) is active  # type: ignore[arg-type]


def test_start_records_the_current_state(hub: Hub) -> None:
    wait_for(lambda: "door.closed" in _kinds(hub), 5, "initial door state")
    assert _kinds(hub)[:2] == ["hub.started", "log.verified"]


def test_door_opening_while_away_gives_event_entry_delay_and_outbox_row(
        timed: tuple[Hub, FakeClock], mock_factory: Any) -> None:
    hub, clock = timed
    _arm(hub, "away")
    mock_factory.pin(17).drive_high()
    _settle(hub, clock)
    wait_for(lambda: "arm.entry_delay" in _kinds(hub), 5, "the entry delay")
    assert hub.log is not None and hub.store is not None
    opened = hub.log.events(kind="door.opened")
    assert len(opened) == 1 and opened[0].source == "back_door"
    delay = hub.log.events(kind="arm.entry_delay")[0]
    assert delay.detail["cause_seq"] == opened[0].seq
    _let_time_pass(hub, clock, 0.5)
    assert hub.store is not None and hub.store.outbox.rows() == []  # nobody is told during the entry delay
    clock.advance(0.6)
    wait_for(lambda: hub.store.outbox.rows(), 5, "the outbox row")  # type: ignore[union-attr]
    [alert] = hub.store.outbox.rows()
    alarm = hub.log.events(kind="alarm.triggered")[0]
    assert alert.seq == alarm.seq and alert.priority == "critical"
    assert alert.reason == "Back door opened while armed (away) and nobody disarmed within 1 s"
    assert alarm.detail["cause_seq"] == opened[0].seq


def test_door_opening_while_disarmed_gives_only_the_event(timed: tuple[Hub, FakeClock], mock_factory: Any) -> None:
    hub, clock = timed
    wait_for(lambda: "door.closed" in _kinds(hub), 5, "initial state")
    mock_factory.pin(17).drive_high()
    _settle(hub, clock)
    wait_for(lambda: "door.opened" in _kinds(hub), 5, "door.opened")
    _let_time_pass(hub, clock, 1.5)  # longer than the entry delay would have been
    assert hub.log is not None and hub.store is not None
    assert hub.store.outbox.rows() == []
    assert [k for k in _kinds(hub) if k.startswith(("arm.", "alarm."))] == []


def test_disarming_in_time_prevents_the_alarm(timed: tuple[Hub, FakeClock], mock_factory: Any) -> None:
    hub, clock = timed
    _arm(hub, "away")
    mock_factory.pin(17).drive_high()
    _settle(hub, clock)
    wait_for(lambda: "arm.entry_delay" in _kinds(hub), 5, "the entry delay")
    _arm(hub, "disarmed")
    _let_time_pass(hub, clock, 1.5)
    assert hub.store is not None and hub.store.outbox.rows() == []


def test_contact_chatter_is_debounced(hub: Hub, mock_factory: Any) -> None:
    wait_for(lambda: "door.closed" in _kinds(hub), 5, "initial state")
    pin = mock_factory.pin(17)
    for _ in range(5):
        pin.drive_high()
        pin.drive_low()
    pin.drive_high()
    wait_for(lambda: "door.opened" in _kinds(hub), 5, "door.opened")
    time.sleep(0.3)
    assert _kinds(hub).count("door.opened") == 1
    assert _kinds(hub).count("door.closed") == 1  # only the initial state


def test_panic_button_alarms_even_when_disarmed(hub: Hub, mock_factory: Any) -> None:
    mock_factory.pin(27).drive_low()  # pressed: NO button closes to ground
    wait_for(lambda: hub.store is not None and hub.store.outbox.rows(), 5, "the panic alert")
    assert hub.log is not None and hub.store is not None
    [alert] = hub.store.outbox.rows()
    assert (alert.priority, alert.reason) == ("critical", "Panic button pressed")


def test_enclosure_tamper_alarms(hub: Hub, mock_factory: Any) -> None:
    mock_factory.pin(5).drive_high()
    wait_for(lambda: "tamper.opened" in _kinds(hub), 5, "tamper.opened")
    wait_for(lambda: hub.store is not None and hub.store.outbox.rows(), 5, "the tamper alert")


def test_arm_mode_and_pending_entry_delay_survive_a_restart(data_dir: Path, mock_factory: Any) -> None:
    first = Hub(_config(data_dir, entry_delay_seconds=2), pin_factory=mock_factory)
    first.start()
    _arm(first, "away")
    mock_factory.pin(17).drive_high()
    wait_for(lambda: "arm.entry_delay" in _kinds(first), 5, "the entry delay")
    first.stop()  # he pulls the plug during the entry delay
    from gpiozero.pins.mock import MockFactory

    factory = MockFactory()
    second = Hub(_config(data_dir, entry_delay_seconds=2), pin_factory=factory)
    second.start()
    try:
        assert second.pipeline is not None and second.pipeline.arm_state.mode == "away"
        wait_for(lambda: second.store is not None and second.store.outbox.rows(), 6, "the alarm after restart")
    finally:
        second.stop()
        factory.close()


def test_cli_arm_command_reaches_the_running_hub(hub: Hub, data_dir: Path) -> None:
    with Store(data_dir) as store:
        store.commands.submit_command("arm.set", "cli", {"mode": "night"})
    wait_for(lambda: hub.pipeline is not None and hub.pipeline.arm_state.mode == "night", 5, "night mode")
    assert hub.log is not None and hub.store is not None
    [row] = hub.log.events(kind="arm.set")
    assert row.source == "cli" and row.detail == {"mode": "night"}
    wait_for(lambda: hub.store.commands.pending_commands() == [], 5, "the command marked taken")  # type: ignore[union-attr]


def test_duplicate_pin_never_reaches_gpiozero(data_dir: Path) -> None:
    from hub.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        parse_config({"sensors": {"a": {"kind": "door", "gpio": {"pin": 17}},
                                  "b": {"kind": "door", "gpio": {"pin": 17}}}})
    assert err.value.problems == ["sensors.b.gpio.pin: GPIO17 is already used by sensors.a.gpio.pin"]


def test_outputs_follow_arming_entry_delay_and_alarm(data_dir: Path, mock_factory: Any) -> None:
    config = _config(data_dir).model_copy(update={"gpio": parse_config({"gpio": {
        "pin_factory": "mock", "led": {"pin": 23}, "buzzer": {"pin": 24}, "siren": {"pin": 18}}}).gpio})
    hub = Hub(config, pin_factory=mock_factory)
    hub.start()
    try:
        led, buzzer, siren = mock_factory.pin(23), mock_factory.pin(24), mock_factory.pin(18)
        assert (led.state, siren.state) == (False, False)
        _arm(hub, "away")
        wait_for(lambda: led.state, 5, "the LED to light")
        mock_factory.pin(17).drive_high()
        wait_for(lambda: buzzer.state, 5, "the entry-delay buzzer")
        wait_for(lambda: siren.state, 5, "the siren after the entry delay")
        _arm(hub, "disarmed")
        wait_for(lambda: not siren.state and not led.state, 5, "silence after disarming")
    finally:
        hub.stop()
