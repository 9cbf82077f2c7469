"""The court export: a ZIP that its own verify.py checks in a bare Python with only "cryptography"."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest

from hub.config import Config, parse_config
from hub.events import Event, Severity
from hub.export import ExportRequest, build_export
from hub.log import IncidentLog
from tests.conftest import FACES



@pytest.fixture(scope="module")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with only the "cryptography" package: no Porchlight, no hub code."""
    venv = tmp_path_factory.mktemp("bare") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "cryptography"],
                   check=True, timeout=300, capture_output=True)
    probe = subprocess.run([str(python), "-c", "import hub"], capture_output=True, cwd="/", timeout=60)
    assert probe.returncode != 0  # Porchlight is not importable there
    return python


def _seed(log: IncidentLog) -> list[int]:
    now = datetime.now(timezone.utc)
    photo = log.evidence.put_bytes((FACES / "obama.jpg").read_bytes())
    voicemail = log.evidence.put_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(64))
    order_pdf = log.evidence.put_bytes(b"%PDF-1.4 protective order PO-123")
    log.append(Event("order.recorded", "owner", Severity.NOTICE, {"court": "County Court", "number": "PO-123"},
                     evidence=(order_pdf,)))
    log.append(Event("hub.started", "hub"))
    seqs = [
        log.append(Event("face.match", "front_cam", Severity.CRITICAL, {"person": "him", "distance": 0.4,
                                                                          "incident": "abc123"},
                         evidence=(photo,), at=now - timedelta(days=3))),
        log.append(Event("access.login", "dashboard", detail={"account": "owner", "address": "192.168.1.20"})),
        log.append(Event("incident.report", "owner", Severity.NOTICE, {
            "description": "He left a voicemail: ‘I know where you are’", "category": "intimidation",
            "location": "14 Elm Street", "witnesses": [{"name": "Ann", "contact": "555-0101"}],
            "police_called": True, "officer_name": "Officer Diaz", "police_report_number": "R-2026-0042",
            "attachments": [{"sha256": voicemail, "name": "voicemail.wav", "size": 80}]},
            evidence=(voicemail,), at=now - timedelta(days=1))),
    ]
    clip = log.evidence.put_bytes(b"\x00\x00\x00\x18ftypisom" + bytes(40))
    log.append(Event("camera.clip", "front_cam", Severity.NOTICE, {"incidents": ["abc123"]}, evidence=(clip,)))
    log.checkpoint()
    log.append(Event("hub.heartbeat", "hub"))
    # Added long after, past a checkpoint: still part of the export.
    log.append(Event("log.correction", "owner", detail={"corrects": seqs[2], "text": "It was 21:40, not 21:30.",
                                                          "type": "correction"}))
    return [seqs[0], seqs[2]]


@pytest.fixture
def exported(tmp_path: Path) -> Iterator[tuple[Config, IncidentLog, list[int]]]:
    config = parse_config({"data_dir": str(tmp_path / "data"), "device_name": "hall-hub"})
    log = IncidentLog(config.data_dir)
    yield config, log, _seed(log)
    log.close()


def _unzip(path: Path, where: Path) -> Path:
    with zipfile.ZipFile(path) as archive:
        archive.extractall(where)
    [top] = list(where.iterdir())
    return top


def _verify(python: Path, folder: Path, key: str | None = None) -> subprocess.CompletedProcess[str]:
    """verify.py run in the export's folder, as its README says, with the fingerprint she received."""
    args = ["--key", key] if key else []
    return subprocess.run([str(python), "verify.py", *args], cwd=folder, capture_output=True, text=True,
                          timeout=60, env={"PATH": "/usr/bin:/bin"})


def test_export_verifies_in_a_bare_python_and_any_changed_byte_is_named(
        exported: tuple[Config, IncidentLog, list[int]], bare_python: Path, tmp_path: Path) -> None:
    config, log, incidents = exported
    stages: list[str] = []
    result = build_export(log, config, ExportRequest(tuple(incidents)), tmp_path / "out",
                          lambda stage, fraction: stages.append(stage))
    assert result.incidents == 2 and result.evidence_files == 4 and stages[-1] == "done"  # photo, wav, clip, order
    folder = _unzip(result.path, tmp_path / "unzipped")
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    for expected in ("README.txt", "manifest.csv", "log/chain.jsonl", "log/checkpoints.json", "report.pdf",
                     "certification.txt", "verify.py", "device-public-key.txt", "SHA256SUMS", "SHA256SUMS.sig"):
        assert expected in names
    assert (folder / "report.pdf").read_bytes().startswith(b"%PDF-")
    manifest = (folder / "manifest.csv").read_text()
    assert manifest.startswith("file,sha256,size,capture_time,recorded_time,source,row,kind,type")
    assert "front_cam" in manifest and "audio/wav" in manifest and "video/mp4" in manifest
    assert "application/pdf" in manifest  # the protective order, recorded before the first incident
    assert "It was 21:40, not 21:30." in (folder / "log" / "chain.jsonl").read_text()
    certification = (folder / "certification.txt").read_text()
    assert all(line.split(",")[1] in certification for line in manifest.splitlines()[1:])
    assert "discovery" in (folder / "README.txt").read_text()
    key = log.key.fingerprint
    ok = _verify(bare_python, folder, key)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "OK:" in ok.stdout and "Device key fingerprint:" in ok.stdout
    # Without the fingerprint it is intact, but tied to no hub: not an OK.
    alone = _verify(bare_python, folder)
    assert alone.returncode == 3 and alone.stdout.splitlines()[-1].startswith("UNCONFIRMED:")
    # The ZIP itself verifies too, unopened.
    assert subprocess.run([str(bare_python), str(folder / "verify.py"), "--key", key, str(result.path)],
                          capture_output=True, timeout=60).returncode == 0
    # One byte changed at the start, middle or end of each file; for verify.py one in its text, where it still runs.
    sizes = {name: len((folder / name).read_bytes()) for name in names}
    changes = [(name, offset) for name in names if name != "verify.py"
               for offset in sorted({0, sizes[name] // 2, sizes[name] - 2})] + [("verify.py", 60)]
    for name, offset in changes:
        path = folder / name
        original = path.read_bytes()
        changed = bytearray(original)
        changed[offset] ^= 0x01
        path.write_bytes(bytes(changed))
        try:
            bad = _verify(bare_python, folder, key)
        finally:
            path.write_bytes(original)
        assert bad.returncode == 1, name
        assert f"FAIL: {name}" in bad.stdout, (name, offset, bad.stdout)
    # A file taken away, or one slipped in, is named too.
    [evidence] = [n for n in names if n.endswith(".wav")]
    kept = (folder / evidence).read_bytes()
    (folder / evidence).unlink()
    missing = _verify(bare_python, folder, key)
    (folder / evidence).write_bytes(kept)
    assert missing.returncode == 1 and f"FAIL: {evidence}: missing" in missing.stdout
    (folder / "evidence" / "extra.jpg").write_bytes(b"\xff\xd8\xff planted")
    planted = _verify(bare_python, folder, key)
    assert planted.returncode == 1 and "FAIL: evidence/extra.jpg: not part of the export as made" in planted.stdout


def test_redacted_copy_leaves_out_her_details_and_still_verifies(
        exported: tuple[Config, IncidentLog, list[int]], bare_python: Path, tmp_path: Path) -> None:
    config, log, incidents = exported
    result = build_export(log, config, ExportRequest(tuple(incidents), redacted=True), tmp_path / "out")
    folder = _unzip(result.path, tmp_path / "unzipped")
    everything = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.suffix != ".pdf")
    for secret in (b"14 Elm Street", b"555-0101", b"192.168.1.20", b"Officer Diaz"):
        assert secret not in everything, secret
    assert b"R-2026-0042" in everything  # the police report number stays: it is what the reader needs
    assert not list(folder.glob("evidence/*.wav"))  # her attachment is listed by hash only
    ok = _verify(bare_python, folder, log.key.fingerprint)
    assert ok.returncode == 0, ok.stdout
    assert "REDACTED copy" in ok.stdout
    original = log.event(incidents[1])
    assert original is not None and original.detail["location"] == "14 Elm Street"  # the log is untouched
    assert log.verify().ok


def test_export_from_the_dashboard_shows_progress_and_is_logged(tmp_path: Path) -> None:
    from tests.webtools import commands, make_app, owner, post

    data = tmp_path / "data"
    app = make_app(data)
    log = IncidentLog(data)
    incidents = _seed(log)
    client = owner(app)
    page = client.get("/export").get_data(as_text=True)
    assert "Anything you share may reach him" in page and page.count('name="seq"') == 2
    started = post(client, "/export", {"seq": [str(s) for s in incidents], "from": "2020-01-01", "to": "2100-01-01"})
    status_url = started.headers["Location"]
    deadline = time.monotonic() + 60
    while "Download" not in (status := client.get(status_url).get_data(as_text=True)):
        assert "could not be made" not in status, status
        assert time.monotonic() < deadline, "the export did not finish in 60 s"
        time.sleep(0.2)
    with client.get(status_url + "/download") as download:
        assert download.mimetype == "application/zip"
        assert zipfile.ZipFile(__import__("io").BytesIO(download.get_data())).testzip() is None
    earlier = client.get("/export").get_data(as_text=True)
    assert "Earlier exports" in earlier and "/export/earlier/0" in earlier
    with client.get("/export/earlier/0") as again:
        assert again.mimetype == "application/zip"
    assert client.get("/export/earlier/1").status_code == 404
    assert client.get("/export/earlier/-1").status_code == 404
    kinds = [k for k, _ in commands(data)]
    assert kinds.count("access.export") == 3  # made, downloaded, downloaded again from the list
    log.close()


def test_export_from_the_command_line(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    data = tmp_path / "data"
    log = IncidentLog(data)
    _seed(log)
    log.close()
    done = run_cli("export", "--data", str(data), "--from", "2000-01-01", "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    [archive] = list((tmp_path / "out").glob("porchlight-export-*.zip"))
    assert str(archive) in done.stdout and "2 incidents, 4 evidence files" in done.stdout
    assert "may reach him" in done.stdout
    none = run_cli("export", "--data", str(data), "--from", "2099-01-01", "--out", str(tmp_path / "out"))
    assert none.returncode == 1 and "choose at least one incident" in none.stderr


def test_a_phone_files_viewable_copy_travels_with_its_original_and_still_verifies(
        tmp_path: Path, bare_python: Path) -> None:
    from hub.viewable import copy_event
    from hub.filetypes import HEIC
    from tests.conftest import PHONE

    config = parse_config({"data_dir": str(tmp_path / "data")})
    log = IncidentLog(config.data_dir)
    try:
        heic = (PHONE / "damage.heic").read_bytes()
        original = log.evidence.put_bytes(heic)
        entry = log.append(Event("incident.report", "owner", Severity.NOTICE, {"description": "Damage to the car"},
                                 evidence=(original,)))
        copied = copy_event(log.evidence, original, heic, HEIC)
        log.append(copied)
        log.checkpoint()
        result = build_export(log, config, ExportRequest((entry,)), tmp_path / "out")
        assert result.evidence_files == 2  # the HEIC as recorded, and the JPEG made to view it
        folder = _unzip(result.path, tmp_path / "unzipped")
        rows = [line.split(",") for line in (folder / "manifest.csv").read_text().splitlines()[1:]]
        assert {(row[1], row[7], row[8]) for row in rows} == {(original, "incident.report", "image/heic"),
                                                              (copied.evidence[0], "evidence.copy", "image/jpeg")}
        chain = (folder / "log" / "chain.jsonl").read_text()  # each row's content, as JSON inside the line
        assert f'\\"kind\\":\\"evidence.copy\\"' in chain and f'\\"parent\\":\\"{original}\\"' in chain
        assert "viewable copy" in (folder / "README.txt").read_text()
        ok = _verify(bare_python, folder, log.key.fingerprint)
        assert ok.returncode == 0, ok.stdout + ok.stderr
    finally:
        log.close()


def test_the_export_speaks_the_standards_credentials_timestamps_and_a_signed_report(
        tmp_path: Path, time_authority: Any) -> None:
    import cv2

    from hub.credentials import Capture, for_device
    from hub.device_cert import ROOT_NAME
    from hub.report_signature import check_report
    from tests.conftest import read_clip

    config = parse_config({"data_dir": str(tmp_path / "data"), "device_name": "hall-hub",
                           "timestamps": {"authorities": [{"url": time_authority.url,
                                                           "root": str(time_authority.root)}]}})
    log = IncidentLog(config.data_dir)
    try:
        credentials = for_device(log.key, config.device_name)
        assert credentials is not None
        now = datetime.now(timezone.utc)
        ok, picture = cv2.imencode(".jpg", read_clip("walking-and-pause.mp4")[-1])
        signed = credentials.sign(picture.tobytes(), "image/jpeg", Capture("porch", "Porch", now, "face.match", "i1"))
        match = log.append(Event("face.match", "porch", Severity.CRITICAL, {"person": "him", "incident": "i1"},
                                 evidence=(log.evidence.put_bytes(signed),), at=now))
        # A photo he sent her, carrying credentials of his own: her file, kept as she gave it, and no FAIL.
        from hub.credentials import ContentCredentials
        from hub.device_cert import issue
        from hub.keys import DeviceKey

        (tmp_path / "his").mkdir(mode=0o700)
        his_key = DeviceKey(tmp_path / "his")
        his_photo = ContentCredentials(his_key.private_pem(), issue(his_key.public, "x", now), "x").sign(
            picture.tobytes()[:-2] + b"\xff\xd9", "image/jpeg", Capture("cam", "Cam", now, "face.match"))
        report = log.append(Event("incident.report", "owner", Severity.NOTICE, {"description": "He sent this"},
                                  evidence=(log.evidence.put_bytes(his_photo),), at=now))
        result = build_export(log, config, ExportRequest((match, report)), tmp_path / "out")
        assert result.report_signature == f"signed with the device key, timestamped by {time_authority.url}"
        folder = _unzip(result.path, tmp_path / "unzipped")
        # Checked by verify.py, with the three standards' libraries installed (as in this environment).
        checked = subprocess.run([sys.executable, "verify.py", "--key", log.key.fingerprint], cwd=folder,
                                 capture_output=True, text=True, timeout=120)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "Content Credentials: 1 of 1 photos and clips from the cameras carry a valid C2PA manifest" \
            in checked.stdout
        assert "1 of her own files are shown as she gave them" in checked.stdout
        assert "signed under CN=Test Time Authority Root, verified" in checked.stdout
        assert "report.pdf signature: valid, unchanged since the hub signed it, timestamped" in checked.stdout
        # pyHanko's validator, on its own: valid, and one changed byte inside the signed range is caught.
        root = (config.data_dir / "keys" / ROOT_NAME).read_bytes()
        pdf = (folder / "report.pdf").read_bytes()
        verdict = check_report(pdf, root, time_authority.root.read_bytes())
        assert verdict.ok and verdict.intact and verdict.timestamp, verdict
        changed = bytearray(pdf)
        changed[len(pdf) // 4] ^= 0x01
        broken = check_report(bytes(changed), root, time_authority.root.read_bytes())
        assert not broken.ok and not broken.intact and broken.problem == "the PDF was changed after it was signed"
        stamps = json.loads((folder / "log" / "timestamps.json").read_text())
        assert stamps and all(s["authority"] == time_authority.url for s in stamps)
    finally:
        log.close()
