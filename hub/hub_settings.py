"""Settings she changes on the dashboard, kept in the hub's state table and read live by the hub.

The PINs, discreet mode and each camera's privacy masks. Every value is checked by the same model
the config file is (a polygon is a Polygon of hub.config), changes are one transaction each, and
the page that makes one records it as a settings change, which alerts like any other.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Sequence

from pydantic import TypeAdapter, ValidationError

from hub.arming import StateTable
from hub.commands import PINS_KEY, PinCheck, hash_pin, pin_hashes
from hub.config import CameraConfig, Config, Polygon, resolve_secret

DISCREET_KEY = "settings:discreet"
BACKUP_KEY = "settings:backup"
MASKS_KEY = "settings:masks:"
ZONES_KEY = "settings:zones:"
AREAS = {"masks": MASKS_KEY, "zones": ZONES_KEY}  # what she can draw on a camera's still
PIN_DIGITS = (4, 12)
_POLYGONS = TypeAdapter(list[Polygon])


class SettingRefused(ValueError):
    """A setting that was not changed, with the reason in words for her."""


class HubSettings:
    """The dashboard's settings over the config file's: what is set here wins."""

    def __init__(self, config: Config, state: StateTable) -> None:
        self.config = config
        self.state = state

    def discreet(self) -> bool:
        """Whether alerts say nothing alarming and carry no pictures."""
        value = self.state.get_state(DISCREET_KEY)
        return self.config.alerts.discreet if value is None else value == "1"

    def set_discreet(self, on: bool) -> None:
        """Turn discreet mode on or off."""
        self.state.set_state(DISCREET_KEY, "1" if on else "0")

    def backup_plan(self) -> tuple[Path | None, str]:
        """(where nightly backups go, at what local time): the dashboard's, else the config file's."""
        raw = self.state.get_state(BACKUP_KEY)
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = None
        if isinstance(data, dict):
            destination = data.get("destination")
            return (Path(destination) if destination else None), str(data.get("time") or self.config.backup.time)
        return self.config.backup.destination, self.config.backup.time

    def set_backup(self, destination: str, at: str) -> Path | None:
        """Back up nightly to ``destination`` (a mounted disk) at ``at``; an empty destination stops them."""
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", at):
            raise SettingRefused("The time: a local time such as 02:30")
        if not destination:
            self.state.set_state(BACKUP_KEY, json.dumps({"destination": None, "time": at}))
            return None
        path = Path(destination)
        if not path.is_absolute() or ".." in path.parts:
            raise SettingRefused("The backup folder: a full path such as /media/usb-disk")
        if not path.is_dir() or not os.access(path, os.W_OK):
            raise SettingRefused(f"{path} is not a folder the hub can write to: plug in and mount the disk first")
        data_dir = self.config.data_dir.resolve()
        if path.resolve() == data_dir or data_dir in path.resolve().parents:
            raise SettingRefused("The backup folder must be on another disk, not inside the hub's own data")
        self.state.set_state(BACKUP_KEY, json.dumps({"destination": str(path), "time": at}))
        return path

    def set_pins(self, pin: str, duress: str | None) -> None:
        """Set the disarm PIN, and the duress PIN (None keeps the one in force); SettingRefused says what is wrong."""
        low, high = PIN_DIGITS
        for name, value in (("The PIN", pin), ("The duress PIN", duress)):
            if value is not None and not (value.isdigit() and low <= len(value) <= high):
                raise SettingRefused(f"{name} must be {low} to {high} digits")
        if duress is not None and duress == pin:
            raise SettingRefused("The duress PIN must differ from the PIN")
        if duress is not None:
            duress_hash: str | None = hash_pin(duress)
        else:
            stored = pin_hashes(self.state)
            configured = resolve_secret(self.config.arming.duress_pin)
            duress_hash = stored[1] if stored is not None else (hash_pin(configured) if configured else None)
        if duress_hash is not None and PinCheck(self.config.arming, None).matches(duress_hash, pin):
            raise SettingRefused("The new PIN must differ from the duress PIN")
        self.state.set_state(PINS_KEY, json.dumps({"pin": hash_pin(pin), "duress": duress_hash}))

    def pin_in_force(self) -> bool:
        """Whether any PIN is set (on the dashboard or in the config file)."""
        return self.pins_set_here() or self.config.arming.pin is not None

    def pins_set_here(self) -> bool:
        """Whether the PINs in force were set on the dashboard (the config file's no longer apply)."""
        return pin_hashes(self.state) is not None

    def areas(self, camera_id: str, what: str) -> list[Polygon]:
        """A camera's privacy masks or motion zones (``what``): the dashboard's, else the config file's."""
        raw = self.state.get_state(AREAS[what] + camera_id)
        configured = list(getattr(self.config.cameras[camera_id], what))
        if raw is None:
            return configured
        try:
            return _POLYGONS.validate_json(raw)
        except ValidationError:
            return configured

    def masks(self, camera_id: str) -> list[Polygon]:
        """A camera's privacy masks."""
        return self.areas(camera_id, "masks")

    def set_areas(self, camera_id: str, what: str, polygons: Sequence[object]) -> list[Polygon]:
        """Replace a camera's masks or zones (points from 0 to 1 across and down the picture); SettingRefused if not."""
        if camera_id not in self.config.cameras:
            raise SettingRefused("There is no such camera")
        try:
            checked = _POLYGONS.validate_python(list(polygons))
        except ValidationError as err:
            raise SettingRefused("Each area needs at least 3 corners inside the picture") from err
        if len(checked) > 20:
            raise SettingRefused("At most 20 areas per camera")
        self.state.set_state(AREAS[what] + camera_id, json.dumps(checked))
        return checked

    def set_masks(self, camera_id: str, polygons: Sequence[object]) -> list[Polygon]:
        """Replace a camera's privacy masks."""
        return self.set_areas(camera_id, "masks", polygons)

    def camera(self, camera_id: str) -> CameraConfig:
        """A camera's config with the dashboard's masks and zones in it."""
        return self.config.cameras[camera_id].model_copy(update={"masks": self.masks(camera_id),
                                                                 "zones": self.areas(camera_id, "zones")})
