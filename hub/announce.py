"""Publishes the hub's state and events on MQTT and announces sensors to Home Assistant."""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime
from typing import Callable, Mapping

from hub.arming import ArmState
from hub.clock import Clock, SystemClock
from hub.config import Config, SensorConfig
from hub.events import Event
from hub.mqtt import MqttLink
from hub.sensor_kinds import event_kind, sensor_kind
from hub import kinds

logger = logging.getLogger(__name__)



# Home Assistant's alarm panel speaks these states; the hub's mode and deadlines map onto them.
PANEL_STATES = ("disarmed", "armed_home", "armed_away", "armed_night", "arming", "pending", "triggered")
# What the panel's buttons send, rendered by Home Assistant into the keypad's own JSON (the same PIN
# rules, lockouts and duress PIN as any keypad: nothing is checked in Home Assistant).
PANEL_COMMAND = '{"mode": "{{ action }}", "pin": "{{ code }}"}'


def panel_topic(prefix: str) -> str:
    """Where the hub keeps the alarm panel's state (retained)."""
    return f"{prefix}/alarm/state"


def panel_state(state: ArmState, now: datetime, triggered: bool) -> str:
    """The alarm panel's state for Home Assistant; a silent (duress) alarm never shows here."""
    if state.mode == "disarmed":
        return "disarmed"
    if triggered:
        return "triggered"
    if state.entry_until is not None and now < state.entry_until:
        return "pending"
    if state.exit_until is not None and now < state.exit_until:
        return "arming"
    return f"armed_{state.mode}"


def discovery_messages(config: Config) -> list[tuple[str, str]]:
    """(topic, retained JSON payload) for Home Assistant MQTT discovery: every sensor, and the alarm panel."""
    prefix = config.mqtt.topic_prefix
    device = {"identifiers": [config.device_name], "name": config.device_name,
              "manufacturer": "Porchlight"}
    panel_id = f"{config.device_name}_alarm"
    panel = {
        "name": "Alarm",
        "unique_id": panel_id,
        "default_entity_id": f"alarm_control_panel.{panel_id}",
        "state_topic": panel_topic(prefix),
        "command_topic": f"{prefix}/command/arm",
        "command_template": PANEL_COMMAND,
        "payload_arm_home": "home",
        "payload_arm_away": "away",
        "payload_arm_night": "night",
        "payload_disarm": "disarmed",
        "supported_features": ["arm_home", "arm_away", "arm_night"],
        # REMOTE_CODE: Home Assistant shows a keypad and passes the code on; the hub alone judges it.
        "code": "REMOTE_CODE",
        "code_arm_required": False,
        "code_disarm_required": True,
        "availability_topic": f"{prefix}/status",
        "device": device,
    }
    messages = [(f"{config.mqtt.discovery_prefix}/alarm_control_panel/{prefix}/{panel_id}/config",
                 json.dumps(panel, sort_keys=True))]
    for sid, sensor in config.sensors.items():
        unique = f"{config.device_name}_{sid}"
        payload = {
            "name": sensor.label or sid.replace("_", " ").capitalize(),
            "unique_id": unique,
            "default_entity_id": f"binary_sensor.{unique}",
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

    def __init__(self, link: MqttLink, config: Config, arm_state: Callable[[], ArmState],
                 clock: Clock | None = None) -> None:
        self.link = link
        self.config = config
        self.arm_state = arm_state
        self.clock = clock or SystemClock()
        self.prefix = config.mqtt.topic_prefix
        self._triggered = False
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def arm_mode(self) -> str:
        """The arm mode now."""
        return self.arm_state().mode

    def publish_panel(self) -> None:
        """Publish the alarm panel's state now, and again when an exit or entry delay it shows runs out."""
        with self._lock:
            state, now = self.arm_state(), self.clock.now()
            shown = panel_state(state, now, self._triggered)
            self.link.publish(panel_topic(self.prefix), shown, retain=True)
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            ends = state.exit_until if shown == "arming" else None
            if ends is not None:
                self._timer = threading.Timer(max(0.0, (ends - now).total_seconds()) + 0.05, self.publish_panel)
                self._timer.daemon = True
                self._timer.start()

    def stop(self) -> None:
        """Cancel a pending panel refresh."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()

    def on_connect(self) -> None:
        """Announce sensors and the current arm mode after each (re)connection."""
        if self.config.mqtt.discovery:
            for topic, payload in discovery_messages(self.config):
                self.link.publish(topic, payload, retain=True)
            for topic in old_discovery_topics(self.config):
                self.link.publish(topic, b"", retain=True)
        self.link.publish(f"{self.prefix}/arm_mode", self.arm_mode(), retain=True)
        self.publish_panel()

    def __call__(self, seq: int, event: Event) -> None:
        """Publish one committed event (kind, source, time only: details stay on the device)."""
        state = state_message(self.prefix, self.config.sensors, event)
        if state is not None:
            self.link.publish(state[0], state[1], retain=True)
        if event.kind == kinds.ARM_SET:
            self._triggered = False
            self.link.publish(f"{self.prefix}/arm_mode", self.arm_mode(), retain=True)
            self.publish_panel()
        elif event.kind == kinds.ARM_ENTRY_DELAY:
            self.publish_panel()
        elif event.kind == kinds.ALARM_TRIGGERED and announced(event) and self.arm_mode() != "disarmed":
            self._triggered = True
            self.publish_panel()
        if self.config.mqtt.publish_events and announced(event):
            # No sequence number: a gap in it would tell a listener that something unannounced happened.
            payload = {"kind": event.kind, "source": event.source,
                       "severity": event.severity.value, "at": event.at.isoformat()}
            self.link.publish(f"{self.prefix}/event", json.dumps(payload, sort_keys=True))
