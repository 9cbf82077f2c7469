"""Config: the contract file stays valid, broken configs name the key and value, every key documented."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hub.config import field_paths, load_config, parse_config, resolve_secret
from hub.errors import ConfigError
from tests.conftest import REPO, run_cli

MINIMAL = REPO / "config" / "minimal.yaml"


def test_minimal_contract_config_is_valid_and_means_what_it_says(tmp_path: Path) -> None:
    result = run_cli("check-config", str(MINIMAL))
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("config OK: 2 sensors (1 GPIO, 1 MQTT), pin factory mock")
    config = load_config(MINIMAL)
    front, back = config.sensors["front_door"], config.sensors["back_door"]
    assert front.mqtt is not None and front.mqtt.topic == "zigbee2mqtt/front_door"
    assert front.mqtt.format == "zigbee2mqtt"
    assert back.gpio is not None and (back.gpio.pin, back.gpio.normally) == (17, "closed")
    assert config.mqtt.host == "127.0.0.1" and config.mqtt.port == 1883
    assert config.gpio.pin_factory == "mock"
    assert config.data_dir == (REPO / "config" / "data").resolve()


@pytest.mark.parametrize("name", ["porchlight.example.yaml", "demo.yaml", "minimal.yaml", "satellite.example.yaml"])
def test_bundled_configs_are_valid(name: str) -> None:
    assert run_cli("check-config", str(REPO / "config" / name)).returncode == 0


BASE = """\
mqtt:
  host: 127.0.0.1
  port: 1883
sensors:
  front_door:
    kind: door
    mqtt: {topic: zigbee2mqtt/front_door, format: zigbee2mqtt}
  back_door:
    kind: door
    gpio: {pin: 17, normally: closed}
"""

BROKEN = {
    "unknown key": (
        BASE.replace("kind: door\n    gpio", "kind: door\n    colour: red\n    gpio"),
        ["sensors.back_door.colour: unknown key; check its spelling against "
         "config/porchlight.example.yaml (found 'red')"],
    ),
    "bad pin": (
        BASE.replace("pin: 17", "pin: 99"),
        ["sensors.back_door.gpio.pin: must be at most 27 (found 99)"],
    ),
    "pin not a number": (
        BASE.replace("pin: 17", "pin: seventeen"),
        ["sensors.back_door.gpio.pin: must be a whole number (found 'seventeen')"],
    ),
    "duplicate pin": (
        BASE + "  kitchen_window:\n    kind: window\n    gpio: {pin: 17}\n",
        ["sensors.kitchen_window.gpio.pin: GPIO17 is already used by sensors.back_door.gpio.pin"],
    ),
    "bad port": (
        BASE.replace("port: 1883", "port: 70000"),
        ["mqtt.port: must be at most 65535 (found 70000)"],
    ),
    "bad format": (
        BASE.replace("format: zigbee2mqtt", "format: zigbee"),
        ["sensors.front_door.mqtt.format: must be one of 'zigbee2mqtt', 'tasmota', 'homeassistant' "
         "or 'plain' (found 'zigbee')"],
    ),
    "both bindings": (
        BASE.replace("gpio: {pin: 17, normally: closed}",
                     "gpio: {pin: 17}\n    mqtt: {topic: x/y, format: plain}"),
        ["sensors.back_door: give exactly one of 'mqtt', 'gpio' or 'satellite'"],
    ),
    "missing kind": (
        BASE.replace("  back_door:\n    kind: door\n", "  back_door:\n"),
        ["sensors.back_door.kind: required key is missing"],
    ),
    "bad sensor id": (
        BASE.replace("back_door:", "Back Door:"),
        ["sensors.Back Door.[key]: must be lower-case letters, digits and _ (at most 40), starting "
         "with a letter or digit (found 'Back Door')"],
    ),
    "two problems": (
        BASE.replace("port: 1883", "port: 0").replace("pin: 17", "pin: 1"),
        ["mqtt.port: must be at least 1 (found 0)", "sensors.back_door.gpio.pin: must be at least 2 (found 1)"],
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_check_config_names_each_problem(case: str, tmp_path: Path) -> None:
    text, expected = BROKEN[case]
    path = tmp_path / "porchlight.yaml"
    path.write_text(text)
    result = run_cli("check-config", str(path))
    assert result.returncode == 1
    assert result.stdout.splitlines() == expected


def test_check_config_bad_yaml(tmp_path: Path) -> None:
    path = tmp_path / "porchlight.yaml"
    path.write_text("mqtt:\n  host: [127.0.0.1\n  port: 1883\n")
    result = run_cli("check-config", str(path))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{path}: line 3, column 7: invalid YAML: expected ',' or ']', but got ':'"
    ]


def test_check_config_missing_file(tmp_path: Path) -> None:
    result = run_cli("check-config", str(tmp_path / "nope.yaml"))
    assert result.returncode == 1
    assert result.stdout == f"{tmp_path / 'nope.yaml'}: no such file; copy config/porchlight.example.yaml to start one\n"


def test_check_config_top_level_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "porchlight.yaml"
    path.write_text("- a\n- b\n")
    result = run_cli("check-config", str(path))
    assert result.stdout == "(top level): must be a mapping of keys to values (found list)\n"


def test_password_is_never_echoed(tmp_path: Path) -> None:
    path = tmp_path / "porchlight.yaml"
    path.write_text("mqtt:\n  password: [hunter2]\n")
    result = run_cli("check-config", str(path))
    assert "hunter2" not in result.stdout
    assert "mqtt.password" in result.stdout and "<hidden>" in result.stdout


def test_plain_text_password_and_open_broker_warn(tmp_path: Path) -> None:
    path = tmp_path / "porchlight.yaml"
    path.write_text("mqtt:\n  host: 192.0.2.10\n  password: hunter2\n")
    result = run_cli("check-config", str(path))
    assert result.returncode == 0
    assert "warning: mqtt: the broker 192.0.2.10 is not on this machine" in result.stdout
    assert "warning: mqtt.password: written in plain text; use env:NAME or file:/path instead" in result.stdout
    assert "hunter2" not in result.stdout


def test_secrets_from_env_and_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PL_TEST_SECRET", "s3cret")
    secret_file = tmp_path / "pw"
    secret_file.write_text("from-file\n")
    assert resolve_secret("env:PL_TEST_SECRET") == "s3cret"
    assert resolve_secret(f"file:{secret_file}") == "from-file"
    with pytest.raises(ConfigError) as err:
        resolve_secret("env:PL_TEST_MISSING")
    assert err.value.problems == ["secret env:PL_TEST_MISSING: environment variable PL_TEST_MISSING is not set"]


def _yaml_paths(data: object, prefix: str = "") -> set[str]:
    paths: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            path = f"{prefix}{key}"
            if prefix in ("sensors.", "cameras.", "contacts.", "satellites."):
                path = prefix + "<id>"
            paths.add(path)
            paths |= _yaml_paths(value, path + ".")
    elif isinstance(data, list):
        for item in data:
            paths |= _yaml_paths(item, prefix)
    return paths


def test_example_file_documents_every_key() -> None:
    example = yaml.safe_load((REPO / "config" / "porchlight.example.yaml").read_text())
    satellite = yaml.safe_load((REPO / "config" / "satellite.example.yaml").read_text())
    stamps = yaml.safe_load((REPO / "config" / "timestamps.example.yaml").read_text())
    documented = _yaml_paths(example) | _yaml_paths(satellite) | _yaml_paths(stamps)
    missing = [path for path in field_paths() if path not in documented]
    assert missing == []
    assert load_config(REPO / "config" / "porchlight.example.yaml")
    assert parse_config(stamps).timestamps.authorities[0].url == "https://freetsa.org/tsr"


def test_pins_and_channel_urls_are_never_echoed(tmp_path: Path) -> None:
    path = tmp_path / "porchlight.yaml"
    path.write_text("arming:\n  pin: [2468]\ncontacts:\n  ann:\n    notify: [12345678]\n")
    result = run_cli("check-config", str(path))
    assert result.stdout.splitlines() == [
        "arming.pin: Input should be a valid string (found '<hidden>')",
        "contacts.ann.notify.0: Input should be a valid string (found '<hidden>')",
    ]


def test_duress_pin_needs_a_different_normal_pin(tmp_path: Path) -> None:
    path = tmp_path / "porchlight.yaml"
    path.write_text("arming:\n  duress_pin: env:DURESS\n")
    assert run_cli("check-config", str(path)).stdout.splitlines() == [
        "arming.duress_pin: set arming.pin too; a duress PIN needs a normal PIN to stand beside"]
