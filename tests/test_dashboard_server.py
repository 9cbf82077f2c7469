"""``porchlight run`` serves the dashboard: HTTPS with its own certificate, or plain HTTP; a busy port is no crash."""

from __future__ import annotations

import hashlib
import socket
import ssl
import subprocess
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from tests.conftest import PORCHLIGHT, REPO, free_port, wait_for, write_config


@pytest.fixture
def run(tmp_path: Path) -> Iterator[list[subprocess.Popen[str]]]:
    """Started daemons, killed at the end whatever happens."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        process.kill()
        process.wait(10)


def _start(tmp_path: Path, started: list[subprocess.Popen[str]], web: dict[str, object]) -> tuple[Path, Path]:
    config = write_config(tmp_path / "porchlight.yaml", {
        "data_dir": str(tmp_path / "data"), "device_name": "hall", "gpio": {"pin_factory": "mock"},
        "mqtt": {"enabled": False}, "web": web})
    out = tmp_path / "daemon.out"
    with out.open("w") as handle:
        started.append(subprocess.Popen([*PORCHLIGHT, "run", "--config", str(config)], cwd=REPO, stdout=handle,
                                        stderr=subprocess.STDOUT, text=True))
    return config, out


def test_https_with_a_self_signed_certificate_whose_fingerprint_is_printed(
        tmp_path: Path, run: list[subprocess.Popen[str]]) -> None:
    port = free_port()
    _, out = _start(tmp_path, run, {"host": "127.0.0.1", "port": port, "tls": True})
    printed = wait_for(lambda: "SHA-256 fingerprint: " in out.read_text() and out.read_text(), 60,
                       "the certificate fingerprint in the terminal")
    fingerprint = printed.split("SHA-256 fingerprint: ", 1)[1].split()[0]
    served = ssl.get_server_certificate(("127.0.0.1", port), timeout=10)
    digest = hashlib.sha256(ssl.PEM_cert_to_DER_cert(served)).hexdigest().upper()
    assert fingerprint.replace(":", "") == digest
    context = ssl.create_default_context()
    context.check_hostname = False
    context.load_verify_locations(cadata=served)  # trust exactly this certificate, as her browser will
    with urllib.request.urlopen(f"https://127.0.0.1:{port}/setup", context=context, timeout=10) as response:
        assert response.status == 200 and b"Choose the password for this hub" in response.read()
        cookie = response.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie
    key = tmp_path / "data" / "keys" / "web-key.pem"
    assert key.stat().st_mode & 0o077 == 0


def test_plain_http_when_tls_is_off_and_a_busy_port_does_not_stop_the_hub(
        tmp_path: Path, run: list[subprocess.Popen[str]]) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        busy = blocker.getsockname()[1]
        (tmp_path / "a").mkdir()
        _, out = _start(tmp_path / "a", run, {"host": "127.0.0.1", "port": busy, "tls": False})
        wait_for(lambda: "the dashboard could not listen on" in out.read_text(), 60, "the busy-port message")
        text = out.read_text()
        assert f"127.0.0.1:{busy}" in text and "the hub runs without it" in text
        assert run[0].poll() is None  # still running
    port = free_port()
    (tmp_path / "b").mkdir()
    _, out = _start(tmp_path / "b", run, {"host": "127.0.0.1", "port": port, "tls": False})
    wait_for(lambda: f"Dashboard: http://127.0.0.1:{port}/" in out.read_text(), 60, "the dashboard address")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as response:
        assert response.geturl().endswith("/setup")


def test_hostile_requests_get_errors_and_the_server_stays_up(tmp_path: Path,
                                                              run: list[subprocess.Popen[str]]) -> None:
    port = free_port()
    _, out = _start(tmp_path, run, {"host": "127.0.0.1", "port": port, "tls": False})
    wait_for(lambda: "Dashboard: " in out.read_text(), 60, "the dashboard to start")

    def raw(data: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(data)
            try:
                sock.shutdown(socket.SHUT_WR)
            except OSError:  # the server has already answered and hung up (it may, on a loaded machine)
                pass
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
            return b"".join(chunks)

    assert raw(b"\x16\x03\x01garbage that is no HTTP at all\r\n\r\n").startswith(b"HTTP/1.1 400")
    assert raw(b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")[:12] in (b"HTTP/1.1 414", b"HTTP/1.1 400")
    huge_header = b"GET /login HTTP/1.1\r\nHost: x\r\nX-Junk: " + b"j" * 200_000 + b"\r\n\r\n"
    assert raw(huge_header)[:12] in (b"HTTP/1.1 413", b"HTTP/1.1 431", b"HTTP/1.1 400")
    lying = b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\nshort"
    assert raw(lying)[:12] in (b"HTTP/1.1 413", b"HTTP/1.1 400")
    traversal = raw(b"GET /static/../../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n")
    assert b"root:" not in traversal
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/setup", timeout=10) as response:
        assert response.status == 200
    assert run[0].poll() is None
