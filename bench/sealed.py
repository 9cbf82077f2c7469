"""What sealing at rest costs: appends and evidence writes sealed vs unsealed, in one run; verify of sealed rows.

Each figure is a ratio against the unsealed baseline measured in the same run (these machines are
noisy). Targets (issue "Sealed at rest"): sealed appends under 2x, a 5 MB clip sealed in under 0.2 s,
and `log verify` of 100,000 sealed rows. Run: python bench/sealed.py [rows]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.events import Event  # noqa: E402
from hub.log import IncidentLog  # noqa: E402
from hub.sealing import SealingKeys  # noqa: E402

APPENDS = 2000
CLIPS = 10
CLIP_BYTES = 5 * 1024 * 1024
PASSPHRASE = "bench passphrase words"


def _entry(i: int) -> Event:
    return Event("incident.report", "owner", detail={
        "description": f"He drove past again ({i}), slowly, and looked at the window", "category": "surveillance",
        "location": "outside the house", "witnesses": [{"name": "a neighbour", "contact": None}]})


def _appends(log: IncidentLog) -> float:
    start = time.perf_counter()
    for i in range(APPENDS):
        log.append(_entry(i))
    return time.perf_counter() - start


def _clips(log: IncidentLog) -> float:
    clips = [os.urandom(CLIP_BYTES) for _ in range(CLIPS)]
    start = time.perf_counter()
    for data in clips:
        log.evidence.put_bytes(data)
    return (time.perf_counter() - start) / CLIPS


def _open(root: Path, sealed: bool) -> IncidentLog:
    if sealed:
        SealingKeys.create(root / "keys", PASSPHRASE)
    return IncidentLog(root, checkpoint_every_rows=1000)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as plain_dir, tempfile.TemporaryDirectory() as sealed_dir:
        plain, sealed = _open(Path(plain_dir), False), _open(Path(sealed_dir), True)
        append_plain, append_sealed = _appends(plain), _appends(sealed)
        clip_plain, clip_sealed = _clips(plain), _clips(sealed)
        plain.close()
        for base in range(0, rows - APPENDS, 1000):
            sealed.append_many([(_entry(i), ()) for i in range(base, min(base + 1000, rows - APPENDS))])
        start = time.perf_counter()
        result = sealed.verify()
        verify = time.perf_counter() - start
        start = time.perf_counter()
        sealed.unlock(PASSPHRASE)
        unlock = time.perf_counter() - start
        start = time.perf_counter()
        opened = sealed.events(limit=1000)
        read = time.perf_counter() - start
        sealed.close()
    assert result.ok, result.message()
    assert opened[0].detail["location"] == "outside the house"
    print(f"appends ({APPENDS} incident entries, each a synced transaction): unsealed "
          f"{APPENDS / append_plain:.0f}/s, sealed {APPENDS / append_sealed:.0f}/s; "
          f"ratio {append_sealed / append_plain:.2f}x (target under 2x)")
    print(f"5 MB clip into the evidence store: unsealed {clip_plain * 1000:.0f} ms, sealed {clip_sealed * 1000:.0f} ms;"
          f" ratio {clip_sealed / clip_plain:.2f}x (target: sealed under 200 ms: "
          f"{'met' if clip_sealed < 0.2 else 'NOT met'})")
    print(f"log verify of {result.rows} sealed rows, without the passphrase: {verify:.2f} s")
    print(f"unlock (argon2id, 64 MiB): {unlock:.2f} s; open and read 1000 sealed rows: {read * 1000:.0f} ms")


if __name__ == "__main__":
    main()
