"""Settings, Sensors and cameras: add a Zigbee sensor Zigbee2MQTT announced, a GPIO sensor or a camera."""

from __future__ import annotations

import base64
import threading

from flask import Blueprint, render_template, request
from pydantic import ValidationError
from werkzeug.wrappers import Response

from hub.config import CameraConfig, SensorConfig
from hub.devices import DEVICE_ID, DeviceBook, device_id, fit
from hub.sensor_kinds import SENSOR_KIND_NAMES
from hub.sources.usb_cameras import usb_cameras
from hub.sources.zigbee_bridge import NAME, stored_devices, zigbee_base
from hub import kinds
from web.services import ask_hub, audit, in_words, services, told, unless_confirmed

bp = Blueprint("devices", __name__)
TRY_SECONDS = 8.0


def _page(status: int = 200, **extra: object) -> tuple[str, int]:
    found = services()
    added_sensors, added_cameras = DeviceBook(found.config.data_dir).load()
    used = {s.mqtt.topic for s in (*found.config.sensors.values(), *added_sensors.values()) if s.mqtt is not None}
    base = zigbee_base(found.config)
    offered = [d for d in stored_devices(found.state) if f"{base}/{d.name}" not in used]
    extra.setdefault("still", "")
    _, refused = fit(found.config, added_sensors, added_cameras)
    return render_template("devices/index.html", sensors=found.config.sensors, cameras=found.config.cameras,
                           refused=refused,
                           added_sensors=added_sensors, added_cameras=added_cameras, offered=offered,
                           kinds_all=SENSOR_KIND_NAMES, usb=usb_cameras(), **extra), status


@bp.route("/settings/devices")
def index() -> tuple[str, int]:
    """What the hub watches, what Zigbee2MQTT offers, and the forms to add more."""
    return _page()


def _taken() -> set[str]:
    found = services()
    added_sensors, added_cameras = DeviceBook(found.config.data_dir).load()
    return {*found.config.sensors, *found.config.cameras, *added_sensors, *added_cameras}


@bp.route("/settings/devices/sensor", methods=["POST"])
def add_sensor() -> tuple[str, int] | Response:
    """Add a Zigbee sensor by its Zigbee2MQTT name, or a GPIO sensor by its pin."""
    form = request.form
    label = form.get("label", "").strip()[:60]
    if not label:
        return _page(400, error="Give the sensor a name you will recognise (for example: Back door).")
    data: dict[str, object] = {"kind": form.get("kind", ""), "label": label}
    if form.get("zigbee"):
        name = form.get("zigbee", "")
        if not NAME.fullmatch(name) or "//" in name:
            return _page(400, error="That Zigbee device name cannot be a topic; rename it in Zigbee2MQTT.")
        data["mqtt"] = {"topic": f"{zigbee_base(services().config)}/{name}", "format": "zigbee2mqtt"}
    else:
        try:
            data["gpio"] = {"pin": int(form.get("pin", "")), "normally": form.get("normally", "closed")}
        except ValueError:
            return _page(400, error="The GPIO pin: a number such as 17 (the BCM number, not the header position).")
    try:
        sensor = SensorConfig.model_validate(data)
    except ValidationError as err:
        return _page(400, error=f"{label}: {in_words(err)}.")
    refused = _keep(label, sensor=sensor)
    if refused is not None:
        return refused
    return told("devices.index", f"{label} added. Restart the hub (below) to start watching it.")


def _keep(label: str, sensor: SensorConfig | None = None,
          camera: CameraConfig | None = None) -> tuple[str, int] | None:
    """Keep a new device under an id from its label, and record it; the refusal page when it does not fit."""
    device = device_id(label, _taken())
    problem = _clash(device, sensor=sensor, camera=camera)
    if problem:
        return _page(400, error=f"{label} was not added: {problem}.")
    book = DeviceBook(services().config.data_dir)
    if sensor is not None:
        book.add_sensor(device, sensor)
    if camera is not None:
        book.add_camera(device, camera)
    audit(kinds.ACCESS_SETTINGS_CHANGED, {"what": f"{'sensor' if sensor is not None else 'camera'} {label} added",
                                          "device": device})
    return None


def _clash(device: str, sensor: SensorConfig | None = None, camera: CameraConfig | None = None) -> str | None:
    """Why this device would not fit beside everything the hub has (a GPIO pin or topic already used)."""
    found = services()
    sensors, cameras = DeviceBook(found.config.data_dir).load()
    if sensor is not None:
        sensors = {**sensors, device: sensor}
    if camera is not None:
        cameras = {**cameras, device: camera}
    _, refused = fit(found.config, sensors, cameras)
    return refused.get(device)


def _grab(source: str) -> bytes | None:
    """One frame from a camera source as JPEG, within TRY_SECONDS (a dead RTSP address must not hang the page)."""
    import cv2

    found: list[bytes] = []

    def read() -> None:
        capture = cv2.VideoCapture(int(source) if source.isdigit() else source)
        try:
            ok, frame = capture.read()
            if ok:
                encoded, jpeg = cv2.imencode(".jpg", frame)
                if encoded:
                    found.append(bytes(jpeg))
        finally:
            capture.release()

    worker = threading.Thread(target=read, name="camera-try", daemon=True)
    worker.start()
    worker.join(TRY_SECONDS)
    return found[0] if found else None


@bp.route("/settings/devices/camera", methods=["POST"])
def add_camera() -> tuple[str, int] | Response:
    """Try a camera (USB number, rtsp:// address or video file) and add it once a picture came through."""
    form = request.form
    label = form.get("label", "").strip()[:60]
    source = form.get("source", "").strip()[:500]
    if not label or not source:
        return _page(400, error="Give the camera a name and where its picture comes from.")
    if not (source.isdigit() or source.startswith(("rtsp://", "rtsps://", "http://", "https://", "/"))):
        return _page(400, error="The camera: a USB number (0, 1...), an rtsp:// address, or a video file's full path.")
    try:
        camera = CameraConfig(source=source, label=label)
    except ValidationError as err:
        return _page(400, error=f"{label}: {in_words(err)}.")
    still = _grab(source)
    if still is None:
        return _page(400, error=f"No picture came from {label} within {TRY_SECONDS:.0f} s; check the address, the "
                                "camera's password and its network; nothing was added.")
    refused = _keep(label, camera=camera)
    if refused is not None:
        return refused
    return _page(message=f"{label} added: this is what it sees. Restart the hub (below) to start watching it; then "
                         "draw its privacy masks in Security and cameras.",
                 still=base64.b64encode(still).decode("ascii"))


@bp.route("/settings/devices/<device>/remove", methods=["POST"])
def remove(device: str) -> Response | tuple[str, int]:
    """Remove a sensor or camera added here (the config file's are removed there)."""
    if DEVICE_ID.fullmatch(device) and any(device in added for added in DeviceBook(services().config.data_dir).load()):
        asked = unless_confirmed(device.replace("_", " "), "The hub stops watching it after its next restart; "
                                                           "what it recorded stays in the log.", "devices.index")
        if asked is not None:
            return asked
    if not DEVICE_ID.fullmatch(device) or not DeviceBook(services().config.data_dir).remove(device):
        return told("devices.index", "Only devices added on the dashboard can be removed here.")
    audit(kinds.ACCESS_SETTINGS_CHANGED, {"what": f"device {device} removed", "device": device})
    return told("devices.index", "Removed. Restart the hub to stop watching it.")


@bp.route("/settings/devices/restart", methods=["POST"])
def restart() -> Response:
    """Ask the running hub to restart; the answer says truthfully whether it will."""
    answer = ask_hub(kinds.HUB_RESTART_REQUESTED, {"by": "dashboard"})
    if answer is None:
        return told("devices.index", "The hub did not answer (it may be stopped): start it with sudo systemctl "
                                     "start porchlight.", alarm=True)
    return told("devices.index", answer.text, alarm=not answer.ok)
