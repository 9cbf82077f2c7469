"""Home Assistant over a real mosquitto: discovery payloads as its MQTT docs define them, and the alarm panel.

The client here does what Home Assistant's MQTT alarm panel does: it reads the discovery config,
renders ``command_template`` with Jinja (``action`` is the configured payload, ``code`` what was
typed, None when arming needs no code) and publishes it to ``command_topic``; it shows whatever
arrives on ``state_topic``.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from jinja2 import Template

from hub.app import Hub
from hub.config import parse_config
from tests.conftest import Broker, Publisher, wait_for

DOOR = "zigbee2mqtt/front_door"

# The keys Home Assistant's MQTT integration documents, per platform (home-assistant.io/integrations/
# binary_sensor.mqtt and alarm_control_panel.mqtt, 2026): anything else is a typo it ignores or refuses.
ENTITY_KEYS = {"availability", "availability_mode", "availability_template", "availability_topic",
               "default_entity_id", "device", "enabled_by_default", "encoding", "entity_category",
               "entity_picture", "icon", "json_attributes_template", "json_attributes_topic", "name",
               "payload_available", "payload_not_available", "platform", "qos", "unique_id"}
PLATFORM_KEYS = {
    "binary_sensor": ENTITY_KEYS | {"device_class", "expire_after", "force_update", "off_delay", "payload_off",
                                    "payload_on", "state_topic", "value_template"},
    "alarm_control_panel": ENTITY_KEYS | {"code", "code_arm_required", "code_disarm_required",
                                          "code_trigger_required", "command_template", "command_topic",
                                          "payload_arm_away", "payload_arm_custom_bypass", "payload_arm_home",
                                          "payload_arm_night", "payload_arm_vacation", "payload_disarm",
                                          "payload_trigger", "retain", "state_topic", "supported_features",
                                          "value_template"},
}
REQUIRED = {"binary_sensor": {"state_topic"}, "alarm_control_panel": {"state_topic", "command_topic"}}
DEVICE_KEYS = {"configuration_url", "connections", "hw_version", "identifiers", "manufacturer", "model",
               "model_id", "name", "serial_number", "suggested_area", "sw_version", "via_device"}
FEATURES = {"arm_home", "arm_away", "arm_night", "arm_vacation", "arm_custom_bypass", "trigger"}
BINARY_DEVICE_CLASSES = {"battery", "battery_charging", "carbon_monoxide", "cold", "connectivity", "door",
                         "garage_door", "gas", "heat", "light", "lock", "moisture", "motion", "moving",
                         "occupancy", "opening", "plug", "power", "presence", "problem", "running", "safety",
                         "smoke", "sound", "tamper", "update", "vibration", "window"}


class HomeAssistant:
    """A Home Assistant-style MQTT client: discovery in, panel states in, panel commands out."""

    def __init__(self, broker: Broker) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.discovery: dict[str, dict[str, Any]] = {}
        self.states: list[str] = []
        self._lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="homeassistant-test")
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", broker.port)
        self.client.subscribe([("homeassistant/#", 1), ("porchlight/alarm/state", 1)])
        self.client.loop_start()

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        with self._lock:
            if message.topic.startswith("homeassistant/") and message.payload:
                self.discovery[message.topic] = json.loads(message.payload)
            elif message.topic == "porchlight/alarm/state":
                self.states.append(message.payload.decode())

    def panel(self) -> dict[str, Any]:
        """The alarm panel's discovery config."""
        [config] = [c for t, c in self.discovery.items() if t.split("/")[1] == "alarm_control_panel"]
        return config

    def press(self, action: str, code: str | None = None) -> None:
        """What a button on the panel card sends: ``action`` is arm_away, arm_home, arm_night or disarm."""
        panel = self.panel()
        payload = Template(panel["command_template"]).render(action=panel[f"payload_{action}"], code=code)
        self.client.publish(panel["command_topic"], payload, qos=int(panel.get("qos", 0)))

    def shown(self) -> str | None:
        with self._lock:
            return self.states[-1] if self.states else None

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def hub(data_dir: Path, broker: Broker, mock_factory: Any) -> Iterator[Hub]:
    running = Hub(parse_config({
        "data_dir": str(data_dir), "gpio": {"pin_factory": "mock"},
        "mqtt": {"host": "127.0.0.1", "port": broker.port, "reconnect_min_seconds": 1, "reconnect_max_seconds": 2},
        "arming": {"pin": "2468", "duress_pin": "1357", "exit_delay_seconds": 1, "entry_delay_seconds": 1},
        "sensors": {"front_door": {"kind": "door", "label": "Front door", "mqtt": {"topic": DOOR, "format": "zigbee2mqtt"}},
                    "hall": {"kind": "motion", "gpio": {"pin": 22}}},
    }), pin_factory=mock_factory)
    running.start()
    assert running.mqtt is not None and running.mqtt.wait_connected(10)
    yield running
    running.stop()


@pytest.fixture
def home_assistant(hub: Hub, broker: Broker) -> Iterator[HomeAssistant]:
    client = HomeAssistant(broker)
    wait_for(lambda: len(client.discovery) >= 3 and client.shown() == "disarmed", 20, "discovery and the panel")
    yield client
    client.close()


def test_every_discovery_payload_uses_only_the_keys_home_assistant_documents(home_assistant: HomeAssistant) -> None:
    platforms = set()
    for topic, config in home_assistant.discovery.items():
        platform = topic.split("/")[1]
        platforms.add(platform)
        assert set(config) <= PLATFORM_KEYS[platform], (topic, set(config) - PLATFORM_KEYS[platform])
        assert REQUIRED[platform] <= set(config), topic
        assert "object_id" not in config  # dropped by Home Assistant 2026.4
        assert config["default_entity_id"] == f"{platform}.{config['unique_id']}"
        assert set(config["device"]) <= DEVICE_KEYS
        assert topic == f"homeassistant/{platform}/porchlight/{config['unique_id']}/config"
        if platform == "binary_sensor":
            assert config["device_class"] in BINARY_DEVICE_CLASSES
        else:
            assert set(config["supported_features"]) <= FEATURES
            assert config["code"] == "REMOTE_CODE" and config["code_disarm_required"] is True
    assert platforms == {"binary_sensor", "alarm_control_panel"}


def _states_after(ha: HomeAssistant, action: str, code: str | None, final: str, seconds: float = 20) -> list[str]:
    start = len(ha.states)
    ha.press(action, code)
    wait_for(lambda: ha.shown() == final and len(ha.states) > start, seconds, f"{final!r} after {action}")
    time.sleep(0.3)  # anything published after it would show here too
    return ha.states[start:]


def test_arming_and_disarming_from_the_home_assistant_panel(hub: Hub, home_assistant: HomeAssistant,
                                                          publisher: Publisher) -> None:
    ha = home_assistant
    assert _states_after(ha, "arm_away", None, "armed_away") == ["arming", "armed_away"]
    # A wrong code changes nothing; Home Assistant's panel keeps showing armed.
    start = len(ha.states)
    ha.press("disarm", "0000")
    wait_for(lambda: hub.log is not None and hub.log.events(kind="arm.pin_rejected"), 20, "the wrong code's row")
    assert ha.states[start:] == [] and ha.shown() == "armed_away"
    assert _states_after(ha, "disarm", "2468", "disarmed") == ["disarmed"]
    # Someone opens the door while armed away: pending through the entry delay, then triggered.
    _states_after(ha, "arm_away", None, "armed_away")
    publisher.publish(DOOR, json.dumps({"contact": False}))
    wait_for(lambda: ha.shown() == "triggered", 20, "triggered after the entry delay")
    assert ha.states[-2:] == ["pending", "triggered"]
    assert _states_after(ha, "disarm", "2468", "disarmed") == ["disarmed"]
    publisher.publish(DOOR, json.dumps({"contact": True}))


def test_a_duress_code_at_the_panel_looks_exactly_like_a_normal_disarm(hub: Hub, home_assistant: HomeAssistant) -> None:
    ha = home_assistant
    _states_after(ha, "arm_home", None, "armed_home")
    normal = _states_after(ha, "disarm", "2468", "disarmed")
    _states_after(ha, "arm_home", None, "armed_home")
    duress = _states_after(ha, "disarm", "1357", "disarmed")
    assert normal == duress == ["disarmed"]
    assert hub.log is not None
    wait_for(lambda: hub.log is not None and hub.log.events(kind="duress"), 20, "the duress row")
    time.sleep(0.5)
    assert ha.shown() == "disarmed" and "triggered" not in ha.states
