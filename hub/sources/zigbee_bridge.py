"""What Zigbee2MQTT says it has paired (``zigbee2mqtt/bridge/devices``), for the dashboard to offer.

Only suggestions: anyone who can publish to an open broker can publish this list too, so nothing
here becomes a sensor until she picks it and names it. Names that could not be a plain topic
(wildcards, control characters) are dropped; the list is bounded in size and length.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any, Callable

from hub.arming import StateTable
from hub.config import Config
from hub.intake import Rejections
from hub.mqtt import MqttLink
from hub.sensor_kinds import SENSOR_KINDS

logger = logging.getLogger(__name__)
STATE_KEY = "zigbee_devices"
MAX_BYTES = 512 * 1024
MAX_DEVICES = 200
NAME = re.compile(r"[A-Za-z0-9 _.\-/]{1,64}")
# A Zigbee2MQTT field, and the sensor kinds that read it (a contact is a door or a window: she says which).
FIELD_KINDS: dict[str, tuple[str, ...]] = {}
for _kind in SENSOR_KINDS.values():
    FIELD_KINDS.setdefault(_kind.zigbee_field, ())
    FIELD_KINDS[_kind.zigbee_field] += (_kind.name,)


@dataclass(frozen=True)
class ZigbeeDevice:
    """A paired device the hub could use as a sensor."""

    name: str
    model: str
    fields: tuple[str, ...]

    def kinds(self) -> tuple[str, ...]:
        """The sensor kinds it could be."""
        return tuple(kind for field in self.fields for kind in FIELD_KINDS.get(field, ()))


def parse_devices(payload: bytes) -> list[ZigbeeDevice]:
    """The usable devices in a bridge/devices message; ValueError says what was wrong with it."""
    data = json.loads(payload)
    if not isinstance(data, list):
        raise ValueError("bridge/devices is not a list")
    found = []
    for item in data[:MAX_DEVICES]:
        if not isinstance(item, dict) or item.get("type") == "Coordinator":
            continue
        name = item.get("friendly_name")
        raw_definition = item.get("definition")
        definition: dict[str, Any] = raw_definition if isinstance(raw_definition, dict) else {}
        if not isinstance(name, str) or not NAME.fullmatch(name) or "//" in name:
            continue
        fields = sorted({str(f) for f in _properties(definition.get("exposes")) if f in FIELD_KINDS})
        if fields:
            found.append(ZigbeeDevice(name, str(definition.get("model") or "")[:64], tuple(fields)))
    return found


def _properties(exposes: Any, depth: int = 0) -> list[str]:
    if not isinstance(exposes, list) or depth > 3:
        return []
    found: list[str] = []
    for item in exposes:
        if isinstance(item, dict):
            if isinstance(item.get("property"), str):
                found.append(item["property"])
            found += _properties(item.get("features"), depth + 1)
    return found


def zigbee_base(config: Config) -> str:
    """Zigbee2MQTT's base topic: the first level of the first zigbee2mqtt sensor's topic, else its default."""
    for sensor in config.sensors.values():
        if sensor.mqtt is not None and sensor.mqtt.format == "zigbee2mqtt" and "/" in sensor.mqtt.topic:
            return sensor.mqtt.topic.split("/", 1)[0]
    return "zigbee2mqtt"


def stored_devices(state: StateTable) -> list[ZigbeeDevice]:
    """The devices last announced (none until Zigbee2MQTT has spoken)."""
    try:
        return [ZigbeeDevice(d["name"], d["model"], tuple(d["fields"])) for d in json.loads(
            state.get_state(STATE_KEY) or "[]")]
    except (ValueError, KeyError, TypeError):
        return []


class ZigbeeBridgeWatch:
    """Keeps the newest bridge/devices list in the hub's state; a bad list is a logged rejection."""

    def __init__(self, link: MqttLink, base: str, state: StateTable, rejections: Rejections) -> None:
        self.state = state
        self.rejections = rejections
        self.topic = f"{base}/bridge/devices"
        link.subscribe(self.topic, self._handle, max_bytes=MAX_BYTES, retained_ok=True, qos=0)

    def _handle(self, topic: str, payload: bytes, ack: Callable[[], None]) -> None:
        try:
            devices = parse_devices(payload)
        except ValueError as err:
            self.rejections.reject("zigbee2mqtt", topic, f"the device list was not understood ({err})", payload)
            ack()
            return
        self.state.set_state(STATE_KEY, json.dumps([{"name": d.name, "model": d.model, "fields": list(d.fields)}
                                                    for d in devices]))
        ack()
