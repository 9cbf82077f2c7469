"""systemd: the units verify, and the daemon says READY=1 and keeps saying WATCHDOG=1."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import PORCHLIGHT, REPO, write_config

UNITS = sorted((REPO / "systemd").glob("*.service"))


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
@pytest.mark.parametrize("unit", UNITS, ids=[u.name for u in UNITS])
def test_units_pass_systemd_analyze_verify(unit: Path, tmp_path: Path) -> None:
    # ExecStart must exist for verify; point it at this checkout's command instead of /opt.
    text = unit.read_text().replace("/opt/porchlight/venv/bin/porchlight", str(Path(sys.executable).parent / "porchlight"))
    local = tmp_path / unit.name
    local.write_text(text)
    result = subprocess.run(["systemd-analyze", "verify", str(local)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Type=notify" in text and "WatchdogSec=" in text and "ProtectSystem=strict" in text


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
@pytest.mark.parametrize("unit", UNITS, ids=[u.name for u in UNITS])
def test_the_sandbox_rates_2_or_lower(unit: Path) -> None:
    """If a parser bug in an image or video library lets someone in, the sandbox must hold (issue 11)."""
    import re

    result = subprocess.run(["systemd-analyze", "security", "--offline=true", str(unit)],
                            capture_output=True, text=True, timeout=60)
    found = re.search(r"Overall exposure level for \S+: ([0-9.]+)", result.stdout + result.stderr)
    assert found is not None, result.stdout + result.stderr
    assert float(found.group(1)) <= 2.0, result.stdout


def test_daemon_notifies_ready_and_pings_the_watchdog(tmp_path: Path) -> None:
    config = write_config(tmp_path / "porchlight.yaml", {"data_dir": str(tmp_path / "data"),
                                                          "gpio": {"pin_factory": "mock"}, "mqtt": {"enabled": False}})
    path = tmp_path / "notify.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(path))
    listener.settimeout(20)
    env = {**os.environ, "NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "1000000"}
    daemon = subprocess.Popen([*PORCHLIGHT, "run", "--config", str(config)], cwd=REPO, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    messages: list[str] = []
    try:
        deadline = time.monotonic() + 30
        while sum(m == "WATCHDOG=1" for m in messages) < 3 and time.monotonic() < deadline:
            messages.append(listener.recv(4096).decode())
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(20) == 0
        listener.settimeout(2)
        messages.append(listener.recv(4096).decode())
    finally:
        if daemon.poll() is None:
            daemon.kill()
        listener.close()
    assert messages[0].startswith("READY=1\nSTATUS=watching 0 sensors and 0 cameras")
    assert messages[1:4] == ["WATCHDOG=1"] * 3
    assert messages[-1] == "STOPPING=1"
