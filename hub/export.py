"""The court and advocate export: one ZIP anybody can check with its own verify.py."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import zipfile
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

from hub.chain import CHECKPOINT_KIND, COMMITTED_VERSIONS, PRIVATE_FIELDS, RawRow, canonical_json, hashed_form
from hub.config import Config
from hub.device_cert import device_certificates
from hub.errors import LogError, PorchlightError
from hub.events import LoggedEvent
from hub.filetypes import PHOTO_TYPES, sniff
from hub.files import fsync_dir
from hub.incident import category_of, describe, follows_up, incident_id, is_clip_of
from hub.keys import fingerprint, load_public_key_b64
from hub.log import IncidentLog, logged_event
from hub.report import ReportItem, build_report
from hub.report_signature import sign_report
from hub.timestamps import Timestamper
from hub import kinds

logger = logging.getLogger(__name__)

VERIFY_SOURCE = Path(__file__).with_name("export_verify.py")
DISCOVERY_WARNING = ("Anything you share may reach him: in a court case, the other side can usually ask for "
                     "copies of evidence (discovery). Share the redacted copy where the full one is not needed, "
                     "and talk to your advocate or attorney before sharing.")

Progress = Callable[[str, float], None]


class ExportError(PorchlightError):
    """An export that could not be made, and why."""


@dataclass(frozen=True)
class ExportRequest:
    """What to export: the chosen incident rows, and the range they were chosen from (for the title)."""

    seqs: tuple[int, ...]
    start: date | None = None
    end: date | None = None
    redacted: bool = False


@dataclass
class ExportResult:
    """The finished ZIP."""

    path: Path
    sha256: str
    files: int
    rows: int
    incidents: int
    evidence_files: int
    skipped: list[dict[str, Any]] = field(default_factory=list)  # {sha256, row, why}: files left out, and why
    report_signature: str = ""  # how report.pdf was signed (or why it was not)


def _quiet(stage: str, fraction: float) -> None:
    return None


class _Zip:
    """Writes files under one top folder and remembers each file's SHA-256 for SHA256SUMS."""

    def __init__(self, handle: Any, top: str) -> None:
        self.archive = zipfile.ZipFile(handle, "w")
        self.top = top
        self.sums: dict[str, str] = {}

    def add(self, name: str, data: bytes, compress: bool = True) -> None:
        info = zipfile.ZipInfo(f"{self.top}/{name}", date_time=datetime.now().timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        self.archive.writestr(info, data)
        self.sums[name] = hashlib.sha256(data).hexdigest()


def incidents_between(log: IncidentLog, start: date | None, end: date | None,
                      limit: int | None = None) -> list[LoggedEvent]:
    """Incidents from the first day to the last (local days, both included; None: no limit), oldest first."""
    since = datetime.combine(start, time.min).astimezone() if start else None
    return [e for e in log.events(since=since, kinds=list(kinds.INCIDENT_KINDS), limit=limit)
            if end is None or e.at.astimezone().date() <= end]


def build_export(log: IncidentLog, config: Config, request: ExportRequest, out_dir: Path,
                 progress: Progress = _quiet) -> ExportResult:
    """Verify the log, sign a checkpoint, and write the export ZIP into ``out_dir``."""
    if not request.seqs:
        raise ExportError("choose at least one incident to export")
    progress("checking the whole log and its evidence", 0.02)
    verified = log.verify()
    if not verified.ok:
        raise ExportError(f"the log does not verify ({verified.message()}); an export would not either. "
                          "Run porchlight log verify and talk to whoever helps you with the hub.")
    progress("signing a fresh checkpoint", 0.1)
    for attempt in range(5):
        try:
            log.checkpoint_if_new_rows()
            break
        except LogError:
            # The running hub wrote a row at the same moment; the next try signs the new head.
            if attempt == 4:
                raise ExportError("the log kept changing while a checkpoint was signed; try again") from None
    if config.timestamps.authorities:
        progress("asking the time-stamping authority to timestamp it", 0.12)
        Timestamper(log, config.timestamps).tick()  # offline: one try per authority, then on without
    chosen = [e for seq in sorted(set(request.seqs)) if (e := log.event(seq)) is not None
              and e.kind in kinds.INCIDENT_KINDS]
    if not chosen:
        raise ExportError("none of the chosen rows is an incident")
    chosen_seqs = {e.seq for e in chosen}
    ids = {incident_id(e) for e in chosen} - {None}
    # The protective order is part of every export, so the segment reaches back to where it was recorded.
    orders = [e.seq for e in log.events(kind=kinds.ORDER_RECORDED)]
    first = min([chosen[0].seq, *orders])
    # A sealed row is exported opened (she chose to share it): an ordinary committed row, same hash.
    rows = [replace(r, content=log.opened_content(r)) for r in log.raw_rows(after_seq=first - 1)]
    events = {r.seq: logged_event(r.content, r.hash) for r in rows}
    selected = set(chosen_seqs) | set(orders)
    for seq, event in events.items():
        if follows_up(event) in chosen_seqs or any(is_clip_of(event, i) for i in ids):
            selected.add(seq)
    # A viewable copy travels with its original (a JPEG beside an iPhone's HEIC): not every reader opens HEIC.
    originals = {sha for seq in selected for sha in events[seq].evidence}
    for seq, event in events.items():
        if event.kind == kinds.EVIDENCE_COPY and event.detail.get("parent") in originals:
            selected.add(seq)
    # The chain segment ends at the first signed checkpoint after everything exported (corrections and
    # clips may come long after the incident itself).
    ends = [r.seq for r in rows if r.kind == CHECKPOINT_KIND and r.seq > max(selected)]
    if not ends:
        raise ExportError("no signed checkpoint after the chosen incidents; try again in a moment")
    rows = [r for r in rows if r.seq <= ends[0]]
    now = datetime.now(timezone.utc)
    top = f"porchlight-export-{now.astimezone():%Y%m%d-%H%M%S}" + ("-redacted" if request.redacted else "")
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    final = out_dir / f"{top}.zip"
    tmp = final.with_suffix(".zip.tmp")
    try:
        with tmp.open("wb") as handle:
            archive = _Zip(handle, top)
            try:
                result = _write(archive, log, config, request, rows, events, sorted(selected), chosen, progress)
            finally:
                archive.archive.close()
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)  # no half-written export is left behind
        raise
    os.replace(tmp, final)
    fsync_dir(out_dir)
    digest = hashlib.sha256(final.read_bytes()).hexdigest()
    progress("done", 1.0)
    result.path, result.sha256 = final, digest
    return result


def _write(archive: _Zip, log: IncidentLog, config: Config, request: ExportRequest, rows: list[RawRow],
           events: dict[int, LoggedEvent], selected: list[int], chosen: list[LoggedEvent],
           progress: Progress) -> ExportResult:
    result = ExportResult(Path(), "", 0, len(rows), len(chosen), 0)
    progress("copying the original evidence files", 0.15)
    manifest: list[dict[str, Any]] = []
    files_by_sha: dict[str, str] = {}
    images: dict[str, bytes] = {}  # kept for the report's thumbnails, so no file is read twice
    wanted = [(seq, sha) for seq in selected for sha in events[seq].evidence]
    for done, (seq, sha) in enumerate(wanted, 1):
        event = events[seq]
        if request.redacted and event.kind in (kinds.INCIDENT_REPORT, kinds.ORDER_RECORDED):
            result.skipped.append({"sha256": sha, "row": seq, "why": "her own file, left out of the redacted copy"})
            continue
        if sha in files_by_sha:
            continue
        if not log.evidence.exists(sha):
            result.skipped.append({"sha256": sha, "row": seq, "why": "removed earlier; see its tombstone row"})
            continue
        data = log.evidence.read(sha)
        kind = sniff(data[:4096])
        name = f"evidence/{sha}.{kind.ext if kind else 'bin'}"
        archive.add(name, data, compress=kind is None or kind.shown_as == "document")
        files_by_sha[sha] = name
        if kind in PHOTO_TYPES:
            images[sha] = data
        manifest.append({"file": name, "sha256": sha, "size": len(data), "capture_time": event.at.isoformat(),
                         "recorded_time": event.recorded_at.isoformat(), "source": event.source, "row": seq,
                         "kind": event.kind, "type": kind.mime.split(";")[0] if kind else "unknown"})
        progress(f"copying evidence {done} of {len(wanted)}", 0.15 + 0.45 * done / len(wanted))
    result.evidence_files = len(manifest)
    progress("writing the log slice and its chain", 0.62)
    chain_lines = [_chain_line(row, row.seq in selected, request.redacted) for row in rows]
    archive.add("log/chain.jsonl", ("\n".join(chain_lines) + "\n").encode("utf-8"))
    archive.add("log/selected.json", json.dumps(selected).encode("utf-8"))
    archive.add("log/left-out.json", json.dumps(result.skipped, indent=1).encode("utf-8"))
    checkpoints = [json.loads(r.content)["detail"] for r in rows if r.kind == CHECKPOINT_KIND]
    archive.add("log/checkpoints.json", json.dumps(checkpoints, indent=1).encode("utf-8"))
    key = log.key.public_b64
    archive.add("device-public-key.txt", f"{key}\n".encode("ascii"))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["file", "sha256", "size", "capture_time", "recorded_time", "source",
                                             "row", "kind", "type"], lineterminator="\n")
    writer.writeheader()
    writer.writerows([{k: _cell(v) for k, v in line.items()} for line in manifest])
    archive.add("manifest.csv", out.getvalue().encode("utf-8"))
    progress("laying out the PDF report", 0.7)
    items = _report_items(chosen, events, files_by_sha, images, request.redacted)
    span = _span(request, chosen)
    key_print = fingerprint(load_public_key_b64(key))
    intro = [f"Device: {config.device_name}. Device key fingerprint: {key_print}.",
             f"Incidents: {len(chosen)}, {span}. Made {datetime.now().astimezone():%d %B %Y %H:%M %Z}.",
             "Times are local to the hub; the log also keeps UTC, the zone offset and whether the clock was "
             "synchronised. Each row's hash is printed so it can be matched to log/chain.jsonl.",
             ("REDACTED COPY: addresses, witnesses, names, her later corrections and notes, and other personal "
             "details are left out (the description of each incident is shown as she wrote it); her attachments "
              "are listed by hash only. " if request.redacted else "") + DISCOVERY_WARNING]
    progress("signing the PDF report", 0.8)
    pdf = build_report("Stalking incident log", intro, items)
    try:
        certificates = device_certificates(log.key.keys_dir, log.key.public, config.device_name)
        pdf, result.report_signature = sign_report(pdf, log.key.private_pem(), certificates, config.timestamps)
        archive.add("device-certificate.pem", certificates.chain_pem)
    except Exception as err:  # the export must not fail for want of a PDF signature: it says so instead
        logger.exception("report.pdf could not be signed")
        result.report_signature = f"NOT signed ({type(err).__name__}: {err})"
    archive.add("report.pdf", pdf, compress=False)
    _add_timestamps(archive, log, config, rows)
    progress("writing the README, the certification template and verify.py", 0.9)
    archive.add("README.txt", _readme(config, chosen, span, key_print, request.redacted, result.skipped).encode())
    archive.add("certification.txt", _certification(config, manifest, span, key_print).encode("utf-8"))
    archive.add("verify.py", VERIFY_SOURCE.read_bytes())
    sums = "".join(f"{digest}  {name}\n" for name, digest in sorted(archive.sums.items())).encode("utf-8")
    archive.add("SHA256SUMS", sums)
    archive.add("SHA256SUMS.sig", (log.key.sign(sums) + "\n").encode("ascii"))
    result.files = len(archive.sums)
    return result


def _add_timestamps(archive: _Zip, log: IncidentLog, config: Config, rows: list[RawRow]) -> None:
    """Every token the log holds for the exported checkpoints, and the authorities' roots to check them."""
    wanted = {r.seq for r in rows if r.kind == CHECKPOINT_KIND}
    checkable = config.timestamps.checkable()
    rooted = {a.url for a in checkable}
    # root_given: whether verify.py can hold the token against a root this export carries.
    tokens = [{"checkpoint_row": e.detail.get("checkpoint"), "head_seq": e.detail.get("head_seq"),
               "authority": e.detail.get("authority"), "token": e.detail.get("token"),
               "root_given": e.detail.get("authority") in rooted}
              for e in log.events(kind=kinds.LOG_TIMESTAMP) if e.detail.get("checkpoint") in wanted]
    archive.add("log/timestamps.json", json.dumps(tokens, indent=1).encode("utf-8"))
    roots = b"".join(a.root.read_bytes().rstrip(b"\n") + b"\n" for a in checkable if a.root is not None)
    if roots:
        archive.add("log/timestamp-authority-roots.pem", roots)


def _cell(value: Any) -> Any:
    # A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(...) from his text).
    return f"'{value}" if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _chain_line(row: RawRow, selected: bool, redacted: bool) -> str:
    link = {"seq": row.seq, "prev_hash": row.prev_hash, "hash": row.hash}
    if not redacted or row.kind == CHECKPOINT_KIND:
        return json.dumps({**link, "content": row.content}, ensure_ascii=False)
    if not selected:
        return json.dumps({**link, "omitted": True})
    content = json.loads(row.content)
    private = sorted(k for k in content.get("detail", {}) if k in PRIVATE_FIELDS)
    if not private:
        return json.dumps({**link, "content": row.content}, ensure_ascii=False)
    if content.get("v") in COMMITTED_VERSIONS and set(private) <= set(content.get("salts", {})):
        # What the row's hash covers: each private field as its salted commitment. The salts stay on
        # the hub, so the copy verifies row by row and no value can be tried against it.
        return json.dumps({**link, "committed": canonical_json(hashed_form(content)), "removed": private},
                          ensure_ascii=False)
    # A row written before commitments hashes its private fields as they are: any of its content shown
    # beside its hash would let them be guessed, so the chain carries only its link.
    return json.dumps({**link, "omitted": True, "withheld": private})


def _span(request: ExportRequest, chosen: list[LoggedEvent]) -> str:
    start = request.start or chosen[0].at.astimezone().date()
    end = request.end or chosen[-1].at.astimezone().date()
    return f"from {start:%d %B %Y} to {end:%d %B %Y}"


def _report_items(chosen: list[LoggedEvent], events: dict[int, LoggedEvent], files: dict[str, str],
                  images: dict[str, bytes], redacted: bool) -> list[ReportItem]:
    follow: dict[int, list[str]] = {}
    for event in events.values():
        if (target := follows_up(event)) is not None:
            text = event.detail.get("text") or event.detail.get("note") or event.kind
            if redacted and ("text" in event.detail or "note" in event.detail):
                text = f"{event.kind} (its words are in the full copy only)"
            follow.setdefault(target, []).append(f"{event.at.astimezone():%d %b %Y %H:%M} {text}")
    items = []
    for event in chosen:
        d = {k: v for k, v in event.detail.items() if not (redacted and k in PRIVATE_FIELDS)}
        witnesses = "; ".join(f"{w.get('name')}" + (f" ({w['contact']})" if w.get("contact") else "")
                              for w in d.get("witnesses", []) if isinstance(w, dict))
        police = ""
        if d.get("police_called") is not None:
            police = "Called" if d["police_called"] else "Not called"
        for label, key in (("Officer", "officer_name"), ("Badge", "officer_badge"),
                           ("Report no.", "police_report_number"), ("Order", "protective_order_ref")):
            if d.get(key):
                police += f"\n{label}: {d[key]}"
        pictures, others = [], []
        for sha in event.evidence:
            name = files.get(sha)
            if name is None:
                others.append(f"Evidence {sha} (not in this copy)")
            elif sha in images:
                pictures.append((sha, images[sha]))
            else:
                others.append(f"Evidence {name}")
        for clip in (c for c in events.values() if is_clip_of(c, incident_id(event))):
            others += [f"Clip (row {clip.seq}): {files.get(sha, sha + ' (not in this copy)')}" for sha in clip.evidence]
        items.append(ReportItem(
            seq=event.seq, when=f"{event.at.astimezone():%a %d %b %Y %H:%M}", kind=event.kind,
            category=category_of(event), description=describe(event) if event.kind != kinds.INCIDENT_REPORT
            else str(d.get("description", "")),
            location="" if redacted else str(d.get("location") or event.source),
            witnesses="" if redacted else witnesses, police=police,
            recorded_by="her" if event.kind == kinds.INCIDENT_REPORT else "the hub (automatic)",
            row_hash=event.hash, follow_ups=follow.get(event.seq, []), images=pictures, other_files=others))
    return items


def _readme(config: Config, chosen: Iterable[LoggedEvent], span: str, key_print: str, redacted: bool,
            skipped: list[dict[str, Any]]) -> str:
    count = len(list(chosen))
    left_out = "".join(f"  - {s['sha256']} (row {s['row']}): {s['why']}\n" for s in skipped) or "  (none)\n"
    kind = "a REDACTED copy of " if redacted else ""
    return f"""This folder is {kind}an evidence export from a Porchlight home-security hub ({config.device_name}).
It covers {count} incident(s) {span}.

WARNING: {DISCOVERY_WARNING}

What is in it
  report.pdf             The incidents laid out like a stalking incident log, with thumbnails. It is
                         signed with the hub's device certificate (a PDF reader shows the signature and
                         whether the file changed since), timestamped when an authority was reachable.
  device-certificate.pem The device certificate and the root it was issued under. No public authority
                         vouches for a home hub, so public tools call this signer "unknown": compare the
                         fingerprint in the certificate's subject (serialNumber) with the one below.
  evidence/              The original photos, clips and files, exactly as recorded, named by SHA-256.
                         Each photo and clip the cameras took carries Content Credentials (C2PA): what
                         made it, when, for which event, bound to its bytes and signed by the device
                         certificate. Her own uploads are kept as she gave them, without credentials.
                         A phone's HEIC photo or AMR voicemail also has a viewable copy the hub
                         made (JPEG, WAV, MP4): its own file, on a log row that names the original's
                         SHA-256 as its "parent". The original is the evidence; the copy is for viewing.
  manifest.csv           Each evidence file: its SHA-256, size, when it was captured, which camera or
                         person it came from, and the log row that cites it.
  log/chain.jsonl        The log rows from the first chosen incident to a signed checkpoint, each with
                         the hash of the row before it, so that removing or changing a row shows.
                         A redacted copy shows each private detail as a salted commitment: the row
                         still matches its hash, and the detail cannot be worked out from it.
  log/selected.json      Which of those rows are the chosen incidents and what was added to them later.
  log/left-out.json      Evidence files the hub left out on purpose, and why.
  log/checkpoints.json   The hub's signed statements of the log's state.
  log/timestamps.json    RFC 3161 tokens from independent time-stamping authorities, each covering one
                         checkpoint: that state of the log existed no later than the authority's time.
                         (log/timestamp-authority-roots.pem: the authorities' root certificates.)
  device-public-key.txt  The hub's public key (fingerprint {key_print}).
  certification.txt      A template for a records custodian or the owner to certify the files, listing
                         every hash. An attorney should review it before it is signed.
  verify.py              Checks all of the above (see below).
  SHA256SUMS(.sig)       The SHA-256 of every file, signed with the hub's key.

How to check it
  1. Install Python 3 and the "cryptography" package:   python3 -m pip install cryptography
  2. In this folder run:          python3 verify.py --key FINGERPRINT
     where FINGERPRINT is the hub's device key fingerprint as received from the hub earlier and
     kept apart from this export (the daily checkpoint message to a contact, or a backup's
     recovery sheet). This copy says it is {key_print}; a changed export re-signed with
     another key would say so too, which is why only a fingerprint from elsewhere proves it.
  3. It prints OK, or FAIL with the name of every file (and log row) that is not as the hub made it;
     without --key it prints UNCONFIRMED (intact, but not tied to any hub) and exits with status 3.
  4. The verify.py in this folder travels with the export and could be replaced along with it. A
     court's expert should run a copy obtained apart from it (Porchlight's hub/export_verify.py)
     on the ZIP:   python3 /path/to/own/verify.py --key FINGERPRINT this-export.zip
  5. With three more packages it also checks the standards' parts, each with that standard's own
     library:   python3 -m pip install c2pa-python rfc3161-client pyhanko
     (the Content Credentials of every photo and clip, each authority's timestamp, and report.pdf's
     signature). Without them it says NOT CHECKED for each, and the checks above still hold.

Files not included
{left_out}
Times are recorded in UTC with the hub's zone offset, a monotonic clock reading, the boot id and
whether the clock was synchronised; the report shows local time.
"""


def _certification(config: Config, manifest: list[dict[str, Any]], span: str, key_print: str) -> str:
    lines = "".join(f"  {m['sha256']}  {m['size']:>10} bytes  {m['capture_time'][:19]}  {m['file']}\n"
                    for m in manifest) or "  (no evidence files)\n"
    return f"""CERTIFICATION OF ELECTRONIC RECORDS (TEMPLATE: have an attorney review it before use)

I, ______________________________, declare:

1. I am the owner and operator of the Porchlight home-security device named "{config.device_name}",
   and I am familiar with how it records events.
2. The device records events automatically at or near the time they occur, as part of its regular
   operation, into an append-only log in which each entry carries the cryptographic hash of the
   entry before it. The device signs the state of the log with its own key
   (public key fingerprint {key_print}).
3. The files listed below were exported from the device on ______________ and are true copies of the
   records it made {span}. Each file is identified by its SHA-256 hash value:

{lines}
4. The accompanying verify.py program recomputes these hash values and checks the log chain and the
   device's signatures.

I declare under penalty of perjury that the foregoing is true and correct.

Date: ______________      Place: ______________________      Signature: ______________________
"""
