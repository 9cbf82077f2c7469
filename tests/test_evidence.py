"""Evidence files are stored once under their SHA-256, read-only, and re-verified on read."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest

from hub.errors import EvidenceError
from hub.evidence import EvidenceStore


def test_stored_once_read_only_under_its_hash(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "evidence")
    data = b"\xff\xd8 a jpeg, say"
    sha = store.put_bytes(data)
    assert sha == hashlib.sha256(data).hexdigest()
    path = store.path_for(sha)
    assert path == tmp_path / "evidence" / sha[:2] / sha
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert store.put_bytes(data) == sha  # idempotent
    source = tmp_path / "voicemail.ogg"
    source.write_bytes(data)
    assert store.put_file(source) == sha
    assert store.read(sha) == data
    assert list((tmp_path / "evidence" / "tmp").iterdir()) == []


def test_altered_file_is_refused_on_read(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "evidence")
    sha = store.put_bytes(b"original")
    path = store.path_for(sha)
    path.chmod(0o644)
    path.write_bytes(b"originaL")
    with pytest.raises(EvidenceError, match="was altered on disk"):
        store.read(sha)
    assert store.check(sha) is not None and store.check(sha).startswith("altered")  # type: ignore[union-attr]


@pytest.mark.parametrize("bad", ["../../etc/passwd", "AB" * 32, "ab" * 31, ""])
def test_only_digests_become_paths(tmp_path: Path, bad: str) -> None:
    store = EvidenceStore(tmp_path / "evidence")
    with pytest.raises(EvidenceError, match="not a SHA-256 digest"):
        store.path_for(bad)
