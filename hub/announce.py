"""Publishes the hub's state and events on MQTT and announces sensors to Home Assistant."""

from __future__ import annotations

import json
import logging
from typing import Callable, Mapping

from hub.config import Config, SensorConfig
from hub.events import Event
from hub.mqtt import MqttLink
from hub.sensor_kinds import event_kind, sensor_kind
from hub import kinds

logger = logging.getLogger(__name__)



def discovery_messages(config: Config) -> list[tuple[str, str]]:
    """(topic, retained JSON payload) for Home Assistant MQTT discovery of every sensor."""
    prefix = config.mqtt.topic_prefix
    device = {"identifiers": [config.device_name], "name": config.device_name,
              "manufacturer": "Porchlight"}
    messages = []
    for sid, sensor in config.sensors.items():
        unique = f"{config.device_name}_{sid}"
        payload = {
            "name": sensor.label or sid.replace("_", " ").capitalize(),
            "unique_id": unique,
            "object_id": unique,
            "state_topic": f"{prefix}/sensor/{sid}/state",
            "availability_topic": f"{prefix}/status",
            "payload_on": "ON",
            "payload_off": "OFF",
            "device_class": sensor_kind(sensor.kind).device_class,
            "device": device,
        }
        # Under a node id of the hub's own: the broker lets nobody else write there (hub/broker_lockdown.py),
        # so no bridge can rename or hide her sensors in Home Assistant.
        topic = f"{config.mqtt.discovery_prefix}/binary_sensor/{prefix}/{unique}/config"
        messages.append((topic, json.dumps(payload, sort_keys=True)))
    return messages


def old_discovery_topics(config: Config) -> list[str]:
    """Where hubs before the node id announced each sensor: cleared, so Home Assistant shows it once."""
    return [f"{config.mqtt.discovery_prefix}/binary_sensor/{config.device_name}_{sid}/config" for sid in config.sensors]


def state_message(prefix: str, sensors: Mapping[str, SensorConfig], event: Event) -> tuple[str, str] | None:
    """The retained ON/OFF state message an event implies for its sensor, if any."""
    sensor = sensors.get(event.source)
    if sensor is None:
        return None
    if event.kind == event_kind(sensor.kind, True):
        return f"{prefix}/sensor/{event.source}/state", "ON"
    if event.kind == event_kind(sensor.kind, False):
        return f"{prefix}/sensor/{event.source}/state", "OFF"
    return None


def announced(event: Event) -> bool:
    """Whether any device on the LAN may hear of this event: home state, never a silent (duress) alarm."""
    return event.kind in kinds.ANNOUNCED_KINDS and not event.detail.get("silent")


class Announcer:
    """Pipeline listener: mirrors committed events onto MQTT (never the event detail)."""

    def __init__(self, link: MqttLink, config: Config, arm_mode: Callable[[], str]) -> None:
        self.link = link
        self.config = config
        self.arm_mode = arm_mode
        self.prefix = config.mqtt.topic_prefix

    def on_connect(self) -> None:
        """Announce sensors and the current arm mode after each (re)connection."""
        if self.config.mqtt.discovery:
            for topic, payload in discovery_messages(self.config):
                self.link.publish(topic, payload, retain=True)
            for topic in old_discovery_topics(self.config):
                self.link.publish(topic, b"", retain=True)
        self.link.publish(f"{self.prefix}/arm_mode", self.arm_mode(), retain=True)

    def __call__(self, seq: int, event: Event) -> None:
        """Publish one committed event (kind, source, time only: details stay on the device)."""
        state = state_message(self.prefix, self.config.sensors, event)
        if state is not None:
            self.link.publish(state[0], state[1], retain=True)
        if event.kind == kinds.ARM_SET:
            self.link.publish(f"{self.prefix}/arm_mode", self.arm_mode(), retain=True)
        if self.config.mqtt.publish_events and announced(event):
            # No sequence number: a gap in it would tell a listener that something unannounced happened.
            payload = {"kind": event.kind, "source": event.source,
                       "severity": event.severity.value, "at": event.at.isoformat()}
            self.link.publish(f"{self.prefix}/event", json.dumps(payload, sort_keys=True))
