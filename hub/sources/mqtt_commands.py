"""Commands over MQTT: a keypad arming and disarming (PIN, duress PIN), a panic button, check-ins."""

from __future__ import annotations

import logging
from typing import Callable, Sequence

from hub.arming_check import NotReady
from hub.bus import Bus
from hub.clock import Clock
from hub.commands import Outcome, PinCheck, arm_request, checkin_request, response_bytes
from hub.errors import InputRejected
from hub.events import Event, Severity
from hub.intake import Rejections
from hub.mqtt import MqttLink
from hub.payloads import json_object
from hub import kinds

logger = logging.getLogger(__name__)
# Presses of a panic button this close together are one emergency: the first raises the alarm and alerts
# everyone; the rest are counted (so a stolen keypad password cannot send her contacts a message a second).
PANIC_REPEAT_SECONDS = 60.0


class MqttCommandSource:
    """Listens on <prefix>/command/{arm,panic,checkin}; answers on <prefix>/command/result."""

    def __init__(self, link: MqttLink, prefix: str, pins: PinCheck, bus: Bus, clock: Clock,
                 rejections: Rejections, not_ready: Callable[[str], Sequence[NotReady]] = lambda mode: ()) -> None:
        self.not_ready = not_ready
        self.link = link
        self.pins = pins
        self.rejections = rejections
        self.bus = bus
        self.clock = clock
        self.result_topic = f"{prefix}/command/result"
        self._last_panic: float | None = None
        for name in ("arm", "panic", "checkin"):
            # A panic queued while the hub was away is still worth recording; an arm or a check-in is not.
            link.subscribe(f"{prefix}/command/{name}", self._handle, max_bytes=4096, retained_ok=False,
                           qos=1 if name == "panic" else 0)

    def _handle(self, topic: str, payload: bytes, ack: Callable[[], None]) -> None:
        name = topic.rsplit("/", 1)[1]
        now = self.clock.now()
        if not payload:
            ack()  # what clearing a retained command leaves behind: nothing was asked
            return
        request_id: object = None
        try:
            data = json_object(payload, "command payload") if payload.strip() else {}
            request_id = data.get("id")
            if name == "arm":
                mode = str(data.get("mode"))
                outcome = arm_request(self.pins, mode, _pin(data), "keypad", now,
                                      self.not_ready(mode) if mode != "disarmed" else (), data.get("bypass") is True)
            elif name == "checkin":
                outcome = checkin_request(self.pins, _pin(data), "keypad", now)
            else:
                outcome = self._panic(topic, payload)
        except InputRejected as err:
            self.link.publish(self.result_topic, response_bytes(Outcome({"ok": False, "error": str(err)}, []),
                                                                 request_id if _plain(request_id) else None))
            ack()
            self.rejections.reject("mqtt", topic, str(err), payload)
            return
        # Answer first, the same way whatever the PIN was; then record.
        self.link.publish(self.result_topic, response_bytes(outcome, request_id if _plain(request_id) else None))
        if not outcome.events:  # a try while the channel waits out its wrong PINs: counted, not logged
            ack()
            return
        for event in outcome.events[:-1]:
            self.bus.publish(event)
        self.bus.publish(outcome.events[-1], on_committed=lambda seq: ack())


    def _panic(self, topic: str, payload: bytes) -> Outcome:
        seen = self.clock.monotonic()
        if self._last_panic is not None and seen - self._last_panic < PANIC_REPEAT_SECONDS:
            self.rejections.reject("mqtt", topic, f"another panic within {PANIC_REPEAT_SECONDS:.0f} s of the last: "
                                   "the alarm it raised covers it", payload)
            return Outcome({"ok": True, "panic": True, "already_raised": True}, [])
        self._last_panic = seen
        return Outcome({"ok": True, "panic": True},
                       [Event(kinds.PANIC, "mqtt", Severity.CRITICAL, {"via": "mqtt"}, at=self.clock.now())])


def _plain(value: object) -> bool:
    """A request id the keypad may have its answer echo: a short number or string, nothing else."""
    return isinstance(value, (int, str)) and not isinstance(value, bool) and len(str(value)) <= 64


def _pin(data: dict[str, object]) -> str | None:
    pin = data.get("pin")
    return None if pin is None else str(pin)
