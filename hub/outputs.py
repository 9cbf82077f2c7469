"""The hub's own outputs: a status LED (lit while armed), an entry-delay buzzer, a siren relay.

The siren sounds only if she fitted and configured one, and only on a critical alarm: the hub
changes nothing the stalker could notice on its own initiative.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from hub.config import GpioConfig, OutputConfig
from hub.events import Event, Severity
from hub import kinds

logger = logging.getLogger(__name__)

SIREN_SECONDS = 180.0  # long enough to scare and to be heard next door; short enough not to annoy


class Outputs:
    """Pipeline listener driving gpiozero outputs from committed events."""

    def __init__(self, config: GpioConfig, pin_factory: Any, arm_mode: Callable[[], str]) -> None:
        self.config = config
        self.pin_factory = pin_factory
        self.arm_mode = arm_mode
        self.led: Any = None
        self.buzzer: Any = None
        self.siren: Any = None
        self._siren_timer: threading.Timer | None = None

    def _device(self, output: OutputConfig | None) -> Any:
        if output is None:
            return None
        from gpiozero import DigitalOutputDevice

        return DigitalOutputDevice(output.pin, active_high=output.active_high, initial_value=False,
                                   pin_factory=self.pin_factory)

    def start(self) -> None:
        """Claim the output pins; light the LED if the hub starts armed."""
        self.led = self._device(self.config.led)
        self.buzzer = self._device(self.config.buzzer)
        self.siren = self._device(self.config.siren)
        if self.led is not None and self.arm_mode() != "disarmed":
            self.led.on()

    def stop(self) -> None:
        """Switch everything off and release the pins."""
        if self._siren_timer is not None:
            self._siren_timer.cancel()
        for device in (self.led, self.buzzer, self.siren):
            if device is not None:
                device.off()
                device.close()

    def __call__(self, seq: int, event: Event) -> None:
        """React to one committed event."""
        if event.kind == kinds.ARM_SET:
            armed = self.arm_mode() != "disarmed"  # the mode the rules set (a bad request changes nothing)
            if self.led is not None:
                self.led.value = armed
            if not armed:
                self._quiet()
        elif event.kind == kinds.ARM_ENTRY_DELAY and self.buzzer is not None:
            self.buzzer.blink(on_time=0.2, off_time=0.8)
        elif (event.kind == kinds.ALARM_TRIGGERED and event.severity is Severity.CRITICAL
              and not event.detail.get("silent")):  # a duress alarm: the home shows nothing
            if self.buzzer is not None:
                self.buzzer.off()
            if self.siren is not None:
                self.siren.on()
                self._siren_timer = threading.Timer(SIREN_SECONDS, self.siren.off)
                self._siren_timer.daemon = True
                self._siren_timer.start()

    def _quiet(self) -> None:
        if self.buzzer is not None:
            self.buzzer.off()
        if self.siren is not None:
            self.siren.off()
        if self._siren_timer is not None:
            self._siren_timer.cancel()
