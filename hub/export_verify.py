#!/usr/bin/env python3
"""Check a Porchlight evidence export. Needs Python 3.9+ and the "cryptography" package, nothing else.
Three more are used when installed, each for one standard: c2pa-python (the Content Credentials on
photos and clips), rfc3161-client (the authorities' timestamps), pyhanko (report.pdf's signature).

    python3 -m pip install cryptography            (and: c2pa-python rfc3161-client pyhanko)
    python3 verify.py            (inside the unzipped export folder)
    python3 verify.py path/to/export-folder-or-zip
    python3 verify.py --key ab12:cd34:...   (the device key fingerprint you received from the hub earlier)

It checks that no file was changed since the hub made the export, that the log rows form an
unbroken hash chain, that the chain ends in a checkpoint signed by the hub's device key, and that
every evidence file is the one the log rows name. Any problem names the file (and row) at fault.
With --key it also checks that the export was signed by the hub whose fingerprint you were given
earlier (a daily checkpoint message, a backup's recovery sheet): an export re-signed with another
key verifies against itself, so only a fingerprint from elsewhere proves where it came from.
Exit status: 0 when everything checks out against --key, 1 when anything does not, 3 when the export
is intact but no --key was given, so nothing ties it to a hub.

Run a copy of this checker obtained apart from the export (the one in the folder travels with it
and could have been replaced along with everything else).
"""

from __future__ import annotations

import os
import sys

# Python looks for modules in the script's own folder first: a "cryptography" folder slipped into the
# export would then be the code that checks the signatures. Only the installed libraries are used.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if p not in ("", ".", _HERE) and os.path.abspath(p) != _HERE]

import base64  # noqa: E402
import csv  # noqa: E402
import hashlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import zipfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Dict, List, Optional  # noqa: E402

GENESIS = "0" * 64
CHECKPOINT_KIND = "log.checkpoint"
COMMITTED_VERSIONS = (2, 3)  # rows with salted commitments (3: written sealed, exported opened)
SUMS = "SHA256SUMS"
SUMS_SIG = "SHA256SUMS.sig"
TOP = re.compile(r"porchlight-export-\d{8}-\d{6}(-redacted)?")
# An entry that unpacks to far more than it holds is a ZIP bomb, not a file the hub wrote (it stores
# photos and clips as they are, and compresses text and documents).
MAX_RATIO, RATIO_FROM = 200, 10 * 1024 * 1024


def shown(text: str) -> str:
    """Text from the export as it may be printed: no control characters to rewrite the screen."""
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)


class Folder:
    """The export's files, from an unzipped folder or straight from the ZIP."""

    def __init__(self, where: Path) -> None:
        self.files: Dict[str, bytes] = {}
        self.problems: List[str] = []
        if where.is_file():
            with zipfile.ZipFile(where) as archive:
                entries = archive.infolist()
                if entries and min(e.header_offset for e in entries) != 0:
                    self.problems.append(f"{where.name}: other data comes before the export's first file")
                tops = {e.filename.split("/", 1)[0] for e in entries}
                if len(tops) != 1 or not TOP.fullmatch(next(iter(tops), "")):
                    self.problems.append(f"{where.name}: files outside the one folder the hub writes "
                                         f"({', '.join(sorted(shown(t) for t in tops))})")
                for info in entries:
                    name = _inner(info.filename)
                    if info.is_dir():
                        if info.file_size:
                            self.problems.append(f"{shown(name)}: a folder entry that carries data")
                        continue
                    if name in self.files:
                        # Unzip tools disagree on which copy wins, so a second entry could show another file.
                        self.problems.append(f"{shown(name)}: appears twice in the ZIP (a second copy was slipped in)")
                    elif (name.startswith("/") or ".." in info.filename.split("/") or "\\" in info.filename
                          or not name.isprintable()):
                        self.problems.append(f"{shown(name)}: not a name the hub writes (it points outside the export)")
                    elif info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                        self.problems.append(f"{shown(name)}: unpacks to {info.file_size} bytes from "
                                             f"{info.compress_size} (a ZIP bomb, not a file the hub writes)")
                    else:
                        self.files[name] = archive.read(info)
        else:
            for path in sorted(where.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    self.files[path.relative_to(where).as_posix()] = path.read_bytes()

    def get(self, name: str) -> Optional[bytes]:
        return self.files.get(name)


def _inner(name: str) -> str:
    # The ZIP keeps everything under one top folder; names are reported without it.
    parts = name.split("/", 1)
    return parts[1] if len(parts) == 2 else parts[0]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def entry_hash(prev_hash: str, content: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{content}".encode("utf-8")).hexdigest()


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def commitment(salt: str, value: Any) -> str:
    return hashlib.sha256(f"porchlight-commit-v1\n{salt}\n{canonical_json(value)}".encode("utf-8")).hexdigest()


def hashed_content(content: str) -> str:
    """What a row's hash covers: its content, or for a row with private fields, those as salted commitments."""
    data = json.loads(content)
    if data.get("v") not in COMMITTED_VERSIONS:
        return content
    hashed = {k: v for k, v in data.items() if k not in ("salts", "sealed")}
    salts = data.get("salts")
    if isinstance(salts, dict):
        detail = dict(data.get("detail") or {})
        for name, salt in salts.items():
            if name in detail:
                detail[name] = {"committed": commitment(str(salt), detail[name])}
        hashed["detail"] = detail
    return canonical_json(hashed)


def checkpoint_message(head_seq: int, head_hash: str, at: str) -> bytes:
    return f"porchlight-checkpoint-v1\n{head_seq}\n{head_hash}\n{at}".encode("utf-8")


def signature_ok(public_b64: str, signature_b64: str, message: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_b64))
        key.verify(base64.b64decode(signature_b64), message)
        return True
    except (InvalidSignature, ValueError):
        return False


class Report:
    def __init__(self) -> None:
        self.problems: List[str] = []
        self.notes: List[str] = []
        self.redacted = 0

    def fail(self, where: str, what: str) -> None:
        self.problems.append(shown(f"{where}: {what}"))


def check_sums(folder: Folder, key_b64: str, report: Report) -> None:
    """Every file against SHA256SUMS, and SHA256SUMS against the device's signature."""
    sums = folder.get(SUMS)
    sig = folder.get(SUMS_SIG)
    if sums is None:
        report.fail(SUMS, "missing: the list of file hashes is gone")
        return
    if sig is None or not signature_ok(key_b64, sig.decode("ascii", "replace").strip(), sums):
        # Which of the two was changed cannot be told apart; either way the list is not the hub's.
        report.fail(f"{SUMS_SIG} and {SUMS}", "the hub's signature does not match the list of file hashes: "
                    "one of these two files was changed, so no file in this export can be relied on")
    listed: Dict[str, str] = {}
    for line in sums.decode("utf-8", "replace").splitlines():
        if line.strip():
            digest, _, name = line.partition("  ")
            listed[name] = digest
    for name, digest in listed.items():
        data = folder.get(name)
        if data is None:
            report.fail(name, "missing from the export")
        elif sha256(data) != digest:
            report.fail(name, "changed since the export was made (its SHA-256 no longer matches SHA256SUMS)")
    for name in folder.files:
        if name not in listed and name not in (SUMS, SUMS_SIG):
            report.fail(name, "not part of the export as made (added later)")


def check_chain(folder: Folder, key_b64: str, report: Report) -> Dict[int, Dict[str, Any]]:
    """The log rows: each links to the one before; full rows hash to their stored hash; checkpoints sign."""
    name = "log/chain.jsonl"
    data = folder.get(name)
    rows: Dict[int, Dict[str, Any]] = {}
    if data is None:
        report.fail(name, "missing")
        return rows
    prev: Optional[str] = None
    expected: Optional[int] = None
    signed_to = 0
    last_seq = 0
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        try:
            row = json.loads(line)
            seq = int(row["seq"])
        except (ValueError, KeyError, TypeError):
            report.fail(name, f"line {number} is not a log row")
            continue
        where = f"{name} row {seq}"
        if expected is not None and seq != expected:
            report.fail(where, f"out of order or missing rows (expected row {expected})")
        if prev is not None and row.get("prev_hash") != prev:
            report.fail(where, "does not link to the row before it")
        if row.get("withheld"):
            report.notes.append(f"row {seq}")  # written before commitments: only its link can be shown
            rows[seq] = {"seq": seq, "withheld": True}
        elif "content" in row or "committed" in row:
            text = str(row.get("content", row.get("committed")))
            try:
                content = json.loads(text)
                assert isinstance(content, dict)
                hashed = hashed_content(text) if "content" in row else text
            except (ValueError, AssertionError, AttributeError):
                report.fail(where, "its content is not a log entry")
                continue
            if entry_hash(row.get("prev_hash", ""), hashed) != row.get("hash"):
                report.fail(where, "its content does not match its hash (the row was changed)")
            if "committed" in row:
                report.redacted += 1
            if content.get("seq") != seq:
                report.fail(where, "its content carries another sequence number")
            rows[seq] = content
            if content.get("kind") == CHECKPOINT_KIND:
                detail = content.get("detail", {})
                message = checkpoint_message(int(detail.get("head_seq", -1)), str(detail.get("head_hash")),
                                             str(detail.get("at")))
                if detail.get("public_key") != key_b64:
                    report.fail(where, "checkpoint signed by another key than device-public-key.txt")
                elif not signature_ok(key_b64, str(detail.get("signature")), message):
                    report.fail(where, "checkpoint signature is not valid")
                elif int(detail.get("head_seq", -1)) != seq - 1 or detail.get("head_hash") != row.get("prev_hash"):
                    report.fail(where, "checkpoint does not sign the row before it")
                else:
                    signed_to = seq - 1
        prev = row.get("hash")
        expected = seq + 1
        last_seq = seq
    if signed_to == 0:
        report.fail(name, "no signed checkpoint: the rows cannot be tied to the device")
    elif signed_to < last_seq - 1:
        report.fail(name, f"rows after {signed_to} are not covered by a signed checkpoint")
    return rows


def check_evidence(folder: Folder, rows: Dict[int, Dict[str, Any]], report: Report) -> int:
    """Each evidence file hashes to its manifest line, and every hash a chosen incident cites is in the export."""
    data = folder.get("manifest.csv")
    if data is None:
        report.fail("manifest.csv", "missing")
        return 0
    listed = set()
    for line in csv.DictReader(io.StringIO(data.decode("utf-8", "replace"))):
        name, digest = line.get("file", ""), line.get("sha256", "")
        content = folder.get(name)
        if content is None:
            report.fail(name, "listed in manifest.csv but missing")
        elif sha256(content) != digest:
            report.fail(name, "changed: its SHA-256 does not match manifest.csv and the log")
        listed.add(digest)
    try:
        chosen = [int(seq) for seq in json.loads(folder.get("log/selected.json") or b"[]")]
    except (ValueError, TypeError):
        report.fail("log/selected.json", "is not a list of row numbers")
        chosen = []
    try:
        # Files the hub left out on purpose (a redacted copy, footage removed under retention), and why.
        left_out = {str(item["sha256"]) for item in json.loads(folder.get("log/left-out.json") or b"[]")}
    except (ValueError, TypeError, KeyError):
        report.fail("log/left-out.json", "is not a list of left-out files")
        left_out = set()
    for seq in chosen:
        row = rows.get(int(seq))
        if row is None:
            report.fail("log/selected.json", f"names row {seq}, which is not in log/chain.jsonl")
            continue
        if row.get("withheld"):
            continue  # a row withheld from a redacted copy names no evidence here
        for digest in row.get("evidence", []):
            if digest not in listed and digest not in left_out:
                report.fail(f"log row {seq}", f"cites evidence {digest[:16]}… which is not in this export")
    return len(listed)


def _optional(module: str) -> Any:
    """A library for one of the standards' checks, or None when it is not installed."""
    try:
        return __import__(module, fromlist=["_"])
    except ImportError:
        return None


def device_root(folder: Folder, raw_key: bytes, report: Report) -> Optional[bytes]:
    """The root of device-certificate.pem, once that certificate is shown to be the device key's own."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    data = folder.get("device-certificate.pem")
    if data is None:
        return None  # an export made before the hub had a certificate
    try:
        chain = x509.load_pem_x509_certificates(data)
        device_key = chain[0].public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    except (ValueError, IndexError, TypeError) as err:
        report.fail("device-certificate.pem", f"is not a certificate chain ({err})")
        return None
    if len(chain) != 2 or device_key != raw_key or chain[0].issuer != chain[1].subject:
        report.fail("device-certificate.pem", "is not the certificate of the key in device-public-key.txt")
        return None
    return chain[1].public_bytes(serialization.Encoding.PEM)


def check_standards(folder: Folder, rows: Dict[int, Dict[str, Any]], raw_key: bytes, report: Report) -> None:
    """Content Credentials, RFC 3161 timestamps and the PDF signature, each by its own library when installed."""
    root = device_root(folder, raw_key, report)
    check_timestamps(folder, rows, report)
    if root is None:
        return
    c2pa = _optional("c2pa")
    captures, uploads = camera_files(folder)
    if c2pa is None:
        print(f"Content Credentials: NOT CHECKED on {len(captures)} photos and clips from the cameras "
              "(python3 -m pip install c2pa-python to check them)")
    else:
        settings = {"trust": {"user_anchors": root.decode("ascii")},
                    "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
        credentialed = 0
        for name, mime in captures:
            try:
                reader = c2pa.Reader(mime, io.BytesIO(folder.files[name]), context=c2pa.Context.from_dict(settings))
            except Exception:
                continue  # no manifest: a capture from before the hub signed them
            state = str(reader.get_validation_state())
            failures = json.loads(reader.json()).get("validation_results", {}).get("activeManifest", {}).get(
                "failure", [])
            if state != "Trusted" or failures:
                codes = ", ".join(sorted({str(f.get("code")) for f in failures})) or state
                report.fail(name, f"its Content Credentials do not validate ({codes})")
            else:
                credentialed += 1
        print(f"Content Credentials: {credentialed} of {len(captures)} photos and clips from the cameras carry a "
              "valid C2PA manifest signed by this hub's device certificate (others: captures from before)")
        if uploads:
            print(f"  {uploads} of her own files are shown as she gave them; any credentials they carry are "
                  "someone else's and are not checked here")
    pyhanko = _optional("pyhanko.sign.validation")
    pdf = folder.get("report.pdf")
    if pdf is None:
        return
    if pyhanko is None:
        print("report.pdf signature: NOT CHECKED (python3 -m pip install pyhanko to check it; any PDF reader "
              "also shows it)")
        return
    from pyhanko.keys import load_certs_from_pemder_data
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko_certvalidator import ValidationContext

    signatures = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    if not signatures:
        print("report.pdf signature: none (an export made before the hub signed its reports)")
        return
    # The device root for the signature; the authorities' roots for the timestamp inside it.
    roots = root + (folder.get("log/timestamp-authority-roots.pem") or b"")
    context = ValidationContext(trust_roots=list(load_certs_from_pemder_data(roots)), allow_fetching=False)
    whole = True
    for number, signature in enumerate(signatures, 1):
        try:
            status = pyhanko.validate_pdf_signature(signature, context)
        except ValueError as err:  # pyHanko's validation errors are ValueErrors
            report.fail("report.pdf", f"signature {number} cannot be checked ({shown(str(err))[:120]})")
            whole = False
            continue
        if not status.intact:
            report.fail("report.pdf", "the PDF was changed after the hub signed it")
        elif not status.trusted:
            report.fail("report.pdf", f"signature {number} is not by this hub's device certificate")
        elif number == 1 and status.coverage.name != "ENTIRE_FILE":
            report.fail("report.pdf", "pages or text were added after the hub signed it (an update after the "
                        "signature)")
        elif not status.bottom_line:
            report.fail("report.pdf", "its timestamp does not validate against the authorities' roots")
        else:
            continue
        whole = False
    if whole:
        stamp = status.timestamp_validity
        when = f", timestamped {stamp.timestamp.isoformat()}" if stamp is not None and stamp.valid else ""
        print(f"report.pdf signature: valid, unchanged since the hub signed it{when}")


CAMERA_KINDS = ("camera.", "face.", "vehicle.", "person.")  # rows the cameras write; her own files are others


def camera_files(folder: Folder) -> "tuple[List[tuple[str, str]], int]":
    """The photos and clips the cameras made (by manifest.csv's row kind), and how many other pictures there are."""
    captures, others = [], 0
    for line in csv.DictReader(io.StringIO((folder.get("manifest.csv") or b"").decode("utf-8", "replace"))):
        name, kind = line.get("file", ""), line.get("kind", "")
        if name not in folder.files or not name.endswith((".jpg", ".mp4")):
            continue
        if kind.startswith(CAMERA_KINDS):
            captures.append((name, "image/jpeg" if name.endswith(".jpg") else "video/mp4"))
        else:
            others += 1
    return captures, others


def check_timestamps(folder: Folder, rows: Dict[int, Dict[str, Any]], report: Report) -> None:
    """Each RFC 3161 token covers the checkpoint it names and is signed under the authorities' roots."""
    try:
        tokens = json.loads(folder.get("log/timestamps.json") or b"[]")
        assert isinstance(tokens, list)
    except (ValueError, AssertionError):
        report.fail("log/timestamps.json", "is not a list of timestamps")
        return
    if not tokens:
        print("Timestamps: none from an independent authority (the hub had none configured, or was offline)")
        return
    rfc3161 = _optional("rfc3161_client")
    if rfc3161 is None:
        print(f"Timestamps: {len(tokens)} NOT CHECKED (python3 -m pip install rfc3161-client to check them)")
        return
    from cryptography import x509

    pem = folder.get("log/timestamp-authority-roots.pem") or b""
    roots = x509.load_pem_x509_certificates(pem) if pem.strip() else []
    for item in tokens:
        if not isinstance(item, dict) or not isinstance(item.get("checkpoint_row"), int):
            report.fail("log/timestamps.json", f"an entry is not a timestamp of a checkpoint row: {shown(str(item))[:80]}")
            continue
        where = f"log/timestamps.json (checkpoint row {item['checkpoint_row']})"
        detail = rows.get(item["checkpoint_row"], {}).get("detail")
        if not isinstance(detail, dict):
            report.fail(where, "names no checkpoint in log/chain.jsonl")
            continue
        try:
            digest = hashlib.sha256(checkpoint_message(int(detail.get("head_seq", -1)), str(detail.get("head_hash")),
                                                       str(detail.get("at")))).digest()
        except (ValueError, TypeError, OverflowError):
            report.fail(where, "names a checkpoint row that is not a checkpoint")
            continue
        try:
            response = rfc3161.decode_timestamp_response(base64.b64decode(str(item.get("token")), validate=True))
        except ValueError as err:
            report.fail(where, f"is not a timestamp token ({err})")
            continue
        if response.tst_info.message_imprint.message != digest:
            report.fail(where, "the token is for another checkpoint")
            continue
        signer = ", ".join(shown(i.issuer.rfc4514_string()) for i in response.signed_data.signer_infos)
        if not roots or item.get("root_given") is False:
            print(f"Timestamp for checkpoint row {shown(str(item.get('checkpoint_row')))}: "
                  f"{response.tst_info.gen_time.isoformat()}, signed under {signer}; NOT CHECKED against a root "
                  "(the hub was given none for this authority)")
            continue
        builder = rfc3161.VerifierBuilder()
        for root in roots:
            builder = builder.add_root_certificate(root)
        try:
            builder.build().verify(response, digest)
        except (rfc3161.VerificationError, ValueError) as err:
            report.fail(where, f"the token does not verify ({err})")
            continue
        print(f"Timestamp for checkpoint row {shown(str(item.get('checkpoint_row')))}: "
              f"{response.tst_info.gen_time.isoformat()}, signed under {signer}, verified against the roots in "
              "log/timestamp-authority-roots.pem (compare them with the authority's published root)")


def main(argv: List[str]) -> int:
    try:
        import cryptography  # noqa: F401
    except ImportError:
        print("CANNOT CHECK: this checker needs the \"cryptography\" package: python3 -m pip install cryptography")
        return 2
    try:
        return check(argv)
    except Exception as err:  # a damaged file must give an answer, not a traceback
        print(shown(f"FAIL: could not finish checking ({type(err).__name__}: {err}); the export is damaged"))
        return 1


def normal_fingerprint(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch in "0123456789abcdef")


def check(argv: List[str]) -> int:
    args = list(argv[1:])
    expected_key: Optional[str] = None
    if "--key" in args:
        at = args.index("--key")
        if at + 1 >= len(args):
            print("FAIL: --key needs the device key fingerprint, for example --key ab12:cd34:ef56:7890:...")
            return 1
        expected_key = normal_fingerprint(args[at + 1])
        del args[at:at + 2]
        if len(expected_key) != 32:
            print(f"FAIL: --key {argv[argv.index('--key') + 1]!r} is not a device key fingerprint "
                  "(8 groups of 4 letters and digits, such as ab12:cd34:ef56:7890:1a2b:3c4d:5e6f:7a8b)")
            return 1
    where = Path(args[0]) if args else Path(__file__).resolve().parent
    folder = Folder(where)
    report = Report()
    report.problems.extend(shown(p) for p in folder.problems)
    key_file = folder.get("device-public-key.txt")
    if key_file is None:
        print("FAIL: device-public-key.txt: missing")
        return 1
    key_b64 = (key_file.decode("ascii", "replace").split() or [""])[0]
    try:
        raw_key = base64.b64decode(key_b64, validate=True)
    except ValueError:
        raw_key = b""
    if len(raw_key) != 32:
        report.fail("device-public-key.txt", "is not an Ed25519 public key (the file was changed)")
    check_sums(folder, key_b64, report)
    rows = check_chain(folder, key_b64, report)
    files = check_evidence(folder, rows, report)
    check_standards(folder, rows, raw_key, report)
    digest = hashlib.sha256(raw_key).hexdigest()
    fingerprint = ":".join(digest[i:i + 4] for i in range(0, 32, 4))
    print(f"Device key fingerprint: {fingerprint}")
    if expected_key is None:
        print("  NOT CHECKED against a known fingerprint: anyone can re-sign a changed export with a key of "
              "their own. Run again with --key and the fingerprint from a daily message or backup sheet "
              "received from the hub earlier.")
    elif normal_fingerprint(fingerprint) != expected_key:
        report.fail("device-public-key.txt", f"this export was signed by the key {fingerprint}, not by the hub "
                    "whose fingerprint you gave with --key: it was re-signed, or it comes from another hub")
    else:
        print("  matches the fingerprint given with --key: this export was signed by that hub")
    if report.problems:
        for problem in report.problems:
            print(f"FAIL: {problem}")
        print(f"{len(report.problems)} problem(s): this export cannot be relied on as made.")
        return 1
    if report.redacted:
        print(f"This is a REDACTED copy: in {report.redacted} rows the hub replaced private details by salted "
              "commitments; each of those rows still matches its hash in the chain, and the details cannot be "
              "worked out from it.")
    if report.notes:
        print(f"{len(report.notes)} rows written before this hub kept commitments are withheld from this redacted "
              "copy (only their place in the chain is shown); the full export proves them.")
    summary = (f"{len(folder.files)} files unchanged since they were signed, {len(rows)} log rows checked, "
               f"chain unbroken up to a signed checkpoint, {files} evidence files match their hashes")
    if expected_key is None:
        print(f"UNCONFIRMED: {summary}; but nothing shows WHICH hub signed it. Run again with --key and the "
              "fingerprint received from the hub earlier.")
        return 3
    print(f"OK: {summary}, signed by the hub with the fingerprint given.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
