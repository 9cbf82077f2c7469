"""Door and window sensors over MQTT (Zigbee2MQTT, Tasmota, Home Assistant, plain payloads)."""

from __future__ import annotations

import logging
from typing import Callable

from hub.bus import Bus
from hub.clock import Clock
from hub.mqtt import MqttLink
from hub.sensors import MqttInterpreter
from hub import kinds

logger = logging.getLogger(__name__)


class MqttSensorSource:
    """Subscribes to every sensor topic; a message is acked only once its events are in the log."""

    def __init__(self, link: MqttLink, interpreter: MqttInterpreter, bus: Bus, clock: Clock) -> None:
        self.link = link
        self.interpreter = interpreter
        self.bus = bus
        self.clock = clock
        for topic in interpreter.routes:
            link.subscribe(topic, self._handle)

    def _handle(self, topic: str, payload: bytes, ack: Callable[[], None]) -> None:
        events = self.interpreter.interpret(topic, payload, self.clock.now(), self.clock.monotonic())
        if not events:
            ack()  # nothing to commit (an unchanged state report)
            return
        for event in events:
            if event.kind == kinds.INPUT_REJECTED:
                logger.warning("rejected MQTT payload on %s: %s", topic, event.detail["problem"])
        for event in events[:-1]:
            self.bus.publish(event)
        # The consumer commits in order, so the last event's commit covers the whole message.
        self.bus.publish(events[-1], on_committed=lambda seq: ack())

    def start(self) -> None:
        """Nothing to do: the link's start() connects and subscribes."""

    def stop(self) -> None:
        """Nothing to do: the link's stop() disconnects."""
