"""Fixtures named for what they provide: a real broker, mock pins, a temporary incident log."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import yaml

from hub.log import IncidentLog
from hub.store import Store

REPO = Path(__file__).resolve().parent.parent
TEST_DATA = REPO / "tests" / "data"  # committed with its licences: see tests/data/MANIFEST.md
FACES = TEST_DATA / "faces"
PHONE = TEST_DATA / "phone"
VIDEO = TEST_DATA / "video"  # short clips cut from real footage (CC BY 4.0, Intel): see the MANIFEST
PORCHLIGHT = [sys.executable, "-m", "hub"]


def read_clip(name: str) -> list[Any]:
    """Every frame of a committed real clip (tests/data/video), as BGR arrays."""
    import cv2

    capture = cv2.VideoCapture(str(VIDEO / name))
    frames = []
    while len(frames) < 2000:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    assert frames, f"{name}: no frames read"
    return frames


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    """Poll until predicate() is truthy; fail the test naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def run_hub_until(config: Any, pin_factory: Any, kind: str, timeout: float, what: str) -> None:
    """Start a hub on ``config``, wait until its log holds a ``kind`` row, and stop it (its log closed)."""
    from hub.app import Hub

    hub = Hub(config, pin_factory=pin_factory)
    hub.start()
    try:
        wait_for(lambda: hub.log is not None and hub.log.events(kind=kind), timeout, what)
    finally:
        hub.stop()


class Broker:
    """A real mosquitto on 127.0.0.1, with persistence so a restart keeps sessions and queues."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.conf = workdir / "mosquitto.conf"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "user root\n"
            "persistence true\n"
            f"persistence_location {workdir}/\n"
            "autosave_interval 1\n"
            "max_queued_messages 100000\n"
            f"log_dest file {workdir}/mosquitto.log\n"
        )

    def start(self) -> None:
        """Start mosquitto and wait until it accepts connections."""
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.process = subprocess.Popen([binary, "-c", str(self.conf)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def accepting() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return True
            except OSError:
                return False

        wait_for(accepting, 10, f"mosquitto on port {self.port}")

    def stop(self) -> None:
        """Stop mosquitto gracefully (it saves its persistence file)."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def restart(self, down_seconds: float = 0.5) -> None:
        """Stop, stay down a while, start again on the same port."""
        self.stop()
        time.sleep(down_seconds)
        self.start()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A running mosquitto broker on a free port of 127.0.0.1."""
    workdir = tmp_path / "broker"
    workdir.mkdir()
    server = Broker(workdir)
    server.start()
    yield server
    server.stop()


class Publisher:
    """A paho client that publishes like Zigbee2MQTT: QoS 1, retrying until the broker acks."""

    def __init__(self, port: int, username: str | None = None, password: str | None = None) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-pub-{port}-{username or ''}")
        if username is not None:
            self.client.username_pw_set(username, password)
        self.client.reconnect_delay_set(1, 1)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def publish(self, topic: str, payload: str | bytes, timeout: float = 30.0) -> None:
        """Publish with QoS 1 and wait for the broker's ack, re-sending across broker restarts."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.client.is_connected():
                time.sleep(0.05)
                continue
            info = self.client.publish(topic, payload, qos=1)
            try:
                info.wait_for_publish(timeout=2)
            except RuntimeError:
                time.sleep(0.1)
                continue
            if info.is_published():
                return
        raise AssertionError(f"the broker never acknowledged a message on {topic}")

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def publisher(broker: Broker) -> Iterator[Publisher]:
    """A QoS 1 publisher connected to the test broker."""
    client = Publisher(broker.port)
    yield client
    client.close()


@pytest.fixture
def mock_factory() -> Iterator[Any]:
    """gpiozero's MockFactory: real gpiozero code, simulated pins."""
    from gpiozero.pins.mock import MockFactory

    factory = MockFactory()
    yield factory
    factory.close()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An empty data directory."""
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    """The hub's database (log, command queue, state, outbox) in a temporary directory."""
    with Store(data_dir, checkpoint_every_rows=1000) as opened:
        yield opened


@pytest.fixture
def incident_log(store: Store) -> IncidentLog:
    """The incident log of ``store``."""
    return store.log


def write_config(path: Path, data: dict[str, Any]) -> Path:
    """Write a YAML config file and return its path. The dashboard listens on loopback only, on a free port."""
    data = {**data, "web": data.get("web", {"host": "127.0.0.1", "port": free_port()})}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def run_cli(*args: str, check: bool = False, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the porchlight command in a subprocess."""
    result = subprocess.run([*PORCHLIGHT, *args], capture_output=True, text=True, timeout=timeout, cwd=REPO)
    if check and result.returncode != 0:
        raise AssertionError(f"porchlight {' '.join(args)} failed: {result.stdout}{result.stderr}")
    return result


def log_json(data: Path, *args: str) -> list[dict[str, Any]]:
    """Rows of ``porchlight log list --json``."""
    out = run_cli("log", "list", "--json", "--data", str(data), *args, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def mqtt_samples() -> list[dict[str, Any]]:
    """The real-world MQTT payload fixtures of tests/data/mqtt."""
    path = TEST_DATA / "mqtt" / "door-sensors.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture
def threads_cleanup() -> Iterator[None]:
    """Fail if a test leaves non-daemon threads running."""
    before = set(threading.enumerate())
    yield
    leftover = [t for t in threading.enumerate() if t not in before and t.is_alive() and not t.daemon]
    assert not leftover, f"threads left running: {leftover}"


class SmtpServer:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[bytes] = []
        outer = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                outer.messages.append(envelope.content)
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def url(self, to: str = "neighbour@example.org") -> str:
        """An Apprise URL that delivers here."""
        return f"mailto://127.0.0.1:{self.port}?from=hub@porchlight.local&to={to}&mode=insecure"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A running SMTP receiver."""
    server = SmtpServer()
    server.controller.start()
    yield server
    server.controller.stop()


class Webhook:
    """A JSON webhook receiver on 127.0.0.1 that can be taken down and brought back."""

    def __init__(self) -> None:
        self.port = free_port()
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.gets: list[str] = []
        self.server: Any = None

    def start(self) -> None:
        """Listen (again) on the same port."""
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer.gets.append(self.path)
                self.send_response(200)
                self.end_headers()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                outer.posts.append((self.path, json.loads(self.rfile.read(length))))
                self.send_response(200)
                self.end_headers()

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Go away (connections are refused)."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def url(self, path: str = "/alerts") -> str:
        """An Apprise URL that posts JSON here."""
        return f"json://127.0.0.1:{self.port}{path}"


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    """A running JSON webhook receiver."""
    hook = Webhook()
    hook.start()
    yield hook
    hook.stop()


@pytest.fixture
def time_authority(tmp_path: Path) -> Iterator[Any]:
    """A real RFC 3161 authority (openssl ts) on 127.0.0.1, with a root made for the test."""
    from tests import tsa

    tsa.make_pki(tmp_path / "tsa")
    authority = tsa.start(tmp_path / "tsa")
    yield authority
    authority.server.shutdown()
    authority.server.server_close()
