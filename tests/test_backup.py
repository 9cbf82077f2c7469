"""Encrypted backups: round trip with the chain verifying, incremental evidence, a wrong key refused."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from hub.events import Event
from hub.log import IncidentLog
from tests.conftest import log_json, run_cli


def _fill(data: Path) -> str:
    log = IncidentLog(data)
    sha = log.evidence.put_bytes(b"\xff\xd8 a snapshot of him")
    log.append(Event("face.match", "porch", detail={"person": "x"}, evidence=(sha,)))
    log.append(Event("door.opened", "front_door"))
    log.close()
    return sha


def test_backup_wipe_restore_round_trip(tmp_path: Path) -> None:
    data, usb = tmp_path / "data", tmp_path / "usb"
    sha = _fill(data)
    first = run_cli("backup", "--to", str(usb), "--data", str(data), check=True).stdout
    assert re.search(r"1 new evidence files, 0 already there", first)
    key = re.search(r"^    ([A-Z2-7-]+)$", first, re.M)
    assert key is not None and "RECOVERY SHEET" in first
    second = run_cli("backup", "--to", str(usb), "--data", str(data), check=True).stdout
    assert "0 new evidence files, 1 already there" in second and "RECOVERY SHEET" not in second
    assert sha not in {p.name for p in usb.rglob("*")}  # names in the backup reveal nothing
    assert b"snapshot of him" not in b"".join(p.read_bytes() for p in usb.rglob("*") if p.is_file())

    shutil.rmtree(data)  # the Pi is smashed
    restored = tmp_path / "new-pi"
    result = run_cli("restore", "--from", str(usb), "--to", str(restored), "--key", key.group(1).lower())
    assert result.returncode == 0, result.stdout
    assert result.stdout.rstrip().endswith("log intact: 3 rows, 1 evidence files verified")
    rows = log_json(restored)
    assert [r["kind"] for r in rows[:2]] == ["face.match", "door.opened"]
    assert rows[-1]["kind"] == "backup.restored"
    assert (restored / "evidence" / sha[:2] / sha).read_bytes() == b"\xff\xd8 a snapshot of him"
    assert oct((restored / "keys" / "device_ed25519.pem").stat().st_mode & 0o777) == "0o600"
    assert run_cli("log", "verify", "--read-only", "--data", str(restored)).returncode == 0


def test_a_wrong_key_is_refused_clearly(tmp_path: Path) -> None:
    data, usb = tmp_path / "data", tmp_path / "usb"
    _fill(data)
    run_cli("backup", "--to", str(usb), "--data", str(data), check=True)
    wrong = "A" * 52
    result = run_cli("restore", "--from", str(usb), "--to", str(tmp_path / "x"), "--key", wrong)
    assert (result.returncode, result.stdout) == (1, "restore refused: the backup key does not open this backup "
                                                     "(a wrong key, or the backup was altered)\n")
    garbled = run_cli("restore", "--from", str(usb), "--to", str(tmp_path / "x"), "--key", "not a key")
    assert garbled.stdout == "restore refused: the backup key is not in the form printed on the recovery sheet\n"


def test_restore_never_overwrites(tmp_path: Path) -> None:
    data, usb = tmp_path / "data", tmp_path / "usb"
    _fill(data)
    out = run_cli("backup", "--to", str(usb), "--data", str(data), check=True).stdout
    key = re.search(r"^    ([A-Z2-7-]+)$", out, re.M)
    assert key is not None
    result = run_cli("restore", "--from", str(usb), "--to", str(data), "--key", key.group(1))
    assert result.stdout == f"restore refused: {data}: not empty; restore into an empty folder so nothing is overwritten\n"


def test_backups_set_on_the_dashboard_and_one_made_now(tmp_path: Path, mock_factory: Any) -> None:
    from hub.app import Hub
    from hub.config import parse_config
    from tests.conftest import wait_for
    from tests.webtools import hub_config, login, post, said, set_up
    from web import create_app

    data = tmp_path / "data"
    disk = tmp_path / "usb-disk"
    disk.mkdir()
    hub = Hub(parse_config({"data_dir": str(data), "mqtt": {"enabled": False}, "web": {"enabled": False}}),
              pin_factory=mock_factory)
    hub.start()
    try:
        # A page waits up to 10 s for the running hub (a loaded test machine can take a while).
        client = create_app(hub_config(data), settings={"COMMAND_WAIT_SECONDS": 10.0}).test_client()
        set_up(client)
        login(client)
        assert said(client, post(client, "/settings/backup/now")) == "No backup folder is set: choose one first."
        for folder, why in ((str(tmp_path / "not-plugged-in"), "plug in and mount the disk first"),
                            ("media/usb", "a full path"), (str(data / "keys"), "another disk")):
            assert why in said(client, post(client, "/settings/backup", {"destination": folder, "time": "02:30"}))
        assert "a local time" in said(client, post(client, "/settings/backup", {"destination": str(disk),
                                                                                 "time": "25:00"}))
        assert said(client, post(client, "/settings/backup", {"destination": str(disk), "time": "03:15"})).startswith(
            f"Backups go to {disk} every night")
        assert said(client, post(client, "/settings/backup/now")).startswith(f"Backing up to {disk} now")
        wait_for(lambda: hub.log is not None and hub.log.events(kind="backup.created"), 30, "the backup row")
        assert any(disk.iterdir())
    finally:
        hub.stop()
