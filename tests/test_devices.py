"""Sensors and cameras added on the dashboard: from what Zigbee2MQTT announces, a GPIO pin, or a camera tried first."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hub.app import Hub
from hub.config import load_config
from hub.devices import with_dashboard_devices
from hub.log import IncidentLog
from hub.sources.usb_cameras import UsbCamera, usb_cameras
from tests.conftest import VIDEO, Broker, Publisher, wait_for, write_config
from tests.webtools import login, make_app, post, said, set_up

BRIDGE = [
    {"type": "Coordinator", "friendly_name": "Coordinator"},
    {"type": "EndDevice", "friendly_name": "back door", "definition": {"model": "MCCGQ11LM", "exposes": [
        {"type": "binary", "property": "contact"}, {"type": "numeric", "property": "battery"}]}},
    {"type": "EndDevice", "friendly_name": "hall/pir", "definition": {"model": "RTCGQ11LM", "exposes": [
        {"type": "binary", "property": "occupancy"}]}},
    {"type": "EndDevice", "friendly_name": "#", "definition": {"exposes": [{"property": "contact"}]}},
    {"type": "Router", "friendly_name": "plug", "definition": {"exposes": [{"property": "state"}]}},
]


def test_a_zigbee_sensor_is_offered_added_and_watched_after_a_restart(
        tmp_path: Path, broker: Broker, publisher: Publisher, mock_factory: Any) -> None:
    data = tmp_path / "data"
    config_file = write_config(tmp_path / "porchlight.yaml", {
        "data_dir": str(data), "gpio": {"pin_factory": "mock"}, "web": {"enabled": False},
        "mqtt": {"host": "127.0.0.1", "port": broker.port, "reconnect_min_seconds": 1, "reconnect_max_seconds": 1}})
    hub = Hub(with_dashboard_devices(load_config(config_file)), pin_factory=mock_factory)
    hub.start()
    try:
        assert hub.mqtt is not None and hub.mqtt.wait_connected(10)
        publisher.publish("zigbee2mqtt/bridge/devices", b"[not json")
        publisher.publish("zigbee2mqtt/bridge/devices", json.dumps(BRIDGE))
        wait_for(lambda: hub.store is not None and hub.store.state.get_state("zigbee_devices"), 10, "the device list")
        app = make_app(data, web={"tls": False})
        client = app.test_client()
        set_up(client)
        login(client)
        page = client.get("/settings/devices").get_data(as_text=True)
        assert "back door" in page and "hall/pir" in page and "MCCGQ11LM" in page
        assert 'value="#"' not in page and 'value="plug"' not in page  # not a topic; not a sensor
        added = post(client, "/settings/devices/sensor", {"zigbee": "back door", "label": "Back door", "kind": "door"})
        assert said(client, added) == "Back door added. Restart the hub (below) to start watching it."
        wait_for(lambda: hub.log is not None and hub.log.events(kind="access.settings_changed"), 10,
                 "the running hub to record the addition")
        assert "back door" not in client.get("/settings/devices").get_data(as_text=True).split("paired")[1]
        restart = said(client, post(client, "/settings/devices/restart"))
        assert restart.startswith("The hub did not answer") or restart.startswith("This hub cannot restart itself")
    finally:
        hub.stop()
    rejected = [e for e in IncidentLog(data).events(kind="input.rejected")]
    assert any("device list was not understood" in str(e.detail.get("problem")) for e in rejected)
    # The next start watches it, and does not blame the config file for the new sensor.
    hub = Hub(with_dashboard_devices(load_config(config_file)), pin_factory=mock_factory)
    hub.start()
    try:
        assert hub.mqtt is not None and hub.mqtt.wait_connected(10)
        assert hub.config.sensors["back_door"].mqtt.topic == "zigbee2mqtt/back door"  # type: ignore[union-attr]
        publisher.publish("zigbee2mqtt/back door", json.dumps({"contact": False, "battery": 90}))
        wait_for(lambda: hub.log is not None and hub.log.events(kind="door.opened"), 10, "the new sensor's event")
    finally:
        hub.stop()
    log = IncidentLog(data)
    try:
        whats = [e.detail.get("what") for e in log.events(kind="access.settings_changed")]
    finally:
        log.close()
    assert "sensor Back door added" in whats
    assert not any("outside the dashboard" in str(w) for w in whats)


def test_a_gpio_sensor_and_a_camera_that_shows_a_picture(data_dir: Path) -> None:
    client = make_app(data_dir).test_client()
    set_up(client)
    login(client)
    words = said(client, post(client, "/settings/devices/sensor", {"label": "Kitchen window", "kind": "window",
                                                                    "pin": "22", "normally": "closed"}))
    assert words.startswith("Kitchen window added.")
    clash = post(client, "/settings/devices/sensor", {"label": "Bedroom window", "kind": "window", "pin": "22"})
    assert clash.status_code == 400 and "Bedroom window was not added" in clash.get_data(as_text=True)
    assert "GPIO22 is already used by" in clash.get_data(as_text=True)
    refused = post(client, "/settings/devices/sensor", {"label": "Bad", "kind": "door", "pin": "x"})
    assert refused.status_code == 400 and "BCM number" in refused.get_data(as_text=True)
    camera = post(client, "/settings/devices/camera", {"label": "Porch", "source": str(VIDEO / "parking.mp4")})
    page = camera.get_data(as_text=True)
    assert camera.status_code == 200 and "Porch added: this is what it sees." in page and "data:image/jpeg" in page
    dead = post(client, "/settings/devices/camera", {"label": "Gate", "source": "rtsp://127.0.0.1:9/none"})
    assert dead.status_code == 400 and "No picture came from Gate" in dead.get_data(as_text=True)
    odd = post(client, "/settings/devices/camera", {"label": "Gate", "source": "file:///etc/passwd"})
    assert odd.status_code == 400
    written = json.loads((data_dir / "devices.json").read_text())
    assert set(written["sensors"]) == {"kitchen_window"} and set(written["cameras"]) == {"porch"}
    assert (data_dir / "devices.json").stat().st_mode & 0o077 == 0
    asked = post(client, "/settings/devices/kitchen_window/remove").get_data(as_text=True)
    assert "Remove kitchen window?" in asked and "kitchen_window" in json.loads((data_dir / "devices.json").read_text())["sensors"]
    assert said(client, post(client, "/settings/devices/kitchen_window/remove", {"confirmed": "yes"})).startswith(
        "Removed.")


def test_one_device_that_no_longer_fits_is_left_out_alone_and_said_so(tmp_path: Path) -> None:
    from hub.config import SensorConfig, parse_config
    from hub.devices import DeviceBook, fit

    data = tmp_path / "data"
    book = DeviceBook(data)
    book.add_sensor("bedroom_window", SensorConfig.model_validate({"kind": "window", "gpio": {"pin": 22}}))
    book.add_sensor("kitchen_window", SensorConfig.model_validate({"kind": "window", "gpio": {"pin": 17}}))
    # Later the config file wires the back door to GPIO 17 as well.
    config = parse_config({"data_dir": str(data), "sensors": {"back_door": {"kind": "door", "gpio": {"pin": 17}}}})
    merged = with_dashboard_devices(config)
    assert set(merged.sensors) == {"back_door", "bedroom_window"}  # the bedroom window is still watched
    _, refused = fit(config, *book.load())
    assert refused == {"kitchen_window": "sensors.kitchen_window.gpio.pin: GPIO17 is already used by sensors.back_door"} \
        or "GPIO17 is already used" in refused["kitchen_window"]
    client = make_app(data, sensors={"back_door": {"kind": "door", "gpio": {"pin": 17}}}).test_client()
    set_up(client)
    login(client)
    page = client.get("/settings/devices").get_data(as_text=True)
    assert "NOT WATCHED: " in page and "GPIO17 is already used" in page


def _node(root: Path, name: str, device: Path, index: str = "0", label: str = "") -> None:
    device.mkdir(parents=True, exist_ok=True)
    node = root / name
    node.mkdir(parents=True)
    (node / "index").write_text(f"{index}\n")
    (node / "name").write_text(f"{label}\n")
    (node / "device").symlink_to(device)


def test_usb_cameras_are_offered_by_name_and_the_pis_own_video_nodes_are_not(tmp_path: Path) -> None:
    sysfs, devices = tmp_path / "video4linux", tmp_path / "devices"
    webcam = devices / "pci0000:00" / "0000:00:14.0" / "usb1" / "1-2" / "1-2:1.0"
    _node(sysfs, "video0", webcam, label="HD Pro Webcam C920")
    _node(sysfs, "video1", webcam, index="1", label="HD Pro Webcam C920")  # its metadata node
    _node(sysfs, "video2", devices / "platform" / "soc" / "fe801000.csi", label="unicam-image")
    _node(sysfs, "video10", devices / "platform" / "soc" / "bcm2835-codec", label="bcm2835-codec-decode")
    _node(sysfs, "video4", devices / "usb3" / "3-1" / "3-1:1.0", label="Cam <script>\x1b[31m")
    (sysfs / "not-a-node").mkdir()
    assert usb_cameras(sysfs) == [UsbCamera(0, "HD Pro Webcam C920"), UsbCamera(4, "Cam script31m")]
    assert usb_cameras(tmp_path / "absent") == []  # a machine with no cameras at all


def test_the_camera_form_offers_the_usb_cameras_it_finds_or_says_none_is_there(data_dir: Path) -> None:
    client = make_app(data_dir).test_client()
    set_up(client)
    login(client)
    page = client.get("/settings/devices").get_data(as_text=True)
    found = usb_cameras()
    if found:  # a machine with a camera plugged in
        assert all(camera.name in page for camera in found)
    else:
        assert "None found. Plug the camera into the hub" in page
