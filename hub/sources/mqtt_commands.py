"""Commands over MQTT: a keypad arming and disarming (PIN, duress PIN), a panic button, check-ins."""

from __future__ import annotations

import json
import logging
from typing import Callable

from hub.bus import Bus
from hub.clock import Clock
from hub.commands import Outcome, PinCheck, arm_request, checkin_request, response_bytes
from hub.errors import InputRejected
from hub.events import Event, Severity
from hub.mqtt import MqttLink
from hub import kinds

logger = logging.getLogger(__name__)


class MqttCommandSource:
    """Listens on <prefix>/command/{arm,panic,checkin}; answers on <prefix>/command/result."""

    def __init__(self, link: MqttLink, prefix: str, pins: PinCheck, bus: Bus, clock: Clock) -> None:
        self.link = link
        self.pins = pins
        self.bus = bus
        self.clock = clock
        self.result_topic = f"{prefix}/command/result"
        for name in ("arm", "panic", "checkin"):
            link.subscribe(f"{prefix}/command/{name}", self._handle)

    def _handle(self, topic: str, payload: bytes, ack: Callable[[], None]) -> None:
        name = topic.rsplit("/", 1)[1]
        now = self.clock.now()
        request_id: object = None
        try:
            data = json.loads(payload.decode("utf-8") or "{}") if payload.strip() else {}
            if not isinstance(data, dict):
                raise InputRejected("command payload must be a JSON object")
            request_id = data.get("id")
            if name == "arm":
                outcome = arm_request(self.pins, str(data.get("mode")), _pin(data), "keypad", now)
            elif name == "checkin":
                outcome = checkin_request(self.pins, _pin(data), "keypad", now)
            else:
                outcome = Outcome({"ok": True, "panic": True},
                                  [Event(kinds.PANIC, "mqtt", Severity.CRITICAL, {"via": "mqtt"}, at=now)])
        except (ValueError, InputRejected) as err:
            problem = str(err) if isinstance(err, InputRejected) else f"command payload is not valid JSON ({err})"
            logger.warning("rejected MQTT command on %s: %s", topic, problem)
            outcome = Outcome({"ok": False, "error": problem},
                              [Event(kinds.INPUT_REJECTED, "mqtt", Severity.WARNING, {"topic": topic, "problem": problem},
                                     at=now)])
        # Answer first, the same way whatever the PIN was; then record.
        self.link.publish(self.result_topic, response_bytes(outcome, request_id))
        for event in outcome.events[:-1]:
            self.bus.publish(event)
        self.bus.publish(outcome.events[-1], on_committed=lambda seq: ack())


def _pin(data: dict[str, object]) -> str | None:
    pin = data.get("pin")
    return None if pin is None else str(pin)
