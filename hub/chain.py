"""Hash-chain rules shared by the log writer and every verifier: canonical JSON, hashes, checks."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Protocol

from hub.keys import verify_signature
from hub import kinds

GENESIS = "0" * 64
CHECKPOINT_KIND = kinds.LOG_CHECKPOINT
TOMBSTONE_KIND = kinds.EVIDENCE_TOMBSTONE
# Details that say where she lives, who she is with, how she feels, or what her files are called. In a row,
# each is hashed only as a salted commitment, so a redacted export can show the commitment, still verify
# row by row, and give nothing to guess at: the salts stay in the full row on the hub.
PRIVATE_FIELDS = frozenset({"location", "people_present", "children_present", "witnesses", "impact",
                            "officer_name", "officer_badge", "address", "device", "agent", "encoding",
                            "suspected_technology", "statements", "name", "contact", "account",
                            "attachments", "photos", "documents",
                            # Her free words added later (a correction, a note on a match, an order's terms)
                            # repeat addresses and names as often as anything.
                            "text", "note", "terms",
                            # A refused entry's reason quotes what she typed ("'at the refuge' is not a time").
                            "error"})
COMMITTED_VERSION = 2  # rows with salted commitments; version 1 rows hash their content as stored
SEALED_VERSION = 3  # committed rows whose committed values are stored only sealed (hub/sealed_rows.py)
COMMITTED_VERSIONS = (COMMITTED_VERSION, SEALED_VERSION)


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8, no NaN."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def entry_hash(prev_hash: str, content: str) -> str:
    """A row's hash: SHA-256 over the previous hash, a newline and the row's canonical content."""
    return hashlib.sha256(f"{prev_hash}\n{content}".encode("utf-8")).hexdigest()


def commitment(salt: str, value: Any) -> str:
    """The salted commitment to one private field's value."""
    return hashlib.sha256(f"porchlight-commit-v1\n{salt}\n{canonical_json(value)}".encode("utf-8")).hexdigest()


def salts_for(detail: Mapping[str, Any]) -> dict[str, str]:
    """A fresh random salt (128 bits) for each private field in ``detail``."""
    return {name: secrets.token_hex(16) for name in sorted(detail) if name in PRIVATE_FIELDS}


def hashed_form(content: dict[str, Any]) -> dict[str, Any]:
    """What a row's hash covers: each private field replaced by its commitment, no salts and no sealed part.

    A sealed row as stored already holds the commitments (its values and salts are inside the sealed
    part); opened, it holds values and salts like a committed row. Both give the same hashed form, so
    the chain verifies without the passphrase and an export of the opened row verifies too.
    """
    if content.get("v") not in COMMITTED_VERSIONS:
        return content
    out = {k: v for k, v in content.items() if k not in ("salts", "sealed")}
    salts = content.get("salts")
    if isinstance(salts, dict):
        detail = dict(content.get("detail") or {})
        for name, salt in salts.items():
            if name in detail:
                detail[name] = {"committed": commitment(str(salt), detail[name])}
        out["detail"] = detail
    return out


def row_hash(prev_hash: str, content: str, parsed: dict[str, Any] | None = None) -> str:
    """A stored row's hash: over its content, or for a committed or sealed row over its hashed form."""
    if '"salts":' not in content and '"sealed":' not in content:
        return entry_hash(prev_hash, content)
    data = parsed if parsed is not None else json.loads(content)
    return entry_hash(prev_hash, canonical_json(hashed_form(data)) if data.get("v") in COMMITTED_VERSIONS
                      else content)


def checkpoint_message(head_seq: int, head_hash: str, at: str) -> bytes:
    """The exact bytes a checkpoint signature covers."""
    return f"porchlight-checkpoint-v1\n{head_seq}\n{head_hash}\n{at}".encode("utf-8")


@dataclass(frozen=True)
class RawRow:
    """A log row as stored: the columns, before any trust is placed in them."""

    seq: int
    kind: str
    source: str
    at: str
    content: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement of the chain head, small enough to send off the device."""

    head_seq: int
    head_hash: str
    at: str
    public_key: str
    signature: str

    def to_json(self) -> dict[str, Any]:
        """The exported checkpoint file's content."""
        return {
            "format": "porchlight-checkpoint-v1",
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "at": self.at,
            "public_key": self.public_key,
            "signature": self.signature,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Checkpoint":
        """Parse an exported checkpoint; raises ValueError naming what is missing."""
        if data.get("format") != "porchlight-checkpoint-v1":
            raise ValueError("not a Porchlight checkpoint file (format is not porchlight-checkpoint-v1)")
        try:
            return cls(
                head_seq=int(data["head_seq"]),
                head_hash=str(data["head_hash"]),
                at=str(data["at"]),
                public_key=str(data["public_key"]),
                signature=str(data["signature"]),
            )
        except KeyError as err:
            raise ValueError(f"checkpoint file lacks the field {err.args[0]!r}") from err

    def is_signed(self) -> bool:
        """Whether the signature matches the checkpoint's own public key."""
        return verify_signature(
            self.public_key, self.signature, checkpoint_message(self.head_seq, self.head_hash, self.at)
        )


@dataclass
class VerifyResult:
    """What a verification run found: ok, or the first bad sequence number and why."""

    rows: int = 0
    evidence_files: int = 0
    first_bad_seq: int | None = None
    reason: str | None = None
    last_seq: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing was wrong."""
        return self.first_bad_seq is None

    def message(self) -> str:
        """One line for people: what was checked, or what is wrong and where."""
        if self.ok:
            return f"log intact: {self.rows} rows, {self.evidence_files} evidence files verified"
        return f"log BROKEN at seq {self.first_bad_seq}: {self.reason}"


class EvidenceChecker(Protocol):
    """Anything that can say whether an evidence file is intact (None) or what is wrong."""

    def check(self, sha256: str, stored_sha256: str | None = None) -> str | None:
        """None when intact, else what is wrong; a sealed file is checked against ``stored_sha256``."""


def row_problem(row: RawRow, expected_seq: int, prev_hash: str, device_key: str | None) -> tuple[int, str] | None:
    """What is wrong with one row given the hash of the row before it (None when it is sound)."""
    if row.seq != expected_seq:
        if row.seq > expected_seq:
            return expected_seq, (
                f"missing: the log jumps from seq {expected_seq - 1} to seq {row.seq} (rows were deleted)"
            )
        return row.seq, f"appears twice or out of order after seq {expected_seq - 1}"
    try:
        content = json.loads(row.content)
    except ValueError:
        return row.seq, "content is not valid JSON (the row was edited)"
    if not isinstance(content, dict):
        return row.seq, "content is not a JSON object (the row was edited)"
    if content.get("seq") != row.seq:
        return row.seq, (
            f"holds the content of seq {content.get('seq')} (rows were reordered or renumbered)"
        )
    if row.prev_hash != prev_hash:
        return row.seq, (
            f"previous-hash link to seq {row.seq - 1} is broken (seq {row.seq - 1} was edited and "
            "re-hashed, or rows were removed or reordered)"
        )
    if row_hash(row.prev_hash, row.content, content) != row.hash:
        return row.seq, "entry hash does not match its content (the row was edited)"
    if content.get("v") == SEALED_VERSION and "salts" not in content:
        part = content.get("sealed")
        if not isinstance(part, str) or hashlib.sha256(part.encode("ascii", "replace")).hexdigest() \
                != content.get("sealed_sha256"):
            return row.seq, "its sealed part was removed or replaced (the row was edited)"
    if (content.get("kind"), content.get("source"), content.get("at")) != (row.kind, row.source, row.at):
        return row.seq, "kind, source or time columns disagree with the hashed content (the row was edited)"
    if row.kind == CHECKPOINT_KIND:
        detail = content.get("detail") or {}
        if detail.get("head_seq") != row.seq - 1 or detail.get("head_hash") != prev_hash:
            return row.seq, "checkpoint does not describe the row before it"
        if not verify_signature(
            str(detail.get("public_key")),
            str(detail.get("signature")),
            checkpoint_message(row.seq - 1, prev_hash, str(detail.get("at"))),
        ):
            return row.seq, "checkpoint signature is invalid"
        if device_key is not None and detail.get("public_key") != device_key:
            return row.seq, "checkpoint was signed by a key that is not this device's key"
    return None


def verify_rows(
    rows: Iterable[RawRow],
    evidence: EvidenceChecker | None = None,
    device_key: str | None = None,
    checkpoint: Checkpoint | None = None,
) -> VerifyResult:
    """Check the chain, every cited evidence file and, if given, an exported checkpoint."""
    result = VerifyResult()
    prev_hash = GENESIS
    expected = 1
    cited: list[tuple[int, str, str | None]] = []
    migrated: dict[str, str] = {}
    tombstoned: set[str] = set()
    chain_failure: tuple[int, str] | None = None
    checkpoint_hash: str | None = None
    for row in rows:
        problem = row_problem(row, expected, prev_hash, device_key)
        if problem is not None:
            chain_failure = problem
            break
        content = json.loads(row.content)
        # A sealed file's own hash is in the row, so it is checked without the passphrase.
        stored = content.get("sealed_evidence") if isinstance(content.get("sealed_evidence"), dict) else {}
        for sha in content.get("evidence") or []:
            cited.append((row.seq, str(sha), stored.get(sha)))
        if row.kind == TOMBSTONE_KIND:
            tombstoned.add(str((content.get("detail") or {}).get("sha256")))
        if row.kind == kinds.LOG_SEALED:  # files sealed in place later: their sealed hashes, on the record
            found = (content.get("detail") or {}).get("sealed_evidence")
            migrated.update(found if isinstance(found, dict) else {})
        if checkpoint is not None and row.seq == checkpoint.head_seq:
            checkpoint_hash = row.hash
        prev_hash = row.hash
        expected += 1
        result.rows += 1
        result.last_seq = row.seq
    problems: list[tuple[int, str]] = []
    if chain_failure is not None:
        problems.append(chain_failure)
    if evidence is not None:
        checked: set[str] = set()
        for seq, sha, stored_sha in cited:
            if sha in tombstoned or sha in checked:
                continue
            checked.add(sha)
            what = evidence.check(sha, stored_sha or migrated.get(sha))
            if what is not None:
                problems.append((seq, f"evidence {sha} is {what}"))
        result.evidence_files = len(checked)
    reached_head = chain_failure is None or chain_failure[0] > (checkpoint.head_seq if checkpoint else 0)
    if checkpoint is not None and reached_head:
        problems.extend(_checkpoint_problems(checkpoint, checkpoint_hash, result.last_seq, device_key))
    if problems:
        problems.sort(key=lambda item: item[0])
        result.problems = problems
        result.first_bad_seq, result.reason = problems[0]
    return result


def _checkpoint_problems(
    checkpoint: Checkpoint, hash_at_head: str | None, last_seq: int, device_key: str | None
) -> list[tuple[int, str]]:
    if not checkpoint.is_signed():
        return [(checkpoint.head_seq, "the checkpoint file's signature is invalid (the file was altered)")]
    if device_key is not None and checkpoint.public_key != device_key:
        return [(checkpoint.head_seq, "the checkpoint file was signed by a different device key")]
    if last_seq < checkpoint.head_seq:
        return [(
            last_seq + 1,
            f"the log ends at seq {last_seq} but the checkpoint of {checkpoint.at} covers seq "
            f"{checkpoint.head_seq} (rows were removed from the end)",
        )]
    if hash_at_head != checkpoint.head_hash:
        return [(
            checkpoint.head_seq,
            f"hash differs from the signed checkpoint of {checkpoint.at} (the log was rewritten)",
        )]
    return []
