"""The porchlight command: manual entries with attachments, listing, filters, errors."""

from __future__ import annotations

import hashlib
from pathlib import Path

from hub.store import Store
from tests.conftest import log_json, run_cli


def test_log_add_with_details_and_attachment(data_dir: Path, tmp_path: Path) -> None:
    voicemail = tmp_path / "voicemail.ogg"
    voicemail.write_bytes(b"OggS fake voicemail")
    result = run_cli("log", "add", "--data", str(data_dir), "--text", "His car parked across the street for an hour",
                     "--category", "surveillance", "--location", "street outside", "--tag", "loitering",
                     "--plate", "AB12 CDE", "--witness", "Mrs Patel (no. 14)", "--police-report", "CR-2026-1123",
                     "--started", "2026-11-23T21:30", "--attach", str(voicemail))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "1\n"
    [row] = log_json(data_dir)
    sha = hashlib.sha256(b"OggS fake voicemail").hexdigest()
    assert row["kind"] == "incident.report" and row["source"] == "owner"
    assert row["evidence"] == [sha]
    detail = row["detail"]
    assert detail["description"] == "His car parked across the street for an hour"
    assert detail["category"] == "surveillance" and detail["tags"] == ["loitering"]
    assert detail["vehicle"] == {"plate": "AB12 CDE"}
    assert detail["witnesses"] == [{"name": "Mrs Patel (no. 14)"}]
    assert detail["attachments"] == [{"sha256": sha, "name": "voicemail.ogg", "size": 19}]
    assert detail["police_report_number"] == "CR-2026-1123"
    assert row["at"].startswith("2026-11-23T")
    assert (data_dir / "evidence" / sha[:2] / sha).read_bytes() == b"OggS fake voicemail"


def test_log_list_filters(data_dir: Path) -> None:
    run_cli("log", "add", "--data", str(data_dir), "--text", "old", "--started", "2026-01-01T10:00+00:00", check=True)
    run_cli("log", "add", "--data", str(data_dir), "--text", "new", "--started", "2026-11-01T10:00+00:00", check=True)
    run_cli("log", "correct", "2", "--text", "it was 11:00", "--data", str(data_dir), check=True)
    assert [r["detail"]["description"] for r in log_json(data_dir, "--since", "2026-06-01T00:00+00:00",
                                                          "--kind", "incident.report")] == ["new"]
    assert [r["kind"] for r in log_json(data_dir, "--kind", "log.*")] == ["log.correction"]
    text = run_cli("log", "list", "--data", str(data_dir), check=True).stdout.splitlines()
    assert len(text) == 3 and "incident.report" in text[0] and text[0].rstrip().endswith("old")


def test_json_rows_have_the_documented_fields(data_dir: Path) -> None:
    run_cli("log", "add", "--data", str(data_dir), "--text", "note", check=True)
    [row] = log_json(data_dir)
    assert {"seq", "kind", "source", "at", "detail", "evidence"} <= set(row)


def test_bad_input_is_refused_clearly(data_dir: Path, tmp_path: Path) -> None:
    missing = run_cli("log", "add", "--data", str(data_dir), "--text", "x", "--attach", str(tmp_path / "nope.jpg"))
    assert missing.returncode == 1
    assert missing.stderr.strip().endswith(f"--attach {tmp_path / 'nope.jpg'}: no such file")
    empty = run_cli("log", "add", "--data", str(data_dir), "--text", "")
    assert empty.returncode == 1 and "description: String should have at least 1 character" in empty.stderr
    bad_time = run_cli("log", "list", "--data", str(data_dir), "--since", "yesterday")
    assert bad_time.returncode == 2 and "'yesterday' is not an ISO 8601 time" in bad_time.stderr
    bad_seq = run_cli("log", "correct", "9", "--text", "x", "--data", str(data_dir))
    assert bad_seq.returncode == 1 and "seq 9: no such row (the log has rows 1 to 0)" in bad_seq.stderr


def test_no_config_and_no_data_is_an_error(tmp_path: Path) -> None:
    result = run_cli("log", "list")
    assert result.returncode == 1
    assert result.stderr.strip() == "give --config FILE, or --data DIR to use the defaults with that data directory"


def test_data_dir_is_created_on_first_use(tmp_path: Path) -> None:
    fresh = tmp_path / "a" / "b"
    assert run_cli("log", "list", "--data", str(fresh)).returncode == 0
    assert (fresh / "porchlight.db").exists()


def test_arm_command_is_queued(data_dir: Path) -> None:
    result = run_cli("arm", "away", "--data", str(data_dir))
    # Nothing runs on this data directory: the command must say so, not claim it is applied.
    assert result.returncode == 3 and result.stdout.startswith("arm mode away requested, not applied: NO HUB IS RUNNING")
    with Store(data_dir) as store:
        assert [event.kind for _, event in store.commands.pending_commands()] == ["arm.set"]
    assert run_cli("arm", "party", "--data", str(data_dir)).returncode == 2
