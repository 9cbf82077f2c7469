"""Pure parsers for sensor payloads (Zigbee2MQTT, Tasmota, Home Assistant, plain strings)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from hub.config import MqttBinding
from hub.errors import InputRejected
from hub.events import JsonValue
from hub.sensor_kinds import sensor_kind

MAX_PAYLOAD_BYTES = 64 * 1024
_MAX_EXTRA_FIELDS = 16
_MAX_TEXT = 64


@dataclass(frozen=True)
class Reading:
    """What one message says; None means the message did not mention it."""

    active: bool | None = None
    tamper: bool | None = None
    battery: float | None = None
    battery_low: bool | None = None
    online: bool | None = None
    extra: Mapping[str, JsonValue] = field(default_factory=dict)


def parse_payload(binding: MqttBinding, kind: str, topic: str, payload: bytes) -> Reading:
    """Read one message for one sensor. Raises InputRejected saying exactly what was wrong."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise InputRejected(f"payload is {len(payload)} bytes, more than the {MAX_PAYLOAD_BYTES} allowed")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputRejected(f"payload is not UTF-8 text (bad byte at offset {err.start})") from err
    if topic == binding.default_availability_topic():
        return Reading(online=_availability(text))
    if binding.format == "zigbee2mqtt":
        return _zigbee(kind, json_object(text))
    if binding.format == "tasmota":
        return _tasmota(binding, json_object(text))
    if binding.format == "homeassistant":
        return Reading(active=_on_off(text.strip(), binding.on_means, "payload"))
    return _plain(binding, text.strip())


def _refuse_constant(name: str) -> Any:
    raise InputRejected(f"payload contains {name}, which is not a number the log can hold")


def json_object(payload: bytes | str, what: str = "payload") -> dict[str, Any]:
    """A JSON object from the network, or InputRejected naming why not (never any other error).

    Refused: text that is not UTF-8 or not JSON, NaN and Infinity, nesting deep enough to exhaust
    the parser's stack, and anything but an object at the top.
    """
    try:
        text = payload.decode("utf-8") if isinstance(payload, bytes) else payload
        value = json.loads(text, parse_constant=_refuse_constant)
    except UnicodeDecodeError as err:
        raise InputRejected(f"{what} is not UTF-8 text (bad byte at offset {err.start})") from err
    except InputRejected:
        raise
    except ValueError as err:
        raise InputRejected(f"{what} is not valid JSON ({err})") from err
    except RecursionError as err:
        raise InputRejected(f"{what} is JSON nested too deeply") from err
    if not isinstance(value, dict):
        raise InputRejected(f"{what} is a JSON {_json_type(value)}, expected an object")
    return value



def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def _availability(text: str) -> bool:
    value: Any = text.strip()
    if value.startswith("{"):
        value = json_object(value).get("state")
    if isinstance(value, str) and value.lower() in ("online", "offline"):
        return value.lower() == "online"
    raise InputRejected(f"availability payload {_short(text)!r} is neither online nor offline")


def _bool(data: Mapping[str, Any], key: str) -> bool | None:
    if key not in data:
        return None
    value = data[key]
    if not isinstance(value, bool):
        raise InputRejected(f"field {key!r} is {_short(json.dumps(value))}, expected true or false")
    return value


def _zigbee(kind: str, data: dict[str, Any]) -> Reading:
    about = sensor_kind(kind)
    field_name = about.zigbee_field
    active: bool | None
    if about.zigbee_meaning == "action":
        action = data.get(field_name)
        active = True if isinstance(action, str) and action not in ("", "release") else None
    else:
        active = _bool(data, field_name)
        if active is not None and about.zigbee_meaning == "true_is_inactive":
            active = not active  # Zigbee2MQTT: contact true means the magnet is near: closed.
    battery = data.get("battery")
    if battery is not None and (isinstance(battery, bool) or not isinstance(battery, (int, float))
                                or not 0 <= battery <= 100):
        raise InputRejected(f"field 'battery' is {_short(json.dumps(battery))}, expected a number 0-100")
    tamper = _bool(data, "tamper") if field_name != "tamper" else None
    return Reading(
        active=active,
        tamper=tamper,
        battery=float(battery) if battery is not None else None,
        battery_low=_bool(data, "battery_low"),
        extra=_extra(data, exclude={field_name, "tamper", "battery", "battery_low"}),
    )


def _tasmota(binding: MqttBinding, data: dict[str, Any]) -> Reading:
    value = data.get(binding.switch)
    if value is None:
        return Reading(extra=_extra(data, exclude=set()))
    if isinstance(value, dict):
        value = value.get("Action")
    if not isinstance(value, str):
        raise InputRejected(f"field {binding.switch!r} has no ON/OFF value")
    return Reading(active=_on_off(value, binding.on_means, f"field {binding.switch!r}"))


def _on_off(value: str, on_means: str, what: str) -> bool:
    if value.upper() not in ("ON", "OFF"):
        raise InputRejected(f"{what} is {_short(value)!r}, expected ON or OFF")
    is_on = value.upper() == "ON"
    return is_on if on_means == "open" else not is_on


def _plain(binding: MqttBinding, text: str) -> Reading:
    if text == binding.open_payload:
        return Reading(active=True)
    if text == binding.closed_payload:
        return Reading(active=False)
    raise InputRejected(
        f"payload {_short(text)!r} is neither {binding.open_payload!r} nor {binding.closed_payload!r}"
    )


def _extra(data: Mapping[str, Any], exclude: set[str]) -> dict[str, JsonValue]:
    """Scalar fields worth keeping with the event (link quality, voltage...), bounded in size."""
    extra: dict[str, JsonValue] = {}
    for key, value in data.items():
        if key in exclude or len(extra) >= _MAX_EXTRA_FIELDS or not isinstance(key, str):
            continue
        if isinstance(value, float) and value != value:  # NaN cannot go into canonical JSON
            continue
        if isinstance(value, (bool, int, float)) and abs(value) < 1e15:
            extra[key[:_MAX_TEXT]] = value
        elif isinstance(value, str):
            extra[key[:_MAX_TEXT]] = value[:_MAX_TEXT]
    return extra


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:40] + "…"
