"""Sensors and cameras she adds on the dashboard, beside the config file's; used from the hub's next start.

They live in data_dir/devices.json. Each is checked by the config's own models (SensorConfig,
CameraConfig) when it is added and again when the config is loaded; a damaged file is logged and
left out, and never stops the hub with the config file's devices.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hub.config import CameraConfig, Config, SensorConfig, semantic_problems
from hub.files import write_atomic
from hub.ids import fresh_id

logger = logging.getLogger(__name__)
FILE_NAME = "devices.json"
DEVICE_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")


def device_id(label: str, taken: set[str]) -> str:
    """An id from her label ("Back door" -> back_door), distinct from those taken."""
    return fresh_id(label, taken, fallback="device")


class DeviceBook:
    """The dashboard's sensors and cameras."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / FILE_NAME

    def load(self) -> tuple[dict[str, SensorConfig], dict[str, CameraConfig]]:
        """(sensors, cameras) added on the dashboard; a damaged file is logged and gives none."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            sensors = {sid: SensorConfig.model_validate(v) for sid, v in raw.get("sensors", {}).items()
                       if DEVICE_ID.fullmatch(sid)}
            cameras = {cid: CameraConfig.model_validate(v) for cid, v in raw.get("cameras", {}).items()
                       if DEVICE_ID.fullmatch(cid)}
            return sensors, cameras
        except FileNotFoundError:
            return {}, {}
        except (OSError, ValueError, ValidationError, AttributeError) as err:
            logger.error("%s: cannot use the dashboard's devices (%s); the config file's still apply", self.path, err)
            return {}, {}

    def _write(self, sensors: dict[str, SensorConfig], cameras: dict[str, CameraConfig]) -> None:
        data: dict[str, Any] = {"sensors": {k: v.model_dump(mode="json", exclude_defaults=True)
                                            for k, v in sensors.items()},
                                "cameras": {k: v.model_dump(mode="json", exclude_defaults=True)
                                            for k, v in cameras.items()}}
        write_atomic(self.path, json.dumps(data, indent=1, sort_keys=True).encode(), mode=0o600)

    def add_sensor(self, sid: str, sensor: SensorConfig) -> None:
        """Add or replace a sensor."""
        sensors, cameras = self.load()
        self._write({**sensors, sid: sensor}, cameras)

    def add_camera(self, cid: str, camera: CameraConfig) -> None:
        """Add or replace a camera."""
        sensors, cameras = self.load()
        self._write(sensors, {**cameras, cid: camera})

    def remove(self, device: str) -> bool:
        """Remove a dashboard sensor or camera; False when it is not one of the dashboard's."""
        sensors, cameras = self.load()
        if device not in sensors and device not in cameras:
            return False
        self._write({k: v for k, v in sensors.items() if k != device}, {k: v for k, v in cameras.items() if k != device})
        return True


def fit(config: Config, sensors: dict[str, SensorConfig], cameras: dict[str, CameraConfig]) -> tuple[Config, dict[str, str]]:
    """The config with each dashboard device that fits added, and why each other one does not.

    One at a time: a sensor on a pin the config file already uses is left out alone, and said so,
    instead of taking every other device she added with it.
    """
    merged, refused = config, {}
    for kind, devices in (("sensors", sensors), ("cameras", cameras)):
        for device, settings in devices.items():
            if device in config.sensors or device in config.cameras:
                refused[device] = f"the config file already has a device called {device}"
                continue
            section = dict(getattr(merged, kind))
            section[device] = settings
            trial = merged.model_copy(update={kind: section})
            problems = semantic_problems(trial)
            if problems:
                refused[device] = "; ".join(problems)
                continue
            merged = trial
    return merged, refused


def with_dashboard_devices(config: Config) -> Config:
    """The config with the dashboard's sensors and cameras that fit it added (those that do not are logged)."""
    sensors, cameras = DeviceBook(config.data_dir).load()
    if not sensors and not cameras:
        return config
    merged, refused = fit(config, sensors, cameras)
    for device, why in refused.items():
        logger.error("the dashboard's device %s is not watched: %s", device, why)
    return merged
