"""RFC 3161 timestamps on checkpoints, from a real local authority (openssl ts on 127.0.0.1)."""

from __future__ import annotations

import base64
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from hub import kinds
from hub.config import TimeAuthority, TimestampsConfig
from hub.events import Event
from hub.log import IncidentLog
from hub.timestamps import TimestampError, Timestamper, ask, check, checkpoint_bytes
from tests import tsa


def _config(*authorities: Any, timeout: float = 5.0) -> TimestampsConfig:
    return TimestampsConfig(authorities=[TimeAuthority(url=a.url, root=a.root) for a in authorities],
                            timeout_seconds=timeout)


def _tokens(log: IncidentLog) -> list[Any]:
    return log.events(kind=kinds.LOG_TIMESTAMP)


def test_a_checkpoint_is_timestamped_and_the_token_verifies_against_the_authoritys_root(
        incident_log: IncidentLog, time_authority: Any) -> None:
    incident_log.append(Event("door.opened", "front_door"))
    point = incident_log.checkpoint()
    stamper = Timestamper(incident_log, _config(time_authority))
    assert stamper.tick() == 1
    [row] = _tokens(incident_log)
    [checkpoint] = incident_log.events(kind=kinds.LOG_CHECKPOINT)
    assert row.detail["checkpoint"] == checkpoint.seq and row.detail["head_seq"] == point.head_seq
    assert row.detail["authority"] == time_authority.url
    found = check(base64.b64decode(str(row.detail["token"])), checkpoint_bytes(dict(checkpoint.detail)),
                  [time_authority.root])
    assert found.ok, found.problem
    assert found.gen_time is not None and abs(found.gen_time - datetime.now(timezone.utc)) < timedelta(minutes=1)
    assert "Test Time Authority" in found.authority
    # Its own timestamp is no news: no checkpoint is signed for it, and nothing is asked twice.
    assert incident_log.checkpoint_if_new_rows() is None
    assert stamper.tick() == 0 and time_authority.requests == 1
    assert incident_log.verify().ok


def test_a_token_for_another_checkpoint_a_changed_token_or_another_authoritys_is_refused(
        incident_log: IncidentLog, time_authority: Any, tmp_path: Path) -> None:
    incident_log.append(Event("door.opened", "front_door"))
    incident_log.checkpoint()
    incident_log.append(Event("door.closed", "front_door"))
    incident_log.checkpoint()
    first, second = incident_log.events(kind=kinds.LOG_CHECKPOINT)
    token = ask(TimeAuthority(url=time_authority.url, root=time_authority.root),
                checkpoint_bytes(dict(first.detail)), 5.0)
    other = check(token, checkpoint_bytes(dict(second.detail)), [time_authority.root])
    assert not other.ok and other.problem == "the token is for another checkpoint (its digest differs)"
    # One byte changed anywhere in the signed part: the signature no longer holds (or it no longer parses).
    for offset in (len(token) // 3, len(token) // 2, len(token) - 40):
        changed = bytearray(token)
        changed[offset] ^= 0x01
        forged = check(bytes(changed), checkpoint_bytes(dict(first.detail)), [time_authority.root])
        assert not forged.ok and forged.problem, offset
    # He runs his own authority under the same name: its tokens do not chain to her authority's root.
    tsa.make_pki(tmp_path / "his", common="Test Time Authority")
    his = tsa.start(tmp_path / "his")
    try:
        his_token = ask(TimeAuthority(url=his.url), checkpoint_bytes(dict(first.detail)), 5.0)
        verdict = check(his_token, checkpoint_bytes(dict(first.detail)), [time_authority.root])
        assert not verdict.ok and "does not verify" in verdict.problem
        with pytest.raises(TimestampError, match="does not verify"):
            ask(TimeAuthority(url=his.url, root=time_authority.root), checkpoint_bytes(dict(first.detail)), 5.0)
    finally:
        his.server.shutdown()
        his.server.server_close()


def test_offline_checkpoints_wait_and_are_timestamped_oldest_first_when_the_link_returns(
        incident_log: IncidentLog, time_authority: Any) -> None:
    time_authority.down = True
    for door in ("opened", "closed"):
        incident_log.append(Event(f"door.{door}", "front_door"))
        incident_log.checkpoint()
    stamper = Timestamper(incident_log, _config(time_authority), retry_seconds=0.0)
    started = time.monotonic()
    assert stamper.tick() == 0 and _tokens(incident_log) == []  # nothing stored, and nothing waited long
    assert time.monotonic() - started < 5
    time_authority.down = False
    assert stamper.tick() == 2
    checkpoints = [e.seq for e in incident_log.events(kind=kinds.LOG_CHECKPOINT)]
    assert [t.detail["checkpoint"] for t in _tokens(incident_log)] == checkpoints


class _Portal(BaseHTTPRequestHandler):
    """A Wi-Fi login page that answers everything with 200 (a hotel's, or one he set up on her network)."""

    def do_POST(self) -> None:  # noqa: N802 - the http.server interface
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if "redirect" in self.path:  # off to another host (his), or to the router's reboot page
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:9/cgi-bin/reboot?confirm=1")
            self.end_headers()
            return
        if "drip" in self.path:  # one byte at a time, each just inside the read timeout
            self.send_response(200)
            self.send_header("Content-Length", "60")
            self.end_headers()
            for _ in range(60):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.3)
            return
        body = b"<html>Please log in to the Wi-Fi</html>" * (1 if "small" in self.path else 3000)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_a_long_outage_is_caught_up_in_full_and_an_idle_hub_does_not_stamp_itself_forever(
        tmp_path: Path, time_authority: Any) -> None:
    log = IncidentLog(tmp_path / "data", checkpoint_every_rows=1)  # a checkpoint after every row
    try:
        time_authority.down = True
        for n in range(130):  # four days of hourly checkpoints, or a flood of sensor events, while offline
            log.append(Event("door.opened", "front_door", detail={"n": n}))
        stamper = Timestamper(log, _config(time_authority), retry_seconds=0.0)
        assert stamper.tick() == 0
        time_authority.down = False
        for _ in range(10):
            stamper.tick()
        checkpoints = log.events(kind=kinds.LOG_CHECKPOINT)
        assert len(checkpoints) == 130 and len(_tokens(log)) == 130  # the oldest too, 20 a pass
        assert log.unstamped_checkpoints(10) == []
        head = log.head()[0]
        asked = time_authority.requests
        for _ in range(3):  # idle: a token is no news, so no checkpoint for it and nothing more to ask
            stamper.tick()
        assert log.head()[0] == head and time_authority.requests == asked
    finally:
        log.close()


def test_an_address_that_is_not_an_authority_gives_a_clear_refusal_and_stores_nothing(
        incident_log: IncidentLog) -> None:
    incident_log.append(Event("door.opened", "front_door"))
    incident_log.checkpoint()
    portal = ThreadingHTTPServer(("127.0.0.1", 0), _Portal)
    threading.Thread(target=portal.serve_forever, daemon=True).start()
    try:
        fake = TimeAuthority(url=f"http://127.0.0.1:{portal.server_address[1]}/small")
        with pytest.raises(TimestampError, match="did not send a timestamp reply"):
            ask(fake, b"anything", 5.0)
        huge = TimeAuthority(url=f"http://127.0.0.1:{portal.server_address[1]}/huge")
        with pytest.raises(TimestampError, match="more than 64 KB"):
            ask(huge, b"anything", 5.0)
        assert Timestamper(incident_log, TimestampsConfig(authorities=[fake, huge])).tick() == 0
        assert _tokens(incident_log) == []
        moved = TimeAuthority(url=f"http://127.0.0.1:{portal.server_address[1]}/redirect")
        with pytest.raises(TimestampError, match="HTTP 302"):  # never followed
            ask(moved, b"anything", 5.0)
        started = time.monotonic()
        with pytest.raises(TimestampError, match="took longer than 1 s"):
            ask(TimeAuthority(url=f"http://127.0.0.1:{portal.server_address[1]}/drip"), b"anything", 1.0)
        assert time.monotonic() - started < 3  # the whole answer is bounded, not each read
    finally:
        portal.shutdown()
        portal.server_close()
    with pytest.raises(TimestampError, match="did not answer"):
        ask(TimeAuthority(url="http://127.0.0.1:9/tsr"), b"anything", 2.0)


def test_the_running_hub_timestamps_its_checkpoints_without_holding_anything_up(
        tmp_path: Path, time_authority: Any, mock_factory: Any) -> None:
    from hub.app import Hub
    from hub.config import parse_config
    from tests.conftest import wait_for

    config = parse_config({"data_dir": str(tmp_path / "data"), "gpio": {"pin_factory": "mock"},
                           "mqtt": {"enabled": False}, "log": {"checkpoint_every_rows": 1},
                           "timestamps": {"authorities": [{"url": "http://127.0.0.1:9/down"},  # tried first, fails
                                                          {"url": time_authority.url,
                                                           "root": str(time_authority.root)}],
                                          "timeout_seconds": 2}})
    hub = Hub(config, pin_factory=mock_factory)
    hub.start()
    try:
        wait_for(lambda: hub.log is not None and _tokens(hub.log), 45, "a timestamp row from the running hub")
        assert hub.log is not None
        [first, *_] = _tokens(hub.log)
        assert first.detail["authority"] == time_authority.url  # the next authority, after the dead one
    finally:
        hub.stop()
