"""Door and window sensors over MQTT (Zigbee2MQTT, Tasmota, Home Assistant, plain payloads)."""

from __future__ import annotations

import logging
from typing import Callable

from hub.bus import Bus
from hub.clock import Clock
from hub.intake import Rejections
from hub.mqtt import MqttLink
from hub.sensors import MqttInterpreter
from hub import kinds

logger = logging.getLogger(__name__)


class MqttSensorSource:
    """Subscribes to every sensor topic; a message is acked only once its events are in the log."""

    def __init__(self, link: MqttLink, interpreter: MqttInterpreter, bus: Bus, clock: Clock,
                 rejections: Rejections) -> None:
        self.link = link
        self.interpreter = interpreter
        self.rejections = rejections
        self.bus = bus
        self.clock = clock
        for topic in interpreter.routes:
            link.subscribe(topic, self._handle)

    def _handle(self, topic: str, payload: bytes, ack: Callable[[], None]) -> None:
        found = self.interpreter.interpret(topic, payload, self.clock.now(), self.clock.monotonic())
        events = [e for e in found if e.kind != kinds.INPUT_REJECTED]
        for refused in (e for e in found if e.kind == kinds.INPUT_REJECTED):
            self.rejections.reject(refused.source, topic, str(refused.detail.get("problem")), payload)
        if not events:
            ack()  # nothing to commit (an unchanged state report, or a refused payload, counted above)
            return
        for event in events[:-1]:
            self.bus.publish(event)
        # The consumer commits in order, so the last event's commit covers the whole message.
        self.bus.publish(events[-1], on_committed=lambda seq: ack())

    def start(self) -> None:
        """Nothing to do: the link's start() connects and subscribes."""

    def stop(self) -> None:
        """Nothing to do: the link's stop() disconnects."""
