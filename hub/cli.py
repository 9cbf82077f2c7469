"""The ``porchlight`` command: run the hub, check config, and read or add to the incident log."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import re
import signal
import sys
import threading
import time
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

from pydantic import ValidationError

from hub import __version__
from hub.arming import MODES
from hub.chain import Checkpoint
from hub.cli_args import PASSPHRASE_VARIABLE, config_from, open_log, open_store, read_passphrase
from hub.commands import PinCheck, arm_request, checkin_request
from hub.config import Config, field_paths, load_config, summary
from hub.errors import ConfigError, PorchlightError
from hub.events import Event, Severity
from hub.incident import Attachment, IncidentReport, Vehicle, Witness
from hub.lifecycle import hub_running
from hub.log import IncidentLog
from hub.sealing import Opener, SealingError, SealingKeys, WrongPassphrase
from hub.store import Store
from hub.systemd import Notifier
from hub import kinds



def _parse_time(value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO 8601 time such as 2026-11-23T21:30") from err
    return at if at.tzinfo else at.astimezone()  # a time without zone is local time


# --- commands ---------------------------------------------------------------------------------

def cmd_check_config(args: argparse.Namespace) -> int:
    """Validate a config file; print every problem, or a summary."""
    try:
        config = load_config(Path(args.file))
    except ConfigError as err:
        for problem in err.problems:
            print(problem)
        return 1
    print(summary(config))
    for warning in _config_warnings(config):
        print(f"warning: {warning}")
    return 0


def _config_warnings(config: Config) -> list[str]:
    warnings = []
    mqtt = config.mqtt
    if mqtt.enabled and mqtt.host not in ("127.0.0.1", "localhost", "::1") and not (mqtt.username and mqtt.tls):
        warnings.append(
            f"mqtt: the broker {mqtt.host} is not on this machine and the link has no username and TLS; "
            "anyone on your network may read the hub's state (set mqtt.username, mqtt.password, mqtt.tls)"
        )
    if mqtt.password and not mqtt.password.startswith(("env:", "file:")):
        warnings.append("mqtt.password: written in plain text; use env:NAME or file:/path instead")
    return warnings


def _serve(start: Callable[[], None], stop: Callable[[], None], status: str, healthy: Callable[[], bool]) -> int:
    """Run a service until SIGTERM or Ctrl-C, telling systemd it is ready and pinging its watchdog.

    The main loop pings only while ``healthy()`` holds, so a hang gets the service restarted.
    """
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    notifier = Notifier()
    start()
    notifier.ready(status)
    try:
        while not stopping.wait(notifier.watchdog_interval or 5.0):
            if healthy():
                notifier.watchdog()
            else:
                logging.getLogger(__name__).error("the service looks hung; not pinging the watchdog")
    finally:
        notifier.stopping()
        stop()
        notifier.close()
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run the hub until SIGTERM or Ctrl-C."""
    from hub.app import Hub

    config = config_from(args)
    hub = Hub(config, dashboard=config.web.enabled, simulate=args.simulate, restartable=True)
    return _serve(hub.start, hub.stop, f"watching {len(config.sensors)} sensors and {len(config.cameras)} cameras",
                  hub.healthy)


def cmd_init(args: argparse.Namespace) -> int:
    """Seal a data directory: rows and files written from now on can be read only with her passphrase."""
    from hub.sealing import FILE_NAME

    config = config_from(args)
    keys_dir = config.data_dir / "keys"
    has_log = (config.data_dir / "porchlight.db").exists()
    if has_log and not args.seal_existing:
        print(f"{config.data_dir} already holds a log: sealing it in place is porchlight init --seal-existing")
        return 1
    with open_log(args) as log:
        # A sealing that was cut short (the key file written, its record not): --seal-existing finishes it.
        resume = (keys_dir / FILE_NAME).exists() and not log.events(kind=kinds.LOG_SEALED, limit=1)
    if (keys_dir / FILE_NAME).exists() and not (resume and args.seal_existing):
        print(f"{config.data_dir} is already sealed")
        return 1
    if sys.stdin.isatty():
        first = getpass.getpass("Passphrase: " if resume else "New passphrase: ")
        second = first if resume else getpass.getpass("The same again: ")
    else:
        lines = sys.stdin.read().splitlines()
        first, second = (lines + ["", ""])[:2]
    if not resume and first != second:
        print("the two passphrases differ; nothing was changed")
        return 1
    try:
        if resume:
            found = SealingKeys.load(keys_dir)
            assert found is not None
            found.unlock(first)  # only she finishes what she started
            keys, recovery = found, None
        else:
            keys, recovery = SealingKeys.prepare(first)
    except WrongPassphrase:
        print("that passphrase does not open this hub's sealing key; nothing was changed")
        return 1
    except SealingError as err:
        print(f"not sealed: {err}")
        return 1
    with open_log(args) as log:
        # Files already there are sealed too. Their sealed copies are staged first, then the key file is
        # written, then the copies' hashes go on the record, and only then does each copy replace its
        # original: a cut at any point leaves every file either as it was or sealed and on the record.
        hashes, put_in_place = log.evidence.seal_in_place(keys.public, log.evidence.stored_digests())
        if recovery is not None:
            keys.save(keys_dir)
        log.seal_watch.refresh()
        log.record_sealing("cli", {"existing_rows_before": log.head()[0], "sealed_evidence": hashes})
        put_in_place()
        log.evidence.clear_staging()
        earlier = log.head()[0] - 1
    print(f"{config.data_dir} is sealed: what is written from now on is readable only with your passphrase"
          + (f"; {len(hashes)} evidence files already there were sealed too." if hashes else "."))
    if earlier:
        print("The log rows written before now stay as they were (a log row is never changed): sealing covers "
              "what is written from now on.")
    if recovery is not None:
        print("\nRECOVERY KEY: write it down and keep it away from this device and from him. With it, and only")
        print("with it or your passphrase, anyone can read what the hub holds and open its backups.\n")
        print(f"    {recovery}\n")
    _retire_backup_key(config.data_dir)
    return 0


def _retire_backup_key(data_dir: Path) -> None:
    """From sealing on, backups are sealed to the sealing key; the old backup key leaves the card (printed once)."""
    from hub.backup import KEY_FILE, key_from_text, key_to_text

    path = data_dir / "keys" / KEY_FILE
    if not path.exists():
        return
    key = key_to_text(key_from_text(path.read_text()))
    print("Backups from now on are sealed too, and open with your passphrase or the recovery key. Backups made")
    print("before today open with the backup key below, which is no longer kept on this card: write it down.\n")
    print(f"    {key}\n")
    with path.open("r+b") as handle:  # overwritten first: a plain unlink leaves the bytes on the card
        handle.write(bytes(len(key) + 1))
        handle.flush()
        os.fsync(handle.fileno())
    path.unlink()


def cmd_log_add(args: argparse.Namespace) -> int:
    """Add a manual incident entry; print its sequence number."""
    with open_log(args) as log:
        attachments = []
        for name in args.attach or []:
            path = Path(name)
            if not path.is_file():
                print(f"--attach {name}: no such file", file=sys.stderr)
                return 1
            sha = log.evidence.put_file(path)
            attachments.append(Attachment(sha256=sha, name=path.name, size=path.stat().st_size))
        vehicle = Vehicle(plate=args.plate, model=args.vehicle) if (args.plate or args.vehicle) else None
        try:
            report = IncidentReport(
                description=args.text, location=args.location, category=args.category,
                tags=args.tag or [], started_at=args.started, ended_at=args.ended,
                witnesses=[Witness(name=w) for w in args.witness or []], vehicle=vehicle,
                police_report_number=args.police_report, officer_name=args.officer,
                protective_order_ref=args.order, attachments=attachments,
            )
        except ValidationError as err:
            for problem in err.errors():
                print(f"{'.'.join(map(str, problem['loc']))}: {problem['msg']}", file=sys.stderr)
            return 1
        print(log.append(report.to_event(datetime.now(timezone.utc))))
    return 0


def cmd_log_correct(args: argparse.Namespace) -> int:
    """Add a correction that points at an earlier row (the original is never changed)."""
    with open_log(args) as log:
        head, _ = log.head()
        if not 1 <= args.seq <= head:
            print(f"seq {args.seq}: no such row (the log has rows 1 to {head})", file=sys.stderr)
            return 1
        print(log.append(Event(kinds.LOG_CORRECTION, "owner", Severity.NOTICE,
                               detail={"corrects": args.seq, "text": args.text})))
    return 0


def cmd_log_list(args: argparse.Namespace) -> int:
    """Print rows, as text or one JSON object per line."""
    with open_log(args, reading=True) as log:
        events = log.events(since=args.since, kind=args.kind, source=args.source, limit=args.limit)
    for event in events:
        if args.json:
            print(json.dumps(event.to_json(), ensure_ascii=False, sort_keys=True))
        else:
            local = event.at.astimezone().strftime("%Y-%m-%d %H:%M:%S %z")
            evidence = f"  [{len(event.evidence)} evidence]" if event.evidence else ""
            text = event.detail.get("description") or event.detail.get("reason") or ""
            print(f"{event.seq:>7}  {local}  {event.kind:<22} {event.source:<16} {text}{evidence}")
    return 0


def cmd_log_verify(args: argparse.Namespace) -> int:
    """Verify the chain, evidence and (optionally) an exported checkpoint; exit 1 on any problem."""
    checkpoint = None
    if args.checkpoint:
        try:
            checkpoint = Checkpoint.from_json(json.loads(Path(args.checkpoint).read_text()))
        except (OSError, ValueError) as err:
            print(f"--checkpoint {args.checkpoint}: cannot use it ({err})")
            return 1
    with open_log(args) as log:
        result = log.verify(checkpoint)
        print(result.message())
        if not args.read_only:
            # Every verification run is itself on the record (chain of custody).
            detail = {"ok": result.ok, "rows": result.rows, "first_bad_seq": result.first_bad_seq,
                      "reason": result.reason, "checkpoint": checkpoint.head_seq if checkpoint else None}
            kind = kinds.LOG_VERIFIED if result.ok else kinds.LOG_CHAIN_BROKEN
            log.append(Event(kind, "cli", Severity.INFO if result.ok else Severity.CRITICAL, detail=detail))
    return 0 if result.ok else 1


def cmd_log_checkpoint(args: argparse.Namespace) -> int:
    """Sign the chain head now and write the checkpoint to a file to keep off the device."""
    with open_log(args) as log:
        point = log.checkpoint()
    out = Path(args.out)
    out.write_text(json.dumps(point.to_json(), indent=2, sort_keys=True) + "\n")
    print(f"checkpoint of seq {point.head_seq} written to {out}; keep a copy off this device")
    return 0


CLI_WAIT_SECONDS = 5.0  # how long a command waits for the running hub to take what it queued


def _taken(store: Store, command_ids: list[int]) -> bool:
    """Whether the running hub took every one of these commands within CLI_WAIT_SECONDS (no hub: no wait)."""
    deadline = time.monotonic() + (CLI_WAIT_SECONDS if hub_running(store.log.data_dir) else 0.0)
    return all(store.commands.wait_taken(cid, max(0.0, deadline - time.monotonic())) is not None
               for cid in command_ids)


def _submit(store: Store, events: list[Event]) -> bool:
    """Queue events for the hub; True once it has taken them all."""
    return _taken(store, [store.commands.submit_event(event) for event in events])


def _submit_only(store: Store, events: list[Event]) -> None:
    """Queue events (a refusal's record) without waiting for the hub."""
    for event in events:
        store.commands.submit_event(event)


def _not_taken(store: Store) -> str:
    """Why a queued command was not taken, truthfully."""
    if not hub_running(store.log.data_dir):
        return (f"NO HUB IS RUNNING on {store.log.data_dir}: nothing acts on this until one starts "
                "(sudo systemctl start porchlight, or porchlight run). It stays queued until then.")
    return "the hub has not confirmed it yet (it may be busy); it stays queued"


def cmd_arm(args: argparse.Namespace) -> int:
    """Queue an arm-mode change for the running hub (disarming takes the PIN once one is set)."""
    from hub.arming_check import not_ready

    config = config_from(args)
    with open_store(args) as store:
        waiting = not_ready(config.sensors, store.log, args.mode) if args.mode != "disarmed" else []
        outcome = arm_request(PinCheck(config.arming), args.mode, args.pin, "cli", datetime.now(timezone.utc),
                              not_ready=waiting, bypass=args.bypass)
        if not outcome.response["ok"]:
            _submit_only(store, outcome.events)
            print(f"arm mode not changed: {outcome.response['error']}")
            if outcome.response.get("not_ready"):
                print("close it, or arm anyway with --bypass (it will not alarm until the next arming)")
            return 1
        if not _submit(store, outcome.events):
            print(f"arm mode {args.mode} requested, not applied: {_not_taken(store)}")
            return 3
    print(f"arm mode {args.mode}: applied by the hub")
    return 0


def cmd_safe_now(args: argparse.Namespace) -> int:
    """She is safe: the dashboard shows again what a duress disarm caused (the same answer if there was none)."""
    with open_store(args) as store:
        store.commands.submit_command(kinds.DURESS_RESOLVED, "cli", {"by": "console"})
    print("noted: anything recorded while you were not safe is on the dashboard's timeline again")
    return 0


def cmd_panic(args: argparse.Namespace) -> int:
    """Raise a panic: every contact, every tier, at once."""
    with open_store(args) as store:
        command_id = store.commands.submit_command(kinds.PANIC, "cli", {"via": "cli"})
        taken = store.commands.wait_taken(command_id, CLI_WAIT_SECONDS if hub_running(store.log.data_dir) else 0.0)
        if taken is None or taken.answer is None:
            print(f"panic recorded, but nobody has been told: {_not_taken(store)}. If you are in danger, "
                  "call the emergency number (999, 911 or 112) now.")
            return 3
    print(f"panic raised. {taken.answer.text}")
    return 0 if taken.answer.ok else 2


def cmd_checkin_start(args: argparse.Namespace) -> int:
    """Start a check-in timer: if she has not checked in by then, contacts are alerted."""
    with open_store(args) as store:
        if not _taken(store, [store.commands.submit_command(kinds.CHECKIN_START, "cli", {"minutes": args.minutes})]):
            print(f"check-in timer not started yet: {_not_taken(store)}")
            return 3
    print(f"check-in timer started: check in within {args.minutes:g} minutes")
    return 0


def cmd_checkin_daily(args: argparse.Namespace) -> int:
    """Expect a check-in every day by a local time (or stop expecting one)."""
    if not args.off and (args.by is None or not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", args.by)):
        print("--by: give a local time such as 22:00")
        return 1
    with open_store(args) as store:
        if args.off:
            command_id = store.commands.submit_command(kinds.CHECKIN_DAILY_OFF, "cli", {})
        else:
            command_id = store.commands.submit_command(kinds.CHECKIN_DAILY, "cli", {"by": args.by})
        if not _taken(store, [command_id]):
            print(f"daily check-in not changed yet: {_not_taken(store)}")
            return 3
    print("daily check-in stopped" if args.off else f"daily check-in: check in every day by {args.by}")
    return 0


def cmd_checkin_done(args: argparse.Namespace) -> int:
    """Check in (stops the timer). The duress PIN looks the same here, and escalates."""
    config = config_from(args)
    outcome = checkin_request(PinCheck(config.arming), args.pin, "cli", datetime.now(timezone.utc))
    with open_store(args) as store:
        if not outcome.response["ok"]:
            _submit_only(store, outcome.events)
            print(f"not checked in: {outcome.response['error']}")
            return 1
        if not _submit(store, outcome.events):
            print(f"check-in queued, not yet recorded: {_not_taken(store)}")
            return 3
    print("checked in: thank you")
    return 0


def cmd_alert_ack(args: argparse.Namespace) -> int:
    """Record a contact's "I'm on it" from their link (until the dashboard serves the link itself)."""
    from hub.alerts.worker import Deliveries
    from hub.clock import SystemClock
    from hub.errors import InputRejected

    config = config_from(args)
    token = args.link.rstrip("/").rsplit("/ack/", 1)[-1]
    with open_store(args) as store:
        try:
            print(Deliveries(store.log, store.outbox, config, SystemClock(), store.log.append).acknowledge(token))
        except InputRejected as err:
            print(f"not acknowledged: {err}")
            return 1
    return 0


def cmd_alert_test(args: argparse.Namespace) -> int:
    """Send a test message to one contact on every channel; print each outcome."""
    from hub.contacts import ContactBook
    from hub.alerts.channels import send_test_message

    from hub.mail_account import MailAccountStore
    from hub.reach import Reach

    config = config_from(args)
    contacts = ContactBook(config).current()
    contact = contacts.get(args.contact)
    if contact is None:
        print(f"contacts.{args.contact}: no such contact (configured: {', '.join(contacts) or 'none'})")
        return 1
    results = send_test_message(contact, mail=MailAccountStore(config.data_dir).load())
    for result in results:
        print(f"{result['channel']}: " + ("delivered" if result["error"] is None else f"FAILED: {result['error']}"))
    with open_log(args) as log:
        log.append(Event(kinds.ALERT_TEST, "cli", Severity.INFO, {"contact": args.contact, "results": results}))
    with open_store(args) as store:
        Reach.of_hub(config, store.state).record_test(args.contact, contact, results)
    return 1 if any(r["error"] for r in results) else 0


def cmd_export(args: argparse.Namespace) -> int:
    """Export every incident between two days (local time) as a verifiable ZIP; print where it is."""
    from hub.export import DISCOVERY_WARNING, ExportError, ExportRequest, build_export, incidents_between

    config = config_from(args)
    with open_log(args, reading=True) as log:
        seqs = tuple(e.seq for e in incidents_between(log, args.start, args.end))
        try:
            result = build_export(log, config, ExportRequest(seqs, args.start, args.end, args.redacted),
                                  Path(args.out), lambda stage, fraction: print(f"{fraction:4.0%} {stage}"))
        except ExportError as err:
            print(f"no export: {err}", file=sys.stderr)
            return 1
        log.append(Event(kinds.ACCESS_EXPORT, "cli", Severity.NOTICE, {
            "incidents": result.incidents, "files": result.files, "redacted": args.redacted,
            "zip": result.path.name, "zip_sha256": result.sha256}))
    print(f"{result.path}\nSHA-256 {result.sha256}\n{result.incidents} incidents, {result.evidence_files} evidence "
          f"files. Check it with: python3 verify.py --key {log.key.fingerprint} (inside the unzipped folder)\n"
          f"{DISCOVERY_WARNING}")
    return 0


def cmd_dashboard_password(args: argparse.Namespace) -> int:
    """Console recovery (SEC-2): a new owner password, the lockout lifted, every session ended, on the record."""
    import getpass

    from hub.accounts import MIN_PASSWORD, AccountStore
    from hub.sessions import SessionStore

    config = config_from(args)
    if args.stdin:
        password = confirm = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("New dashboard password: ")
        confirm = getpass.getpass("Again: ")
    if len(password) < MIN_PASSWORD or password != confirm:
        print(f"not changed: the password needs {MIN_PASSWORD}+ characters, typed the same twice", file=sys.stderr)
        return 1
    try:
        accounts = AccountStore(config.data_dir)
        accounts.reset_owner(password)
        codes = accounts.new_recovery_codes()  # whoever had the old ones (he may) has nothing now
    except PermissionError as err:
        print(f"not changed: {err}", file=sys.stderr)
        return 1
    ended = SessionStore(config.data_dir, config.web.idle_minutes * 60).end_all(None, "password reset at the console")
    with open_store(args) as store:
        store.commands.submit_command(kinds.ACCESS_SETTINGS_CHANGED, "console",
                           {"what": "owner password reset at the console", "sessions_ended": ended})
    print(f"dashboard password changed; {ended} open session(s) ended")
    print("new recovery codes (the old ones no longer work; print these and keep them away from the house):")
    for code in codes:
        print(f"  {code}")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """Write an encrypted backup; for an unsealed hub, the first time, print its key as a recovery sheet."""
    from hub.backup import KEY_FILE, backup, key_from_text, key_to_text

    with open_log(args) as log:
        report = backup(log, Path(args.to))
        log.append(Event(kinds.BACKUP_CREATED, "cli", Severity.INFO, {
            "snapshot": report.snapshot, "evidence_copied": report.evidence_copied,
            "evidence_already_there": report.evidence_present, "bytes": report.bytes_written,
            "sealed": report.sealed}))
        fingerprint = log.key.fingerprint
        key_path = log.data_dir / "keys" / KEY_FILE
    print(f"backup {report.snapshot} written to {args.to}: {report.evidence_copied} new evidence files, "
          f"{report.evidence_present} already there, {report.bytes_written} bytes")
    if report.sealed:
        print("It is sealed: it opens on a new Pi with your passphrase or your sealing recovery key "
              "(porchlight restore), and nothing on this card opens it.")
    elif report.new_key is not None or args.show_key:
        key = report.new_key or key_from_text(key_path.read_text())
        print("\nRECOVERY SHEET: write this down or print it, and keep it away from this device and from him.")
        print("Without it, nobody (you included) can open the backups.\n")
        print(f"    {key_to_text(key)}\n")
    if report.sealed or report.new_key is not None or args.show_key:
        print(f"Device key fingerprint (checks an export: verify.py --key ...):\n\n    {fingerprint}\n")
    return 0


def _backup_opener(args: argparse.Namespace, sealing: SealingKeys) -> Opener | None:
    """Her passphrase or the sealing recovery key, for a sealed backup; None (and why, printed) if neither opens it."""
    unlock: Callable[[str], Opener]
    if args.recovery_key:
        secret, unlock = args.recovery_key, sealing.unlock_with_recovery
    else:
        given = read_passphrase("Passphrase (or run with --recovery-key): ")
        if given is None:
            print(f"restore refused: this backup is sealed; give your passphrase ({PASSPHRASE_VARIABLE}, or on a "
                  "terminal) or --recovery-key with the sealing recovery key")
            return None
        secret, unlock = given, sealing.unlock
    try:
        return unlock(secret)
    except WrongPassphrase as err:
        print(f"restore refused: {err}")
        return None


def cmd_restore(args: argparse.Namespace) -> int:
    """Restore an encrypted backup into an empty data directory, then verify the chain."""
    from hub.backup import BackupError, backup_sealing, key_from_text, restore

    try:
        sealing = backup_sealing(Path(args.source), args.snapshot)
        key: bytes | Opener
        if sealing is not None:
            opener = _backup_opener(args, sealing)
            if opener is None:
                return 1
            key = opener
        elif args.key or args.key_file:
            key = key_from_text(Path(args.key_file).read_text() if args.key_file else args.key)
        else:
            print("restore refused: this backup opens with the backup key on your recovery sheet (--key)")
            return 1
        manifest = restore(Path(args.source), Path(args.to), key, args.snapshot)
    except (BackupError, SealingError) as err:
        print(f"restore refused: {err}")
        return 1
    log = IncidentLog(Path(args.to))
    try:
        result = log.verify()
        log.append(Event(kinds.BACKUP_RESTORED, "cli", Severity.NOTICE,
                         {"snapshot": manifest["created"], "ok": result.ok, "rows": result.rows}))
    finally:
        log.close()
    print(f"restored snapshot {manifest['created']} into {args.to}; {result.message()}")
    return 0 if result.ok else 1


def cmd_broker_setup(args: argparse.Namespace) -> int:
    """Write mosquitto's config, password file and ACL from the hub's config; print the new passwords once."""
    from hub.broker_lockdown import BrokerPaths, hand_out, lock_down, set_owners

    paths = BrokerPaths(mosquitto_dir=args.mosquitto_dir, hub_dir=args.hub_dir,
                        live_mosquitto_dir=args.mosquitto_dir)
    try:
        result = lock_down(config_from(args), paths, tls_port=8883 if args.tls else None, reset=tuple(args.reset))
    except ValueError as err:
        print(f"broker-setup refused: {err}")
        return 1
    except PermissionError as err:
        print(f"broker-setup needs to write {err.filename}: run it with sudo")
        return 1
    set_owners(paths)
    print(hand_out(result, paths))
    return 0


def cmd_satellite_pair(args: argparse.Namespace) -> int:
    """Give a satellite its own key: kept by the hub, and written to a file to carry to the satellite."""
    import os

    from hub.sources.satellite import pair

    config = config_from(args)
    if args.id not in config.satellites:
        print(f"satellites.{args.id}: no such satellite in the config (configured: "
              f"{', '.join(config.satellites) or 'none'}); add it first")
        return 1
    key = pair(config.data_dir, args.id)
    out = Path(args.out)
    with os.fdopen(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
        handle.write(key + "\n")
    print(f"satellite {args.id} paired. Copy {out} to the satellite as /etc/porchlight/satellite.key (mode 0600), "
          "set satellite.key: file:/etc/porchlight/satellite.key in its config, restart it, then delete this copy.")
    return 0


def cmd_satellite(args: argparse.Namespace) -> int:
    """Run as a satellite Pi until SIGTERM: forward this Pi's sensor events to the main hub."""
    from hub.satellite import Satellite

    config = config_from(args)
    satellite = Satellite(config)
    return _serve(satellite.start, satellite.stop, f"satellite {satellite.id}: forwarding {len(config.sensors)} sensors",
                  satellite.healthy)


def cmd_doctor(args: argparse.Namespace) -> int:
    """Check the hub's dependencies; print what to fix for each failure; exit 1 if any failed."""
    from hub.doctor import run_checks

    results = run_checks(config_from(args))
    for check in results:
        print(f"{'ok  ' if check.ok else 'FAIL'}  {check.name}: {check.message}")
        if not check.ok and check.fix:
            print(f"      fix: {check.fix}")
    return 0 if all(check.ok for check in results) else 1


def cmd_config_keys(args: argparse.Namespace) -> int:
    """Print every config key path (used to keep the example file complete)."""
    for path in field_paths():
        print(path)
    return 0


# --- argument parsing ---------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="FILE", help="config file (default: $PORCHLIGHT_CONFIG or /etc)")
    common.add_argument("--data", metavar="DIR", help="data directory (overrides data_dir)")
    common.add_argument("-v", "--verbose", action="store_true", help="debug logging")

    parser = argparse.ArgumentParser(prog="porchlight", description="Porchlight home-security hub")
    parser.add_argument("--version", action="version", version=f"porchlight {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", parents=[common], help="run the hub until stopped")
    run.add_argument("--simulate", action="store_true", help="simulate doors opening (demo, mock pins)")
    run.set_defaults(func=cmd_run)

    check = sub.add_parser("check-config", help="validate a config file")
    check.add_argument("file")
    check.add_argument("-v", "--verbose", action="store_true")
    check.set_defaults(func=cmd_check_config)

    keys = sub.add_parser("config-keys", help="list every config key")
    keys.add_argument("-v", "--verbose", action="store_true")
    keys.set_defaults(func=cmd_config_keys)

    arm = sub.add_parser("arm", parents=[common], help="set the arm mode")
    arm.add_argument("mode", choices=MODES)
    arm.add_argument("--pin", help="the PIN (needed to disarm once arming.pin is set)")
    arm.add_argument("--bypass", action="store_true", help="arm even with doors or windows open (for this arming)")
    arm.set_defaults(func=cmd_arm)

    safe = sub.add_parser("safe-now", parents=[common], help="I am safe: show what a duress disarm caused again")
    safe.set_defaults(func=cmd_safe_now)
    panic = sub.add_parser("panic", parents=[common], help="alert every contact now")
    panic.set_defaults(func=cmd_panic)

    checkin = sub.add_parser("checkin", help="check-in timers").add_subparsers(dest="checkin_command", required=True)
    start = checkin.add_parser("start", parents=[common], help="start a check-in timer")
    start.add_argument("--minutes", type=float, required=True)
    start.set_defaults(func=cmd_checkin_start)
    daily = checkin.add_parser("daily", parents=[common], help="expect a check-in every day by a time")
    daily.add_argument("--by", help="local time, e.g. 22:00")
    daily.add_argument("--off", action="store_true", help="stop the daily check-in")
    daily.set_defaults(func=cmd_checkin_daily)
    done = checkin.add_parser("done", parents=[common], help="check in")
    done.add_argument("--pin")
    done.set_defaults(func=cmd_checkin_done)

    pairing = sub.add_parser("satellite-pair", parents=[common], help="give a satellite Pi its own signing key")
    pairing.add_argument("id", help="the satellite's id in the satellites section")
    pairing.add_argument("--out", required=True, help="where to write the key to carry to the satellite")
    pairing.set_defaults(func=cmd_satellite_pair)
    init = sub.add_parser("init", parents=[common],
                          help="seal the data directory: written without the passphrase, read only with it")
    init.add_argument("--seal-existing", action="store_true", help="seal a data directory that already has a log")
    init.set_defaults(func=cmd_init)
    lock = sub.add_parser("broker-setup", parents=[common],
                          help="lock the mosquitto broker down: a password per client and ACLs (run with sudo)")
    lock.add_argument("--tls", action="store_true", help="LAN clients use TLS on port 8883; plain 1883 is local only")
    lock.add_argument("--reset", action="append", default=[], metavar="ACCOUNT", help="a new password for it")
    lock.add_argument("--mosquitto-dir", default="/etc/mosquitto", type=Path)
    lock.add_argument("--hub-dir", default="/etc/porchlight/mqtt", type=Path, help="where the hub's password goes")
    lock.set_defaults(func=cmd_broker_setup)
    sat = sub.add_parser("satellite", parents=[common], help="run as a satellite Pi of a main hub")
    sat.set_defaults(func=cmd_satellite)

    doctor = sub.add_parser("doctor", parents=[common], help="check what the hub depends on")
    doctor.set_defaults(func=cmd_doctor)

    exp = sub.add_parser("export", parents=[common], help="make the court/advocate ZIP (verify.py inside)")
    exp.add_argument("--from", dest="start", type=date.fromisoformat, metavar="YYYY-MM-DD", help="first day")
    exp.add_argument("--to", dest="end", type=date.fromisoformat, metavar="YYYY-MM-DD", help="last day")
    exp.add_argument("--redacted", action="store_true", help="leave out addresses, witnesses, her attachments")
    exp.add_argument("--out", required=True, metavar="DIR", help="where the ZIP goes")
    exp.set_defaults(func=cmd_export)

    pw = sub.add_parser("dashboard-password", parents=[common],
                        help="at the Pi's console: set a new dashboard password, end every session")
    pw.add_argument("--stdin", action="store_true", help="read the new password from standard input")
    pw.set_defaults(func=cmd_dashboard_password)

    back = sub.add_parser("backup", parents=[common], help="write an encrypted backup")
    back.add_argument("--to", required=True, metavar="DIR", help="a USB disk, a network share...")
    back.add_argument("--show-key", action="store_true", help="print the recovery sheet again")
    back.set_defaults(func=cmd_backup)

    rest = sub.add_parser("restore", help="restore an encrypted backup into an empty folder")
    rest.add_argument("--from", dest="source", required=True, metavar="DIR")
    rest.add_argument("--to", required=True, metavar="DIR", help="an empty data directory")
    key_given = rest.add_mutually_exclusive_group()
    key_given.add_argument("--key", help="an unsealed hub's backup: the backup key from its recovery sheet")
    key_given.add_argument("--key-file", metavar="FILE")
    key_given.add_argument("--recovery-key", help="a sealed hub's backup: the sealing recovery key "
                           f"(else your passphrase, from {PASSPHRASE_VARIABLE} or the terminal)")
    rest.add_argument("--snapshot", help="which snapshot (default: the newest)")
    rest.add_argument("-v", "--verbose", action="store_true")
    rest.set_defaults(func=cmd_restore)

    alert = sub.add_parser("alert", help="alerts").add_subparsers(dest="alert_command", required=True)
    test = alert.add_parser("test", parents=[common], help="send a test message to a contact")
    test.add_argument("contact")
    test.set_defaults(func=cmd_alert_test)
    ack = alert.add_parser("ack", parents=[common], help="record an acknowledgement link a contact used")
    ack.add_argument("link", help="the link, or just its token")
    ack.set_defaults(func=cmd_alert_ack)

    from hub.cli_vision import add_parsers  # registers enroll, match, scan, review (vision loads lazily)

    add_parsers(sub, common)

    log = sub.add_parser("log", help="the incident log").add_subparsers(dest="log_command", required=True)
    add = log.add_parser("add", parents=[common], help="add a manual incident entry")
    add.add_argument("--text", required=True, help="what happened, in your words")
    add.add_argument("--category", choices=kinds.CATEGORIES)
    add.add_argument("--location")
    add.add_argument("--tag", action="append", help="e.g. drive-by, loitering (repeatable)")
    add.add_argument("--started", type=_parse_time, help="when it started (ISO time; default now)")
    add.add_argument("--ended", type=_parse_time)
    add.add_argument("--witness", action="append", help="a witness's name (repeatable)")
    add.add_argument("--plate", help="vehicle plate")
    add.add_argument("--vehicle", help="vehicle make and model")
    add.add_argument("--police-report", help="police report number")
    add.add_argument("--officer", help="officer name and badge")
    add.add_argument("--order", help="protective-order reference")
    add.add_argument("--attach", action="append", metavar="FILE", help="attach a file (repeatable)")
    add.set_defaults(func=cmd_log_add)

    correct = log.add_parser("correct", parents=[common], help="add a correction to an earlier row")
    correct.add_argument("seq", type=int)
    correct.add_argument("--text", required=True)
    correct.set_defaults(func=cmd_log_correct)

    lst = log.add_parser("list", parents=[common], help="list log rows")
    lst.add_argument("--json", action="store_true", help="one JSON object per line")
    lst.add_argument("--since", type=_parse_time, help="only rows at or after this ISO time")
    lst.add_argument("--kind", help="only this kind (door.opened) or family (door.*)")
    lst.add_argument("--source", help="only this source id")
    lst.add_argument("--limit", type=int)
    lst.set_defaults(func=cmd_log_list)

    verify = log.add_parser("verify", parents=[common], help="verify the chain and evidence")
    verify.add_argument("--checkpoint", metavar="FILE", help="a checkpoint exported earlier")
    verify.add_argument("--read-only", action="store_true", help="do not record this run in the log")
    verify.set_defaults(func=cmd_log_verify)

    point = log.add_parser("checkpoint", parents=[common], help="sign and export the chain head")
    point.add_argument("--out", required=True, metavar="FILE")
    point.set_defaults(func=cmd_log_checkpoint)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``porchlight`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if getattr(args, "verbose", False) else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return int(args.func(args))
    except ConfigError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        return 1
    except PorchlightError as err:
        print(f"porchlight: {err}", file=sys.stderr)
        return 1
