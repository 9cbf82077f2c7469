"""The incident log: append-only, hash-chained, tamper-evident, with signed checkpoints."""

from __future__ import annotations

import json
import sqlite3
import shutil
import stat
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest

from hub.chain import COMMITTED_VERSION, GENESIS, Checkpoint, canonical_json, entry_hash, hashed_form
from hub.errors import LogError
from hub.events import Event, Severity
from hub.alerts.outbox import AlertRequest
from hub.database import DB_NAME
from hub.keys import DeviceKey
from hub.log import IncidentLog
from hub.store import Store
from tests.conftest import log_json, run_cli


def _fill(log: IncidentLog, rows: int = 10) -> None:
    for i in range(rows):
        log.append(Event("door.opened" if i % 2 else "door.closed", "front_door", detail={"i": i}))


def _db(data_dir: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(data_dir / DB_NAME, isolation_level=None)
    return conn


def test_rows_are_chained_and_carry_defensible_time(incident_log: IncidentLog) -> None:
    seq = incident_log.append(Event("door.opened", "front_door", detail={"open": True}))
    assert seq == 1
    row = next(incident_log.raw_rows())
    assert row.prev_hash == GENESIS
    assert row.hash == entry_hash(GENESIS, row.content)
    content = json.loads(row.content)
    assert content["seq"] == 1 and content["kind"] == "door.opened"
    assert set(content) >= {"at", "recorded_at", "tz_offset", "monotonic_ns", "boot_id", "clock_synced"}
    assert content["tz_offset"][0] in "+-" and len(content["tz_offset"]) == 6
    assert row.content == canonical_json(content)


def test_private_details_are_hashed_as_salted_commitments(incident_log: IncidentLog) -> None:
    detail = {"description": "He drove past twice", "location": "14 Elm Street",
              "witnesses": [{"name": "Ann", "contact": "555-0101"}]}
    seq = incident_log.append(Event("incident.report", "owner", detail=detail))
    row = next(incident_log.raw_rows())
    content = json.loads(row.content)
    assert content["v"] == COMMITTED_VERSION and set(content["salts"]) == {"location", "witnesses"}
    assert all(len(salt) == 32 for salt in content["salts"].values())
    # The hash covers the commitments, not the values: a guessed address cannot be checked against it.
    hashed = hashed_form(content)
    assert "salts" not in hashed and "14 Elm Street" not in canonical_json(hashed)
    assert hashed["detail"]["description"] == "He drove past twice"
    assert row.hash == entry_hash(GENESIS, canonical_json(hashed)) != entry_hash(GENESIS, row.content)
    event = incident_log.event(seq)
    assert event is not None and event.detail["location"] == "14 Elm Street"  # the hub still reads it
    assert incident_log.verify().ok
    # Each row gets its own salts, so the same address in two rows gives two unrelated commitments.
    incident_log.append(Event("incident.report", "owner", detail=detail))
    second = json.loads(list(incident_log.raw_rows())[1].content)
    assert hashed_form(second)["detail"]["location"] != hashed["detail"]["location"]


def test_a_changed_private_detail_or_salt_breaks_the_chain(incident_log: IncidentLog, data_dir: Path) -> None:
    incident_log.append(Event("incident.report", "owner", detail={"location": "14 Elm Street"}))
    _fill(incident_log, 2)
    row = next(incident_log.raw_rows())
    conn = _db(data_dir)
    conn.execute("DROP TRIGGER IF EXISTS log_no_update")
    for forged in (row.content.replace("14 Elm Street", "15 Elm Street"),
                   row.content.replace(json.loads(row.content)["salts"]["location"], "0" * 32)):
        conn.execute("UPDATE log SET content = ? WHERE seq = 1", (forged,))
        result = incident_log.verify()
        assert not result.ok and result.first_bad_seq == 1, forged


def test_database_refuses_update_and_delete(incident_log: IncidentLog, data_dir: Path) -> None:
    _fill(incident_log, 3)
    conn = _db(data_dir)
    with pytest.raises(sqlite3.IntegrityError, match="append-only: rows cannot be changed"):
        conn.execute("UPDATE log SET content = '{}' WHERE seq = 2")
    with pytest.raises(sqlite3.IntegrityError, match="append-only: rows cannot be deleted"):
        conn.execute("DELETE FROM log WHERE seq = 2")
    assert incident_log.verify().ok


def test_alert_is_committed_with_its_cause(store: Store, incident_log: IncidentLog) -> None:
    seq = incident_log.append(Event("alarm.triggered", "back_door", Severity.CRITICAL),
                              [AlertRequest(Severity.CRITICAL, "Back door opened")])
    [alert] = store.outbox.rows()
    assert (alert.seq, alert.priority, alert.reason, alert.status) == (seq, "critical", "Back door opened", "pending")


def test_event_citing_missing_evidence_is_refused(incident_log: IncidentLog) -> None:
    with pytest.raises(LogError, match="which is not in the evidence store"):
        incident_log.append(Event("camera.snapshot", "porch", evidence=("ab" * 32,)))
    assert incident_log.head()[0] == 0


def test_checkpoints_are_signed_rows_every_n_rows(data_dir: Path) -> None:
    log = IncidentLog(data_dir, checkpoint_every_rows=5)
    _fill(log, 12)
    kinds = [e.kind for e in log.events()]
    assert kinds.count("log.checkpoint") == 2
    assert log.verify().ok
    latest = Checkpoint.from_json(json.loads((data_dir / "checkpoints" / "latest.json").read_text()))
    assert latest.is_signed()
    key_mode = stat.S_IMODE((data_dir / "keys" / "device_ed25519.pem").stat().st_mode)
    assert key_mode == 0o600
    log.close()


def test_two_starts_on_an_empty_directory_agree_on_one_device_key(tmp_path: Path) -> None:
    # The hub starting while a CLI command opens the same new directory: before, the loser crashed
    # with FileExistsError (seen in CI as a daemon that never started).
    keys_dir = tmp_path / "keys"
    for _ in range(20):
        shutil.rmtree(keys_dir, ignore_errors=True)
        barrier = threading.Barrier(6)
        found: list[str] = []
        errors: list[BaseException] = []

        def start() -> None:
            barrier.wait(5)
            try:
                found.append(DeviceKey(keys_dir).public_b64)
            except BaseException as err:  # noqa: BLE001 - the test reports any failure
                errors.append(err)

        threads = [threading.Thread(target=start) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert errors == [] and len(found) == 6 and len(set(found)) == 1
        assert sorted(p.name for p in keys_dir.iterdir()) == ["device_ed25519.pem", "device_ed25519.pub"]
        assert (keys_dir / "device_ed25519.pub").read_text().strip() == found[0]


def test_correction_points_at_original_which_stays(incident_log: IncidentLog, data_dir: Path) -> None:
    _fill(incident_log, 2)
    result = run_cli("log", "correct", "1", "--text", "it was the back door", "--data", str(data_dir))
    assert result.stdout.strip() == "3"
    rows = log_json(data_dir)
    assert rows[0]["detail"] == {"i": 0}
    assert rows[2]["kind"] == "log.correction" and rows[2]["detail"]["corrects"] == 1


def test_tombstone_records_removed_evidence(incident_log: IncidentLog) -> None:
    sha = incident_log.evidence.put_bytes(b"routine footage")
    incident_log.append(Event("camera.clip", "porch", evidence=(sha,)))
    incident_log.tombstone(sha, "retention: routine footage older than 30 days")
    assert not incident_log.evidence.exists(sha)
    tomb = incident_log.events(kind="evidence.tombstone")[0]
    assert tomb.detail["sha256"] == sha and tomb.detail["size"] == len(b"routine footage")
    assert incident_log.verify().ok


# --- tampering: every case exits 1 naming the first bad row and why --------------------------

def _verify(data_dir: Path, *extra: str) -> tuple[int, str]:
    result = run_cli("log", "verify", "--read-only", "--data", str(data_dir), *extra)
    return result.returncode, result.stdout.strip()


def _drop_triggers(conn: sqlite3.Connection) -> None:
    conn.execute("DROP TRIGGER log_no_update")
    conn.execute("DROP TRIGGER log_no_delete")


def test_intact_log_verifies(incident_log: IncidentLog, data_dir: Path) -> None:
    _fill(incident_log, 10)
    assert _verify(data_dir) == (0, "log intact: 10 rows, 0 evidence files verified")


def test_verify_run_is_itself_logged(incident_log: IncidentLog, data_dir: Path) -> None:
    _fill(incident_log, 2)
    assert run_cli("log", "verify", "--data", str(data_dir)).returncode == 0
    last = log_json(data_dir)[-1]
    assert last["kind"] == "log.verified" and last["detail"]["ok"] is True and last["detail"]["rows"] == 2


TAMPERING = {
    "edited row": (["""UPDATE log SET content = replace(content, '"i":4', '"i":40') WHERE seq = 5"""],
                   "log BROKEN at seq 5: entry hash does not match its content (the row was edited)"),
    "edited kind column": (["UPDATE log SET kind = 'door.closed' WHERE seq = 2"],
                           "log BROKEN at seq 2: kind, source or time columns disagree with the hashed "
                           "content (the row was edited)"),
    "deleted row": (["DELETE FROM log WHERE seq = 4"],
                    "log BROKEN at seq 4: missing: the log jumps from seq 3 to seq 5 (rows were deleted)"),
    "reordered rows": (["UPDATE log SET seq = -1 WHERE seq = 3", "UPDATE log SET seq = 3 WHERE seq = 4",
                        "UPDATE log SET seq = 4 WHERE seq = -1"],
                       "log BROKEN at seq 3: holds the content of seq 4 (rows were reordered or renumbered)"),
}


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_tampering_is_found_even_with_triggers_dropped(
        case: str, incident_log: IncidentLog, data_dir: Path) -> None:
    statements, message = TAMPERING[case]
    _fill(incident_log, 10)
    conn = _db(data_dir)
    _drop_triggers(conn)
    for sql in statements:
        conn.execute(sql)
    assert _verify(data_dir) == (1, message)


def test_edited_and_rehashed_row_breaks_the_next_link(incident_log: IncidentLog, data_dir: Path) -> None:
    _fill(incident_log, 10)
    conn = _db(data_dir)
    _drop_triggers(conn)
    prev, content = conn.execute("SELECT prev_hash, content FROM log WHERE seq = 5").fetchone()
    forged = content.replace('"i":4', '"i":40')
    conn.execute("UPDATE log SET content = ?, hash = ? WHERE seq = 5", (forged, entry_hash(prev, forged)))
    assert _verify(data_dir) == (1, "log BROKEN at seq 6: previous-hash link to seq 5 is broken (seq 5 was "
                                    "edited and re-hashed, or rows were removed or reordered)")


def test_altered_evidence_is_found(incident_log: IncidentLog, data_dir: Path) -> None:
    _fill(incident_log, 2)
    sha = incident_log.evidence.put_bytes(b"snapshot bytes")
    incident_log.append(Event("camera.snapshot", "porch", evidence=(sha,)))
    path = incident_log.evidence.path_for(sha)
    path.chmod(0o644)
    path.write_bytes(b"snapshot bytez")
    code, out = _verify(data_dir)
    assert code == 1
    assert out.startswith(f"log BROKEN at seq 3: evidence {sha} is altered (the file now hashes to ")


def test_missing_evidence_is_found(incident_log: IncidentLog, data_dir: Path) -> None:
    sha = incident_log.evidence.put_bytes(b"clip bytes")
    incident_log.append(Event("camera.clip", "porch", evidence=(sha,)))
    incident_log.evidence.remove(sha)
    assert _verify(data_dir) == (1, f"log BROKEN at seq 1: evidence {sha} is missing from the evidence store")


def test_truncated_tail_is_found_with_an_exported_checkpoint(
        incident_log: IncidentLog, data_dir: Path, tmp_path: Path) -> None:
    _fill(incident_log, 10)
    out = tmp_path / "checkpoint.json"
    result = run_cli("log", "checkpoint", "--out", str(out), "--data", str(data_dir))
    assert result.stdout.strip() == f"checkpoint of seq 10 written to {out}; keep a copy off this device"
    _fill(incident_log, 2)
    assert _verify(data_dir, "--checkpoint", str(out))[0] == 0
    conn = _db(data_dir)
    _drop_triggers(conn)
    conn.execute("DELETE FROM log WHERE seq > 8")
    point = json.loads(out.read_text())
    assert _verify(data_dir) == (0, "log intact: 8 rows, 0 evidence files verified")  # undetectable alone
    assert _verify(data_dir, "--checkpoint", str(out)) == (
        1, f"log BROKEN at seq 9: the log ends at seq 8 but the checkpoint of {point['at']} covers seq 10 "
           "(rows were removed from the end)")


def test_rewritten_chain_is_found_with_an_exported_checkpoint(
        incident_log: IncidentLog, data_dir: Path, tmp_path: Path) -> None:
    _fill(incident_log, 5)
    out = tmp_path / "checkpoint.json"
    run_cli("log", "checkpoint", "--out", str(out), "--data", str(data_dir), check=True)
    conn = _db(data_dir)
    _drop_triggers(conn)
    # Rewrite row 3 and re-hash everything after it: the chain alone looks perfect.
    rows = conn.execute("SELECT seq, content FROM log ORDER BY seq").fetchall()
    conn.execute("DELETE FROM log")
    prev = GENESIS
    for seq, content in rows:
        if seq == 3:
            content = content.replace('"i":2', '"i":99')
        digest = entry_hash(prev, content)
        data = json.loads(content)
        conn.execute("INSERT INTO log VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (seq, data["kind"], data["source"], data["at"], content, prev, digest))
        prev = digest
    point = json.loads(out.read_text())
    assert _verify(data_dir, "--checkpoint", str(out)) == (
        1, f"log BROKEN at seq 5: hash differs from the signed checkpoint of {point['at']} (the log was rewritten)")


def test_forged_checkpoint_file_is_refused(incident_log: IncidentLog, data_dir: Path, tmp_path: Path) -> None:
    _fill(incident_log, 5)
    out = tmp_path / "checkpoint.json"
    run_cli("log", "checkpoint", "--out", str(out), "--data", str(data_dir), check=True)
    point = json.loads(out.read_text())
    point["head_seq"] = 3
    out.write_text(json.dumps(point))
    assert _verify(data_dir, "--checkpoint", str(out)) == (
        1, "log BROKEN at seq 3: the checkpoint file's signature is invalid (the file was altered)")


def test_checkpoint_from_another_device_is_refused(tmp_path: Path) -> None:
    other = IncidentLog(tmp_path / "other")
    _fill(other, 3)
    foreign = other.checkpoint()
    other.close()
    mine = IncidentLog(tmp_path / "mine")
    _fill(mine, 3)
    result = mine.verify(foreign)
    assert result.message() == "log BROKEN at seq 3: the checkpoint file was signed by a different device key"
    mine.close()


def test_concurrent_writers_keep_one_chain(data_dir: Path) -> None:
    import threading

    logs = [IncidentLog(data_dir, checkpoint_every_rows=1000) for _ in range(3)]
    def write(log: IncidentLog) -> None:
        for i in range(30):
            log.append(Event("door.opened", "front_door", detail={"i": i}))
    threads = [threading.Thread(target=write, args=(log,)) for log in logs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert logs[0].head()[0] == 90
    assert logs[0].verify().ok
    for log in logs:
        log.close()


def test_events_filter_by_time_and_kind(incident_log: IncidentLog) -> None:
    early = datetime(2026, 1, 1, tzinfo=timezone.utc)
    late = datetime(2026, 6, 1, tzinfo=timezone.utc)
    incident_log.append(Event("door.opened", "front_door", at=early))
    incident_log.append(Event("window.opened", "kitchen", at=late))
    assert [e.kind for e in incident_log.events(since=datetime(2026, 3, 1, tzinfo=timezone.utc))] == ["window.opened"]
    assert [e.kind for e in incident_log.events(kind="door.*")] == ["door.opened"]
