"""The daemon as a separate process: SIGTERM stops it cleanly; SIGKILL mid-stream loses nothing."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from hub.log import IncidentLog
from tests.conftest import PORCHLIGHT, REPO, Broker, Publisher, run_cli, wait_for, write_config

TOPIC = "zigbee2mqtt/front_door"


@pytest.fixture
def config_file(tmp_path: Path, broker: Broker) -> Path:
    """A config for a daemon on the test broker, with mock GPIO."""
    return write_config(tmp_path / "porchlight.yaml", {
        "data_dir": str(tmp_path / "data"),
        "gpio": {"pin_factory": "mock"},
        "mqtt": {"host": "127.0.0.1", "port": broker.port, "client_id": "porchlight-daemon-test",
                 "reconnect_min_seconds": 1, "reconnect_max_seconds": 1},
        "sensors": {
            "front_door": {"kind": "door", "mqtt": {"topic": TOPIC, "format": "zigbee2mqtt"}},
            "back_door": {"kind": "door", "gpio": {"pin": 17, "normally": "closed"}},
        },
        "log": {"checkpoint_every_rows": 25},
    })


class Daemon:
    """``porchlight run`` in a subprocess."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.process: subprocess.Popen[bytes] | None = None
        self.stderr = config.parent / "daemon.stderr"

    def start(self) -> None:
        """Start the daemon."""
        with self.stderr.open("ab") as err:
            self.process = subprocess.Popen([*PORCHLIGHT, "run", "--config", str(self.config)],
                                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=err)

    def wait_for(self, predicate: Callable[[], Any], timeout: float, what: str) -> None:
        """wait_for, failing at once with the daemon's stderr when it has exited or the time is up."""
        assert self.process is not None
        process = self.process

        def done() -> Any:
            if process.poll() is not None:
                raise AssertionError(f"the daemon exited ({process.returncode}) before {what}:\n{self._stderr_tail()}")
            return predicate()

        try:
            wait_for(done, timeout, what)
        except AssertionError as err:
            raise AssertionError(f"{err}\n--- daemon stderr ---\n{self._stderr_tail()}") from None

    def _stderr_tail(self) -> str:
        lines = self.stderr.read_text(errors="replace").splitlines() if self.stderr.exists() else []
        return "\n".join(lines[-40:])

    def signal(self, sig: int) -> int:
        """Send a signal and wait (bounded) for the process to end; return its exit code."""
        assert self.process is not None
        self.process.send_signal(sig)
        code = self.process.wait(20)
        self.process = None
        return code


@pytest.fixture
def daemon(config_file: Path) -> Iterator[Daemon]:
    """A daemon handle that is always killed at the end."""
    handle = Daemon(config_file)
    yield handle
    if handle.process is not None:
        handle.process.kill()
        handle.process.wait(10)


def _rows(data: Path) -> list[dict]:  # type: ignore[type-arg]
    log = IncidentLog(data)
    try:
        return [e.to_json() for e in log.events()]
    finally:
        log.close()


def test_sigterm_stops_cleanly(daemon: Daemon, config_file: Path) -> None:
    data = config_file.parent / "data"
    daemon.start()
    # A loaded 2-core machine (CI runs three test workers) has taken over 60 s to start it.
    daemon.wait_for(lambda: (data / "porchlight.db").exists() and any(r["kind"] == "door.closed" for r in _rows(data)),
                    150, "the daemon to start")
    assert daemon.signal(signal.SIGTERM) == 0
    kinds = [r["kind"] for r in _rows(data)]
    assert kinds[0] == "hub.started" and kinds[-1] == "hub.stopped"
    assert not (data / "run" / "hub.running").exists()


def test_sigkill_mid_stream_loses_no_acknowledged_message(
        daemon: Daemon, config_file: Path, publisher: Publisher) -> None:
    data = config_file.parent / "data"
    total = 200
    done = threading.Event()

    def stream() -> None:
        for marker in range(total):
            payload = json.dumps({"contact": marker % 2 == 1, "linkquality": marker, "battery": 90})
            publisher.publish(TOPIC, payload)
            time.sleep(0.02)
        done.set()

    daemon.start()
    # The hub's first-ever connection creates its broker session; only then is there a
    # subscriber to queue for. A warm-up message proves the session exists.
    daemon.wait_for(lambda: (data / "porchlight.db").exists(), 150, "the daemon to create its log")
    def warmed_up() -> bool:
        publisher.publish(TOPIC, json.dumps({"contact": True, "linkquality": -1}))
        time.sleep(0.2)
        return any(r["detail"].get("linkquality") == -1 for r in _rows(data))

    daemon.wait_for(warmed_up, 60, "the warm-up message")
    streamer = threading.Thread(target=stream)
    streamer.start()
    kills = 0
    starts = ("hub.started", "hub.power_restored")
    while not done.is_set() and kills < 4:
        # Killed only once it is running again (a loaded machine can take longer than the pause to start).
        daemon.wait_for(lambda: sum(r["kind"] in starts for r in _rows(data)) == kills + 1, 90, "the daemon running")
        time.sleep(1.2)
        daemon.signal(signal.SIGKILL)
        kills += 1
        daemon.start()
    streamer.join(60)
    assert done.is_set()

    def markers() -> set[int]:
        return {int(r["detail"]["linkquality"]) for r in _rows(data) if r["kind"].startswith("door.")
                and r["source"] == "front_door"}

    daemon.wait_for(lambda: markers() >= set(range(total)), 90, "every published message's event")
    daemon.wait_for(lambda: sum(r["kind"] in starts for r in _rows(data)) == kills + 1, 90, "the last restart")
    assert daemon.signal(signal.SIGTERM) == 0
    rows = _rows(data)
    assert kills >= 2
    assert sum(r["kind"] == "hub.power_restored" for r in rows) == kills
    verify = run_cli("log", "verify", "--read-only", "--config", str(config_file))
    assert verify.returncode == 0, verify.stdout
    assert verify.stdout.startswith("log intact:")
