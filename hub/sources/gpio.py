"""Reed switches, PIR sensors, panic buttons and tamper switches on the Pi's GPIO header."""

from __future__ import annotations

import importlib
import logging
import threading
from typing import Any, Mapping

from hub.bus import Bus
from hub.clock import Clock
from hub.config import GpioBinding, SensorConfig
from hub.debounce import Debouncer
from hub.errors import SensorError
from hub.payloads import Reading
from hub.sensors import SensorTracker

logger = logging.getLogger(__name__)

_FACTORIES = {
    "mock": ("gpiozero.pins.mock", "MockFactory"),
    "lgpio": ("gpiozero.pins.lgpio", "LGPIOFactory"),
    "rpigpio": ("gpiozero.pins.rpigpio", "RPiGPIOFactory"),
    "pigpio": ("gpiozero.pins.pigpio", "PiGPIOFactory"),
    "native": ("gpiozero.pins.native", "NativeFactory"),
}


def make_pin_factory(name: str) -> Any:
    """The gpiozero pin factory for a config name; None for "auto" (gpiozero's own choice)."""
    if name == "auto":
        return None
    module_name, class_name = _FACTORIES[name]
    try:
        module = importlib.import_module(module_name)
        return getattr(module, class_name)()
    except Exception as err:
        raise SensorError(
            f"gpio.pin_factory: cannot start the {name!r} pin factory ({err}); on a machine "
            "without GPIO use pin_factory: mock"
        ) from err


def is_mock(factory: Any) -> bool:
    """Whether the factory simulates pins (the demo and tests)."""
    return type(factory).__name__ == "MockFactory"


def circuit_to_active(binding: GpioBinding, circuit_closed: bool) -> bool:
    """Whether the sensor is triggered, from whether its switch circuit is closed.

    A normally-closed reed switch is closed while the magnet is near (door shut), so an open
    circuit (door open, or a cut wire) is the triggered state: that is why NC is preferred.
    """
    return not circuit_closed if binding.normally == "closed" else circuit_closed


class GpioSource:
    """Watches every GPIO sensor; edges are debounced on one worker thread, then published."""

    def __init__(self, sensors: Mapping[str, SensorConfig], tracker: SensorTracker, bus: Bus,
                 clock: Clock, pin_factory: Any) -> None:
        self.sensors = {sid: s for sid, s in sensors.items() if s.gpio is not None}
        self.tracker = tracker
        self.bus = bus
        self.clock = clock
        self.pin_factory = pin_factory
        self._devices: dict[str, Any] = {}
        self._debouncers: dict[str, Debouncer] = {}
        self._wake = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Claim the pins, publish each sensor's current state if it changed, start debouncing."""
        from gpiozero import DigitalInputDevice  # imported here: nothing touches GPIO at import time

        for sid, sensor in self.sensors.items():
            binding = sensor.gpio
            assert binding is not None
            try:
                device = DigitalInputDevice(binding.pin, pull_up=binding.pull_up, bounce_time=None,
                                            pin_factory=self.pin_factory)
            except Exception as err:
                self.stop()
                raise SensorError(f"sensors.{sid}.gpio.pin: cannot use GPIO{binding.pin} ({err})") from err
            if is_mock(self.pin_factory) and binding.normally == "closed":
                # A simulated NC switch starts with its magnet in place (door shut).
                pin = self.pin_factory.pin(binding.pin)
                if binding.pull_up:
                    pin.drive_low()
                else:
                    pin.drive_high()
            self._devices[sid] = device
            active = circuit_to_active(binding, bool(device.is_active))
            self._debouncers[sid] = Debouncer(binding.debounce_ms / 1000, active)
            self._publish(sid, active)
            device.when_activated = lambda sid=sid: self._edge(sid, True)
            device.when_deactivated = lambda sid=sid: self._edge(sid, False)
        self._thread = threading.Thread(target=self._run, name="gpio-debounce", daemon=True)
        self._thread.start()

    def _edge(self, sensor_id: str, circuit_closed: bool) -> None:
        # Runs on gpiozero's thread: record and wake the worker, nothing else.
        binding = self.sensors[sensor_id].gpio
        assert binding is not None
        with self._wake:
            self._debouncers[sensor_id].feed(circuit_to_active(binding, circuit_closed), self.clock.monotonic())
            self._wake.notify()

    def _run(self) -> None:
        with self._wake:
            while not self._stopping:
                now = self.clock.monotonic()
                settled = [(sid, level) for sid, d in self._debouncers.items()
                           if (level := d.settle(now)) is not None]
                dues = [due for d in self._debouncers.values() if (due := d.due()) is not None]
                if settled:
                    self._wake.release()
                    try:
                        for sid, level in settled:
                            self._publish(sid, level)
                    finally:
                        self._wake.acquire()
                    continue
                timeout = max(0.0, min(dues) - now) if dues else None
                # A real clock needs no polling; a fake one is advanced by tests, who call poke().
                self._wake.wait(timeout if timeout is None else min(timeout, 0.5))

    def poke(self) -> None:
        """Wake the debounce worker (after a fake clock was advanced)."""
        with self._wake:
            self._wake.notify()

    def _publish(self, sensor_id: str, active: bool) -> None:
        for event in self.tracker.update(sensor_id, Reading(active=active), self.clock.now(),
                                         self.clock.monotonic()):
            self.bus.publish(event)

    def stop(self) -> None:
        """Stop the worker and release every pin."""
        with self._wake:
            self._stopping = True
            self._wake.notify()
        if self._thread is not None:
            self._thread.join(2)
            self._thread = None
        for device in self._devices.values():
            device.close()
        self._devices.clear()
