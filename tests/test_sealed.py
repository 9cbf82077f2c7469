"""Sealed at rest: a thief with the SD card reads nothing she wrote or captured; she reads it all back."""

from __future__ import annotations

import json
import os
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from hub.sealing import Opener, SealingError, SealingKeys, WrongPassphrase, seal
from tests.conftest import FACES, PORCHLIGHT, REPO

PASSPHRASE = "blue kettle under the stairs"
WORDS = "He followed me from the pharmacy to the bus stop"
WITNESS = "Margaret Okonkwo-Lindqvist"
PLACE = "Fenwick Street pharmacy"


def porchlight(*args: str, stdin: str = "", passphrase: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PORCHLIGHT_PASSPHRASE"}
    if passphrase is not None:
        env["PORCHLIGHT_PASSPHRASE"] = passphrase
    return subprocess.run([*PORCHLIGHT, *args], input=stdin, capture_output=True, text=True, timeout=120,
                          cwd=REPO, env=env)


@pytest.fixture
def sealed_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    made = porchlight("init", "--data", str(data), stdin=f"{PASSPHRASE}\n{PASSPHRASE}\n")
    assert made.returncode == 0, made.stdout + made.stderr
    assert "RECOVERY KEY" in made.stdout
    return data


def _every_byte(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


def test_a_thief_with_the_card_finds_none_of_her_words_and_she_reads_them_back(
        sealed_dir: Path, tmp_path: Path) -> None:
    voicemail = tmp_path / "voicemail.wav"
    voicemail.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + os.urandom(4000))
    photo = tmp_path / "his-car.jpg"
    photo.write_bytes((FACES / "obama.jpg").read_bytes())
    added = porchlight("log", "add", "--data", str(sealed_dir), "--text", WORDS, "--location", PLACE,
                       "--witness", WITNESS, "--attach", str(voicemail), "--attach", str(photo))
    assert added.returncode == 0, added.stdout + added.stderr  # writing needs no passphrase
    card = _every_byte(sealed_dir)
    for secret in (WORDS.encode(), WITNESS.encode(), PLACE.encode(), voicemail.read_bytes()[12:200],
                   photo.read_bytes()[200:400], b"his-car.jpg", b"voicemail.wav"):
        assert secret not in card, secret[:40]
    # The chain and every file verify without the passphrase.
    verified = porchlight("log", "verify", "--read-only", "--data", str(sealed_dir))
    assert verified.returncode == 0 and "log intact" in verified.stdout, verified.stdout
    # Reading needs it, and a wrong one shows nothing.
    locked = porchlight("log", "list", "--data", str(sealed_dir))
    assert locked.returncode == 1 and "needs the passphrase" in locked.stderr and WORDS not in locked.stdout
    wrong = porchlight("log", "list", "--data", str(sealed_dir), passphrase="red kettle")
    assert wrong.returncode == 1 and "passphrase" in wrong.stderr and "wrong" in wrong.stderr
    assert WORDS not in wrong.stdout
    listed = porchlight("log", "list", "--json", "--data", str(sealed_dir), passphrase=PASSPHRASE)
    assert listed.returncode == 0, listed.stderr
    [entry] = [json.loads(line) for line in listed.stdout.splitlines() if '"incident.report"' in line]
    assert entry["detail"]["description"] == WORDS and entry["detail"]["location"] == PLACE
    assert WITNESS in json.dumps(entry["detail"]["witnesses"])


def test_the_export_opens_the_sealed_rows_and_verifies(sealed_dir: Path, tmp_path: Path) -> None:
    photo = tmp_path / "his-car.jpg"
    photo.write_bytes((FACES / "obama.jpg").read_bytes())
    porchlight("log", "add", "--data", str(sealed_dir), "--text", WORDS, "--location", PLACE, "--witness", WITNESS,
               "--attach", str(photo))
    refused = porchlight("export", "--data", str(sealed_dir), "--out", str(tmp_path / "out"))
    assert refused.returncode == 1 and "passphrase" in refused.stderr
    for redacted in (False, True):
        out = tmp_path / f"out-{redacted}"
        made = porchlight("export", "--data", str(sealed_dir), "--out", str(out),
                          *(["--redacted"] if redacted else []), passphrase=PASSPHRASE)
        assert made.returncode == 0, made.stdout + made.stderr
        [archive] = list(out.glob("*.zip"))
        with zipfile.ZipFile(archive) as opened:
            names = opened.namelist()
            chain = opened.read(next(n for n in names if n.endswith("log/chain.jsonl"))).decode()
            evidence = [opened.read(n) for n in names if "/evidence/" in n]
        assert (WORDS in chain) is not redacted and (PLACE in chain) is not redacted
        if not redacted:
            assert photo.read_bytes() in evidence  # the original file, opened
        key = next(line.split("--key ")[1].split()[0] for line in made.stdout.splitlines() if "--key " in line)
        check = subprocess.run(["python3", str(REPO / "hub" / "export_verify.py"), "--key", key, str(archive)],
                               capture_output=True, text=True, timeout=60)
        assert check.returncode == 0, check.stdout


def test_a_changed_sealed_part_is_caught_when_opened(tmp_path: Path) -> None:
    keys, recovery = SealingKeys.create(tmp_path / "keys", PASSPHRASE)
    opener = keys.unlock(PASSPHRASE)
    blob = seal(keys.public, b"her words")
    assert opener.open(blob) == b"her words"
    assert keys.unlock_with_recovery(recovery).open(blob) == b"her words"
    changed = bytearray(blob)
    changed[-1] ^= 1
    with pytest.raises(SealingError, match="changed"):
        opener.open(bytes(changed))
    with pytest.raises(WrongPassphrase):
        keys.unlock("not her passphrase")
    with pytest.raises(WrongPassphrase):
        keys.unlock_with_recovery("AAAA-" * 13)
    other, _ = SealingKeys.create(tmp_path / "other", PASSPHRASE)
    with pytest.raises(SealingError):
        other.unlock(PASSPHRASE).open(blob)
    assert isinstance(opener, Opener)
    with pytest.raises(SealingError, match="already sealed"):
        SealingKeys.create(tmp_path / "keys", PASSPHRASE)
    # Nothing on the card holds the private key in the clear.
    record = (tmp_path / "keys" / "sealing.json").read_text()
    assert "private" not in record and (tmp_path / "keys" / "sealing.json").stat().st_mode & 0o077 == 0


def test_a_never_sealed_directory_keeps_working(tmp_path: Path) -> None:
    data = tmp_path / "plain"
    assert porchlight("log", "add", "--data", str(data), "--text", WORDS).returncode == 0
    listed = porchlight("log", "list", "--data", str(data))
    assert listed.returncode == 0 and WORDS in listed.stdout


from tests.test_daemon import TOPIC, Daemon, config_file, daemon  # noqa: E402,F401  (the daemon fixtures)
from tests.conftest import Publisher, wait_for  # noqa: E402


def test_a_power_cut_needs_no_passphrase_to_record_again(
        daemon: Daemon, config_file: Path, publisher: Publisher) -> None:
    from hub.log import IncidentLog

    data = config_file.parent / "data"
    assert porchlight("init", "--data", str(data), stdin=f"{PASSPHRASE}\n{PASSPHRASE}\n").returncode == 0
    assert porchlight("log", "add", "--data", str(data), "--text", WORDS, "--witness", WITNESS).returncode == 0

    def kinds() -> list[str]:
        log = IncidentLog(data)  # locked: kinds and times are readable, her words are not
        try:
            return [e.kind for e in log.events()]
        finally:
            log.close()

    daemon.start()
    wait_for(lambda: "hub.started" in kinds(), 60, "the sealed hub running, with nobody unlocking it")


    def opened() -> bool:  # until the hub's first subscription exists, the broker keeps nothing for it
        publisher.publish(TOPIC, json.dumps({"contact": False, "battery": 90}))
        time.sleep(0.3)
        return "door.opened" in kinds()

    wait_for(opened, 30, "the door opening before the power cut")
    daemon.signal(9)  # the power cut
    daemon.start()
    wait_for(lambda: kinds().count("hub.started") + kinds().count("hub.power_restored") >= 2, 60, "the restart")
    publisher.publish(TOPIC, json.dumps({"contact": True, "battery": 90}))
    wait_for(lambda: "door.closed" in kinds(), 30, "the door closing after it")
    assert daemon.signal(15) == 0
    assert porchlight("log", "add", "--data", str(data), "--text", "After the power cut").returncode == 0
    assert WORDS.encode() not in _every_byte(data)
    verified = porchlight("log", "verify", "--read-only", "--data", str(data))
    assert verified.returncode == 0, verified.stdout
    listed = porchlight("log", "list", "--json", "--data", str(data), passphrase=PASSPHRASE)
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    words = [r["detail"].get("description") for r in rows if r["kind"] == "incident.report"]
    assert words == [WORDS, "After the power cut"]
    assert {"door.opened", "door.closed"} <= {r["kind"] for r in rows}


def test_the_dashboard_reads_sealed_records_only_after_her_passphrase(sealed_dir: Path) -> None:
    from tests.webtools import PASSWORD, csrf, login, make_app, post, set_up

    assert porchlight("log", "add", "--data", str(sealed_dir), "--text", WORDS, "--witness", WITNESS).returncode == 0
    app = make_app(sealed_dir)
    client = app.test_client()
    set_up(client)
    assert b"Passphrase, to read the sealed records" in client.get("/login").data
    login(client)
    log = app.extensions["porchlight"].log
    asked = client.get("/incidents")
    assert asked.status_code == 302 and "/unlock" in asked.headers["Location"]
    wrong = post(client, "/unlock", {"passphrase": "red kettle", "next": "/incidents"})
    assert wrong.status_code == 401 and WORDS.encode() not in wrong.data and log.locked
    assert b"Nothing was shown" in wrong.data
    right = post(client, "/unlock", {"passphrase": PASSPHRASE, "next": "/incidents"})
    assert right.status_code == 302 and right.headers["Location"] == "/incidents"
    assert WORDS.encode() in client.get("/incidents").data
    post(client, "/logout")
    assert log.locked  # her last session ended: sealed again
    # The passphrase can come with the login itself; a quick exit seals again.
    client.post("/login", data={"csrf_token": csrf(client, "/login"), "name": "owner",
                                "password": PASSWORD, "passphrase": PASSPHRASE})
    assert not log.locked and WORDS.encode() in client.get("/incidents").data
    client.get("/exit")
    assert log.locked


def test_an_entry_from_the_dashboard_is_sealed_from_the_first_byte(sealed_dir: Path) -> None:
    """Her entry with a witness and two attachments, through the dashboard and the hub's queue."""
    import io

    from hub.store import Store
    from tests.webtools import make_app, owner, post, take_commands

    app = make_app(sealed_dir)
    client = owner(app)
    photo, note = (FACES / "obama.jpg").read_bytes(), b"%PDF-1.4 the letter he left " + os.urandom(3000)
    sent = post(client, "/entry", {
        "description": WORDS, "category": "surveillance", "location": PLACE, "started_at": "2026-11-30T21:30",
        "witness_name": WITNESS, "witness_contact": "555-0199",
        "attachments": [(io.BytesIO(photo), "his-car.jpg"), (io.BytesIO(note), "letter.pdf")]},
        content_type="multipart/form-data")
    assert sent.status_code == 302, sent.get_data(as_text=True)[:500]
    card = _every_byte(sealed_dir)  # while it waits in the queue
    for secret in (WORDS.encode(), WITNESS.encode(), PLACE.encode(), b"555-0199", photo[200:400], note[30:300],
                   b"his-car.jpg", b"letter.pdf"):
        assert secret not in card, secret[:40]
    with Store(sealed_dir) as store:
        take_commands(store)
        card = _every_byte(sealed_dir)  # and once the hub has logged it
        for secret in (WORDS.encode(), WITNESS.encode(), photo[200:400], note[30:300], b"letter.pdf"):
            assert secret not in card, secret[:40]
        store.log.unlock(PASSPHRASE)
        [entry] = store.log.events(kind="incident.report")
        assert entry.detail["description"] == WORDS and WITNESS in json.dumps(entry.detail)
        assert {store.log.evidence.read(sha) for sha in entry.evidence} == {photo, note}
        assert store.log.verify().ok


def test_an_existing_data_directory_is_sealed_in_place_and_still_verifies(tmp_path: Path) -> None:
    data = tmp_path / "older"
    photo = tmp_path / "his-car.jpg"
    photo.write_bytes((FACES / "obama.jpg").read_bytes())
    assert porchlight("log", "add", "--data", str(data), "--text", "Before sealing", "--attach", str(photo)).returncode == 0
    assert porchlight("backup", "--data", str(data), "--to", str(tmp_path / "old-usb")).returncode == 0
    refused = porchlight("init", "--data", str(data), stdin=f"{PASSPHRASE}\n{PASSPHRASE}\n")
    assert refused.returncode == 1 and "--seal-existing" in refused.stdout
    sealed = porchlight("init", "--data", str(data), "--seal-existing", stdin=f"{PASSPHRASE}\n{PASSPHRASE}\n")
    assert sealed.returncode == 0 and "1 evidence files already there were sealed" in sealed.stdout
    assert "stay as they were" in sealed.stdout  # said plainly: old rows are not rewritten
    # The old backup key leaves the card, printed once: the backups made before still open with it.
    assert not (data / "keys" / "backup.key").exists() and "no longer kept on this card" in sealed.stdout
    old_key = sealed.stdout.split("write it down.\n\n    ", 1)[1].split()[0]
    old = porchlight("restore", "--from", str(tmp_path / "old-usb"), "--to", str(tmp_path / "old-pi"), "--key", old_key)
    assert old.returncode == 0, old.stdout
    assert photo.read_bytes()[200:400] not in _every_byte(data)
    assert porchlight("log", "add", "--data", str(data), "--text", WORDS).returncode == 0
    assert WORDS.encode() not in _every_byte(data)
    verified = porchlight("log", "verify", "--read-only", "--data", str(data))
    assert verified.returncode == 0, verified.stdout  # the chain vouches for the file before and after
    listed = porchlight("log", "list", "--json", "--data", str(data), passphrase=PASSPHRASE)
    words = [json.loads(x)["detail"].get("description") for x in listed.stdout.splitlines() if "incident.report" in x]
    assert words == ["Before sealing", WORDS]
    exported = porchlight("export", "--data", str(data), "--out", str(tmp_path / "out"), passphrase=PASSPHRASE)
    assert exported.returncode == 0, exported.stderr
    [archive] = list((tmp_path / "out").glob("*.zip"))
    with zipfile.ZipFile(archive) as opened:
        assert photo.read_bytes() in [opened.read(n) for n in opened.namelist() if "/evidence/" in n]


def test_a_sealed_backup_restores_onto_a_new_pi_and_nothing_on_the_card_opens_it(tmp_path: Path) -> None:
    """The card holds no backup key: he who has it and the USB disk reads neither. Her passphrase, or the
    recovery key she wrote down at init, restores onto a new Pi; files swapped in the backup are refused."""
    import re
    import shutil

    data = tmp_path / "data"
    made = porchlight("init", "--data", str(data), stdin=f"{PASSPHRASE}\n{PASSPHRASE}\n")
    recovery = re.search(r"^    ([A-Z2-7-]{20,})$", made.stdout, re.M)
    assert recovery is not None, made.stdout
    photo = tmp_path / "his-car.jpg"
    photo.write_bytes((FACES / "obama.jpg").read_bytes())
    assert porchlight("log", "add", "--data", str(data), "--text", WORDS, "--attach", str(photo)).returncode == 0
    usb = tmp_path / "usb"
    backed = porchlight("backup", "--to", str(usb), "--data", str(data))
    assert backed.returncode == 0 and "nothing on this card opens it" in backed.stdout, backed.stdout + backed.stderr
    assert not (data / "keys" / "backup.key").exists()
    disk = _every_byte(usb)
    assert WORDS.encode() not in disk and photo.read_bytes()[200:400] not in disk
    # A stranger's passphrase, or none, opens nothing.
    assert "is sealed; give your passphrase" in porchlight("restore", "--from", str(usb), "--to",
                                                           str(tmp_path / "x")).stdout
    wrong = porchlight("restore", "--from", str(usb), "--to", str(tmp_path / "x"), passphrase="the old password 1")
    assert wrong.returncode == 1 and "wrong passphrase" in wrong.stdout and not (tmp_path / "x").exists()
    # Two files of the snapshot swapped: refused, naming the file.
    swapped = tmp_path / "usb-swapped"
    shutil.copytree(usb, swapped)
    [snapshot] = list((swapped / "snapshots").iterdir())
    first, second = snapshot / "0.enc", snapshot / "1.enc"
    first_bytes = first.read_bytes()
    first.write_bytes(second.read_bytes())
    second.write_bytes(first_bytes)
    refused = porchlight("restore", "--from", str(swapped), "--to", str(tmp_path / "y"), passphrase=PASSPHRASE)
    assert refused.returncode == 1 and "altered, moved, or sealed to another hub's key" in refused.stdout
    shutil.rmtree(data)  # the Pi is gone
    for name, how in (("by-passphrase", {"passphrase": PASSPHRASE}), ("by-recovery-key", {})):
        new_pi = tmp_path / name
        extra = () if how else ("--recovery-key", recovery.group(1).lower())
        restored = porchlight("restore", "--from", str(usb), "--to", str(new_pi), *extra, **how)
        assert restored.returncode == 0 and "log intact" in restored.stdout, restored.stdout
        assert WORDS.encode() not in _every_byte(new_pi)  # still sealed on the new card
        listed = porchlight("log", "list", "--json", "--data", str(new_pi), passphrase=PASSPHRASE)
        assert WORDS in listed.stdout


def test_a_sealed_part_removed_or_replaced_without_the_passphrase_is_found(tmp_path: Path) -> None:
    """He cannot read her words, so he destroys them: drops the sealed part, or puts an empty one sealed to
    the public key on the card in its place."""
    import base64
    import sqlite3

    from hub.chain import canonical_json
    from hub.events import Event
    from hub.log import IncidentLog

    data = tmp_path / "data"
    SealingKeys.create(data / "keys", PASSPHRASE)
    log = IncidentLog(data)
    log.append(Event("incident.report", "owner", detail={"description": WORDS, "location": PLACE}))
    log.append(Event("incident.report", "owner", detail={"description": "second"}))
    row = next(log.raw_rows())
    log.close()
    stored = json.loads(row.content)
    public = SealingKeys.load(data / "keys").public  # type: ignore[union-attr]
    empty = base64.b64encode(seal(public, canonical_json({"salts": {}, "values": {}}).encode())).decode()
    for forged in ({k: v for k, v in stored.items() if k != "sealed"}, {**stored, "sealed": empty}):
        conn = sqlite3.connect(data / "porchlight.db")
        conn.execute("DROP TRIGGER IF EXISTS log_no_update")
        conn.execute("UPDATE log SET content = ? WHERE seq = 1", (canonical_json(forged),))
        conn.commit()
        conn.close()
        log = IncidentLog(data)
        try:
            result = log.verify()
            assert not result.ok and result.first_bad_seq == 1 and "sealed part" in str(result.reason)
            log.unlock(PASSPHRASE)
            rows = log.events()  # the other rows still read
            assert rows[1].detail["description"] == "second"
            assert "description" in rows[0].detail and "unreadable" in rows[0].detail or "sealed" not in forged
        finally:
            log.close()


def test_only_the_session_that_gave_the_passphrase_reads(sealed_dir: Path) -> None:
    """He knows (or has reset) her password and logs in while she has her records open: he reads nothing."""
    from tests.webtools import PASSWORD, csrf, login, make_app, post, set_up

    assert porchlight("log", "add", "--data", str(sealed_dir), "--text", WORDS).returncode == 0
    app = make_app(sealed_dir)
    hers, his = app.test_client(), app.test_client()
    set_up(hers)
    hers.post("/login", data={"csrf_token": csrf(hers, "/login"), "name": "owner", "password": PASSWORD,
                              "passphrase": PASSPHRASE})
    assert WORDS.encode() in hers.get("/incidents").data
    login(his)
    assert his.get("/incidents").status_code == 302  # asked for the passphrase, though the log is open for her
    for _ in range(4):
        assert post(his, "/unlock", {"passphrase": "a guess", "next": "/incidents"}).status_code == 401
    commands = [e.kind for _, e in app.extensions["porchlight"].commands.pending_commands()]
    assert commands.count("access.unlock_failed") == 1  # the first wrong one is on the record; the rest counted
    # A second login in her browser ends the first session: it no longer holds the records open.
    login(hers)
    assert hers.get("/incidents").status_code == 302


def test_a_refused_entry_and_a_taken_command_leave_nothing_of_hers_in_the_clear(sealed_dir: Path) -> None:
    from hub.store import Store
    from tests.webtools import make_app, owner, post, take_commands

    client = owner(make_app(sealed_dir))
    refused = post(client, "/entry", {"description": "x", "category": "surveillance",
                                      "started_at": "at the refuge on Elm St"})
    assert refused.status_code == 400
    login_address = b"127.0.0.1"  # the test client's address, in every access row's detail
    with Store(sealed_dir) as store:
        take_commands(store)
    card = _every_byte(sealed_dir)
    assert b"at the refuge on Elm St" not in card
    with Store(sealed_dir) as store:
        store.log.unlock(PASSPHRASE)
        [row] = store.log.events(kind="input.rejected")
        assert "at the refuge on Elm St" in str(row.detail["error"])  # she reads it back
        assert login_address.decode() in json.dumps([e.detail for e in store.log.events(kind="access.login")])


def test_a_swapped_sealing_key_file_does_not_redirect_what_is_sealed(sealed_dir: Path, tmp_path: Path) -> None:
    """He puts his own public key in the key file and the card back, to read what she writes next."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from hub.events import Event
    from hub.log import IncidentLog

    his = X25519PrivateKey.generate()
    path = sealed_dir / "keys" / "sealing.json"
    record = json.loads(path.read_text())
    record["public"] = base64.b64encode(his.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()
    path.write_text(json.dumps(record))
    log = IncidentLog(sealed_dir)
    try:
        log.append(Event("incident.report", "owner", detail={"description": WORDS}))
        assert log.seal_watch.changed  # noticed (the running hub raises log.sealing_key_changed)
        row = json.loads(list(log.raw_rows())[-1].content)
        with pytest.raises(SealingError):
            Opener(his).open(base64.b64decode(row["sealed"]))  # his key opens nothing
        log.unlock(PASSPHRASE)
        assert log.events(kind="incident.report")[-1].detail["description"] == WORDS  # hers does
    finally:
        log.close()


def test_the_running_hub_records_the_key_and_raises_the_alarm_if_the_file_changes(tmp_path: Path,
                                                                                   mock_factory: object) -> None:
    import base64

    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from cryptography.hazmat.primitives import serialization

    from hub.config import parse_config
    from tests.conftest import run_hub_until

    data = tmp_path / "data"
    SealingKeys.create(data / "keys", PASSPHRASE)  # sealed as the dashboard's setup does: no row yet
    config = parse_config({"data_dir": str(data), "gpio": {"pin_factory": "mock"}, "mqtt": {"enabled": False},
                           "web": {"enabled": False}})
    run_hub_until(config, mock_factory, "log.sealed", 15, "the key on the record")
    path = data / "keys" / "sealing.json"
    record = json.loads(path.read_text())
    record["public"] = base64.b64encode(X25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()
    path.write_text(json.dumps(record))
    run_hub_until(config, mock_factory, "log.sealing_key_changed", 15, "the alarm about the changed key file")


def test_a_sealing_cut_short_is_finished_by_running_it_again(tmp_path: Path) -> None:
    """The power goes (or he pulls the plug) while an existing directory is being sealed."""
    from hub.log import IncidentLog

    data = tmp_path / "older"
    photo = tmp_path / "his-car.jpg"
    photo.write_bytes((FACES / "obama.jpg").read_bytes())
    assert porchlight("log", "add", "--data", str(data), "--text", "Before", "--attach", str(photo)).returncode == 0
    SealingKeys.create(data / "keys", PASSPHRASE)  # cut after the key file, before its record and the files
    assert porchlight("log", "verify", "--read-only", "--data", str(data)).returncode == 0
    wrong = porchlight("init", "--data", str(data), "--seal-existing", stdin="not hers\n")
    assert wrong.returncode == 1 and "does not open" in wrong.stdout
    finished = porchlight("init", "--data", str(data), "--seal-existing", stdin=f"{PASSPHRASE}\n")
    assert finished.returncode == 0, finished.stdout
    assert photo.read_bytes()[200:400] not in _every_byte(data)
    assert porchlight("log", "verify", "--read-only", "--data", str(data)).returncode == 0
    log = IncidentLog(data)
    try:
        assert len(log.events(kind="log.sealed")) == 1
    finally:
        log.close()
    assert porchlight("init", "--data", str(data), "--seal-existing", stdin=f"{PASSPHRASE}\n").returncode == 1


def test_a_sealed_hub_serves_her_evidence_opened_and_checked_never_sealed(sealed_dir: Path) -> None:
    from io import BytesIO

    from hub.store import Store
    from tests.conftest import PHONE, wait_for
    from tests.webtools import commands, login, make_app, post, set_up, take_commands

    app = make_app(sealed_dir)
    client = app.test_client()
    set_up(client)
    login(client)
    post(client, "/unlock", {"passphrase": PASSPHRASE, "next": "/incidents"})
    original = (PHONE / "damage.heic").read_bytes()
    post(client, "/entry", {"description": "Damage to the car", "attachments": [(BytesIO(original), "damage.heic")]},
         content_type="multipart/form-data")
    wait_for(lambda: any(k == "evidence.copy" for k, _ in commands(sealed_dir)), 30, "the viewable copy")
    with Store(sealed_dir) as store:
        take_commands(store)
        [report] = store.log.events(kind="incident.report")
        [copy_row] = store.log.events(kind="evidence.copy")
    [sha] = report.evidence
    assert store.log.evidence.is_sealed_file(sha)  # on the card it is sealed...
    with client.get(f"/evidence/{sha}?download=1") as served:
        assert served.status_code == 200 and served.data == original  # ...and she gets the original, checked
    with client.get(f"/evidence/{copy_row.evidence[0]}") as shown:
        assert shown.mimetype == "image/jpeg" and shown.data.startswith(b"\xff\xd8")
    post(client, "/logout")
    other = app.test_client()
    login(other)  # logged in again, not unlocked: nothing opens
    assert other.get(f"/evidence/{sha}").status_code in (302, 403)
