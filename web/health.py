"""Sensor and camera health for the home page: last seen, and whether they look offline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub.config import Config
from hub.log import IncidentLog
from hub.frames import STALE_SECONDS, FrameProvider
from hub import kinds

# A camera frame older than this is shown as stale: the picture is not live.


@dataclass(frozen=True)
class Health:
    """One device's line on the home page."""

    id: str
    label: str
    kind: str
    last_seen: datetime | None
    status: str  # "ok", "offline", "stale", "tampered", "never seen"
    age_seconds: float | None = None  # cameras: how old the newest frame is (None: no picture at all)


def sensor_health(config: Config, log: IncidentLog) -> list[Health]:
    """Each configured sensor's last logged event and status."""
    found = []
    for sid, sensor in config.sensors.items():
        latest = log.events(source=sid, newest_first=True, limit=1)
        last = latest[0] if latest else None
        status = ("never seen" if last is None else "offline" if last.kind == kinds.SENSOR_OFFLINE
                  else "tampered" if last.kind == kinds.SENSOR_TAMPER else "ok")
        found.append(Health(sid, sensor.label or sid, sensor.kind, last.at if last else None, status))
    return found


def camera_health(config: Config, log: IncidentLog, frames: FrameProvider) -> list[Health]:
    """Each configured camera: offline when its last status says so, stale when frames stopped coming."""
    found = []
    for cid, camera in config.cameras.items():
        latest = log.events(source=cid, newest_first=True, limit=1)
        last = latest[0] if latest else None
        frame = frames(cid)
        if last is not None and last.kind in (kinds.CAMERA_OFFLINE, kinds.CAMERA_TAMPER):
            status = "offline" if last.kind == kinds.CAMERA_OFFLINE else "tampered"
        elif frame is None:
            status = "offline"
        elif frame.age_seconds > STALE_SECONDS:
            status = "stale"
        else:
            status = "ok"
        found.append(Health(cid, camera.label or cid, "camera", last.at if last else None, status,
                            frame.age_seconds if frame is not None else None))
    return found
