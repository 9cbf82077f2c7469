"""The broker as the installer locks it down: he is on her Wi-Fi, and may even hold one device's password."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest

from hub.app import Hub
from hub.broker_lockdown import HUB_ACCOUNT, BrokerPaths, Lockdown, accounts_for, lock_down, password_hash
from hub.config import Config
from hub.doctor import check_broker_lockdown
from tests.conftest import Broker, Publisher, free_port, wait_for
from tests.hostile.conftest import DOOR_TOPIC, PIN, hostile_config


class LockedBroker:
    """A real mosquitto running the files broker-setup wrote, on a free port of 127.0.0.1."""

    def __init__(self, workdir: Path, config: Config, tls: bool = False) -> None:
        self.paths = BrokerPaths(mosquitto_dir=workdir / "mosquitto", hub_dir=workdir / "porchlight-mqtt",
                                 live_mosquitto_dir=workdir / "mosquitto")
        self.port = free_port()
        self.tls_port = free_port() if tls else None
        self.lockdown: Lockdown = lock_down(config, self.paths, port=self.port, bind="127.0.0.1",
                                            tls_port=self.tls_port)
        self.server = Broker(workdir)
        self.server.port = self.port
        self.server.conf.write_text(f"user root\npersistence false\nlog_dest file {workdir}/mosquitto.log\n"
                                    f"include_dir {self.paths.mosquitto_dir / 'conf.d'}\n")
        self.server.start()

    def password(self, account: str) -> str:
        if account == HUB_ACCOUNT:
            return self.paths.hub_password.read_text().strip()
        return self.lockdown.new[account]


def _config(data_dir: Path, port: int, locked: LockedBroker | None = None) -> Config:
    config = hostile_config(data_dir, port, satellites={"back_shed": {}})
    if locked is None:
        return config
    mqtt = config.mqtt.model_copy(update={"username": HUB_ACCOUNT, "password": f"file:{locked.paths.hub_password}"})
    return config.model_copy(update={"mqtt": mqtt})


@pytest.fixture
def locked(tmp_path: Path, data_dir: Path) -> Iterator[LockedBroker]:
    workdir = tmp_path / "locked"
    workdir.mkdir()
    broker = LockedBroker(workdir, _config(data_dir, 1883))
    yield broker
    broker.server.stop()


class Observer:
    """A client of the hub's own account, which may read everything: what reached the broker's subscribers."""

    def __init__(self, port: int, username: str, password: str, topic: str = "#") -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.seen: list[tuple[str, bytes]] = []
        self.lock = threading.Lock()
        self.subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"observer-{username}")
        self.client.username_pw_set(username, password)
        self.client.on_message = lambda c, u, m: self._seen(m.topic, m.payload)
        self.client.on_subscribe = lambda *args: self.subscribed.set()
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert self.subscribed.wait(10), f"{username} could not subscribe"

    def _seen(self, topic: str, payload: bytes) -> None:
        with self.lock:
            self.seen.append((topic, payload))

    def topics(self) -> set[str]:
        with self.lock:
            return {topic for topic, _ in self.seen}

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _connect_result(port: int, username: str | None, password: str | None, ca_file: Path | None = None) -> str:
    """What the broker answers a client that logs in so (or without a name)."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    answered = threading.Event()
    result: list[Any] = []
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"probe-{username}")
    if username is not None:
        client.username_pw_set(username, password)
    if ca_file is not None:
        client.tls_set(ca_certs=str(ca_file))

    def on_connect(c: Any, u: Any, flags: Any, reason: Any, props: Any) -> None:
        result.append(reason)
        answered.set()

    client.on_connect = on_connect
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        assert answered.wait(10)
    finally:
        client.disconnect()
        client.loop_stop()
    return str(result[0])


def test_nobody_gets_in_without_a_password_of_their_own(locked: LockedBroker) -> None:
    assert "Not authorized" in _connect_result(locked.port, None, None)
    assert "Not authorized" in _connect_result(locked.port, "keypad", "her-old-password")
    assert "Not authorized" in _connect_result(locked.port, HUB_ACCOUNT, locked.password("keypad"))
    assert _connect_result(locked.port, "keypad", locked.password("keypad")) == "Success"
    assert sorted(locked.lockdown.new) == ["homeassistant", "keypad", "satellite-back_shed", "zigbee2mqtt"]
    assert locked.password(HUB_ACCOUNT) and HUB_ACCOUNT not in locked.lockdown.new  # kept for the hub, not shown
    text = locked.paths.passwords.read_text()
    assert all(pw not in text for pw in locked.lockdown.new.values())  # hashes only
    assert (locked.paths.passwords.stat().st_mode & 0o077) == 0 and (locked.paths.hub_password.stat().st_mode & 0o007) == 0


def test_each_device_may_publish_only_what_it_is_for(locked: LockedBroker) -> None:
    observer = Observer(locked.port, HUB_ACCOUNT, locked.password(HUB_ACCOUNT))
    keypad = Publisher(locked.port, "keypad", locked.password("keypad"))
    try:
        # Home Assistant subscribes to all it can while a keypad sends a PIN: it never reads the command topics.
        home_assistant = Observer(locked.port, "homeassistant", locked.password("homeassistant"), "porchlight/#")
        keypad.publish("porchlight/command/arm", json.dumps({"mode": "home", "pin": PIN}))
        wait_for(lambda: "porchlight/command/arm" in observer.topics(), 10, "the keypad's command")
        home_assistant.close()
        assert not {t for t in home_assistant.topics() if t.startswith("porchlight/command/")}
    finally:
        keypad.close()
    clients = {name: Publisher(locked.port, name, locked.password(name))
               for name in ("zigbee2mqtt", "keypad", "homeassistant", "satellite-back_shed")}
    forbidden = [("zigbee2mqtt", "porchlight/command/arm"), ("zigbee2mqtt", "porchlight/arm_mode"),
                 ("zigbee2mqtt", "porchlight/satellite/back_shed/event"), ("keypad", "porchlight/sensor/front_door/state"),
                 ("keypad", DOOR_TOPIC), ("keypad", "porchlight/status"), ("homeassistant", "porchlight/command/panic"),
                 ("homeassistant", "porchlight/arm_mode"), ("satellite-back_shed", "porchlight/satellite/garage/event"),
                 ("satellite-back_shed", "porchlight/command/arm"),
                 # Renaming or hiding her sensors in Home Assistant through the hub's discovery topics.
                 ("zigbee2mqtt", "homeassistant/binary_sensor/porchlight/porchlight_front_door/config"),
                 ("homeassistant", "homeassistant/binary_sensor/porchlight/porchlight_front_door/config")]
    allowed = [("zigbee2mqtt", DOOR_TOPIC), ("keypad", "porchlight/command/checkin"),
               ("keypad", "porchlight/command/panic"), ("homeassistant", "porchlight/command/arm"),
               ("satellite-back_shed", "porchlight/satellite/back_shed/event"),
               ("zigbee2mqtt", "homeassistant/binary_sensor/0x00158d0001/contact/config")]  # its own discovery
    try:
        for who, topic in forbidden:
            clients[who].publish(topic, f"from {who}")  # the broker acknowledges it, and drops it
        for who, topic in allowed:
            clients[who].publish(topic, f"from {who}")
        wait_for(lambda: all((t, f"from {w}".encode()) in observer.seen for w, t in allowed), 10,
                 "every allowed message")
        got_through = [(who, topic) for who, topic in forbidden
                       if (topic, f"from {who}".encode()) in observer.seen]
        assert got_through == []
    finally:
        for client in clients.values():
            client.close()
        observer.close()


def test_another_devices_password_cannot_take_over_the_hubs_session(
        locked: LockedBroker, data_dir: Path, mock_factory: Any) -> None:
    """He connects with a keypad's password under the hub's client id, to take its queued door openings."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    hub = Hub(_config(data_dir, locked.port, locked), pin_factory=mock_factory)
    hub.start()
    bridge = Publisher(locked.port, "zigbee2mqtt", locked.password("zigbee2mqtt"))
    from hub.mqtt import install_client_id

    thief = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=install_client_id(data_dir), clean_session=False)
    stolen: list[bytes] = []
    thief.username_pw_set("keypad", locked.password("keypad"))
    thief.on_connect = lambda c, u, f, rc, p: c.subscribe("#", qos=1)
    thief.on_message = lambda c, u, m: stolen.append(m.payload)
    try:
        assert hub.mqtt is not None and hub.mqtt.wait_connected(10)
        thief.connect("127.0.0.1", locked.port)
        thief.loop_start()
        bridge.publish(DOOR_TOPIC, json.dumps({"contact": False}))
        wait_for(lambda: hub.log and hub.log.events(kind="door.opened"), 10, "the real opening, still the hub's")
        assert hub.mqtt.wait_connected(1)
        assert not [p for p in stolen if b"contact" in p]
    finally:
        thief.disconnect()
        thief.loop_stop()
        bridge.close()
        hub.stop()


def test_names_that_would_rewrite_the_acl_are_refused(data_dir: Path, tmp_path: Path) -> None:
    from hub.config import parse_config
    from hub.errors import ConfigError

    def door(topic: str, **mqtt: str) -> dict[str, Any]:
        return {"data_dir": str(data_dir), "mqtt": mqtt,
                "sensors": {"front_door": {"kind": "door", "mqtt": {"topic": topic, "format": "zigbee2mqtt"}}}}

    for topic in ("evil\nuser keypad\ntopic read porchlight/#", "$SYS/broker", "zigbee2mqtt/door\r"):
        with pytest.raises((ConfigError, ValueError)):
            parse_config(door(topic))
    paths = BrokerPaths(mosquitto_dir=tmp_path / "m", hub_dir=tmp_path / "h")
    for config, why in ((door("keypad/door"), "cannot be its bridge's account name"),
                        (door("my bridge/door"), "cannot be its bridge's account name"),
                        (door("zigbee2mqtt/door", discovery_prefix="porchlight"), "must differ"),
                        (door("zigbee2mqtt/door", discovery_prefix="porchlight/command"), "one topic level")):
        with pytest.raises(ValueError, match=why):
            lock_down(parse_config(config), paths)
    assert not (tmp_path / "m").exists()  # nothing half-written


def test_the_hub_runs_on_the_locked_broker_and_a_bridge_password_cannot_disarm_it(
        locked: LockedBroker, data_dir: Path, mock_factory: Any) -> None:
    config = _config(data_dir, locked.port, locked)
    bridge = Publisher(locked.port, "zigbee2mqtt", locked.password("zigbee2mqtt"))
    keypad = Publisher(locked.port, "keypad", locked.password("keypad"))
    hub = Hub(config, pin_factory=mock_factory)
    hub.start()
    try:
        assert hub.mqtt is not None and hub.mqtt.wait_connected(10)
        assert hub.log is not None
        bridge.publish(DOOR_TOPIC, json.dumps({"contact": False}))
        bridge.publish(DOOR_TOPIC, json.dumps({"contact": True}))
        wait_for(lambda: hub.log and hub.log.events(kind="door.closed"), 10, "the real door, through the bridge")
        keypad.publish("porchlight/command/arm", json.dumps({"mode": "away", "pin": PIN}))
        wait_for(lambda: hub.pipeline is not None and hub.pipeline.arm_state.mode == "away", 10,
                 "armed from the keypad")
        # He holds the bridge's password and even knows her PIN: the broker drops his disarm.
        bridge.publish("porchlight/command/arm", json.dumps({"mode": "disarmed", "pin": PIN}))
        bridge.publish("porchlight/arm_mode", "disarmed")
        keypad.publish("porchlight/command/checkin", json.dumps({"pin": PIN}))  # a real command after his
        wait_for(lambda: hub.log and hub.log.events(kind="checkin.*"), 10, "the keypad's check-in after his disarm")
        assert hub.pipeline is not None and hub.pipeline.arm_state.mode == "away"
        problems = check_broker_lockdown(config)
        assert [c.ok for c in problems] == [True], problems
    finally:
        hub.stop()
        bridge.close()
        keypad.close()


def test_a_re_run_keeps_every_password_and_hands_out_only_new_ones(locked: LockedBroker, data_dir: Path) -> None:
    before = locked.paths.passwords.read_text()
    hub_password = locked.password(HUB_ACCOUNT)
    again = lock_down(_config(data_dir, 1883), locked.paths, port=locked.port, bind="127.0.0.1")
    assert again.new == {} and locked.paths.passwords.read_text() == before
    assert locked.password(HUB_ACCOUNT) == hub_password
    grown = hostile_config(data_dir, 1883, satellites={"back_shed": {}, "garage": {}})
    added = lock_down(grown, locked.paths, port=locked.port, bind="127.0.0.1", reset=("keypad",))
    assert sorted(added.new) == ["keypad", "satellite-garage"]
    assert [a.name for a in accounts_for(grown)][-1] == "satellite-garage"
    with pytest.raises(ValueError, match="no broker account named nobody"):
        lock_down(grown, locked.paths, reset=("nobody",))


def test_password_hashes_are_mosquittos_own_format() -> None:
    hashed = password_hash("correct horse", salt=b"\x00" * 12, rounds=101)
    assert hashed.startswith("$7$101$AAAAAAAAAAAAAAAA$") and len(hashed.split("$")[-1]) == 88


def test_broker_setup_from_the_command_line_with_tls(tmp_path: Path, data_dir: Path) -> None:
    from tests.conftest import run_cli, write_config

    config = write_config(tmp_path / "porchlight.yaml", {
        "data_dir": str(data_dir), "device_name": "hall-hub",
        "sensors": {"front_door": {"kind": "door", "mqtt": {"topic": DOOR_TOPIC, "format": "zigbee2mqtt"}}}})
    args = ("broker-setup", "--config", str(config), "--mosquitto-dir", str(tmp_path / "mosquitto"),
            "--hub-dir", str(tmp_path / "hub-mqtt"), "--tls")
    first = run_cli(*args)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "zigbee2mqtt" in first.stdout and "keypad" in first.stdout and "TLS:" in first.stdout
    conf = (tmp_path / "mosquitto" / "conf.d" / "porchlight.conf").read_text()
    assert "allow_anonymous false" in conf and "listener 1883 127.0.0.1" in conf and "listener 8883\n" in conf
    # Listener options come after a listener line: before one, mosquitto opens a default listener on every interface.
    assert conf.index("use_username_as_clientid") > conf.index("listener ")
    assert (tmp_path / "hub-mqtt" / "porchlight-broker-cert.pem").exists()
    again = run_cli(*args)
    assert "New broker accounts" not in again.stdout and "Kept, passwords unchanged" in again.stdout
    refused = run_cli(*args, "--reset", "nobody")
    assert refused.returncode == 1 and "no broker account named nobody" in refused.stdout


def test_with_tls_the_lan_gets_tls_only_and_devices_pin_the_broker(tmp_path: Path, data_dir: Path) -> None:
    workdir = tmp_path / "tls"
    workdir.mkdir()
    broker = LockedBroker(workdir, _config(data_dir, 1883), tls=True)
    try:
        assert broker.tls_port is not None
        pinned = broker.paths.hub_dir / "porchlight-broker-cert.pem"
        assert _connect_result(broker.tls_port, "keypad", broker.password("keypad"), pinned) == "Success"
        assert "Not authorized" in _connect_result(broker.tls_port, None, None, pinned)
        assert _connect_result(broker.port, HUB_ACCOUNT, broker.password(HUB_ACCOUNT)) == "Success"  # the hub, locally
    finally:
        broker.server.stop()


def test_a_takeover_with_the_hubs_own_login_raises_the_alarm(
        locked: LockedBroker, data_dir: Path, mock_factory: Any) -> None:
    """He holds the hub's own broker password and keeps connecting as it: the hub keeps losing its session."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    hub = Hub(_config(data_dir, locked.port, locked), pin_factory=mock_factory)
    hub.start()
    thief = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="whatever", clean_session=False)
    thief.username_pw_set(HUB_ACCOUNT, locked.password(HUB_ACCOUNT))
    thief.reconnect_delay_set(1, 1)
    try:
        assert hub.mqtt is not None and hub.mqtt.wait_connected(10)
        thief.connect("127.0.0.1", locked.port)
        thief.loop_start()
        wait_for(lambda: hub.log and hub.log.events(kind="hub.broker_lost"), 40, "the takeover alarm")
        assert hub.log is not None
        [lost] = hub.log.events(kind="hub.broker_lost")
        assert "taking over the hub's session" in lost.detail["reason"] and lost.detail["drops_last_minute"] >= 4
    finally:
        thief.loop_stop()
        thief.disconnect()
        hub.stop()
