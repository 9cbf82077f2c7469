"""Time to verify a 100,000-row incident log.

Baseline, measured in the same run: reading every row and SHA-256-hashing its content, the
least work any verifier must do. Run: python bench/log_verify.py
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.events import Event  # noqa: E402
from hub.log import IncidentLog  # noqa: E402

ROWS = 100_000
BATCH = 1000


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        log = IncidentLog(Path(tmp), checkpoint_every_rows=1000)
        start = time.perf_counter()
        for base in range(0, ROWS, BATCH):
            batch = [(Event("door.opened" if i % 2 else "door.closed", "front_door",
                            detail={"linkquality": i, "battery": 90}), ()) for i in range(base, base + BATCH)]
            log.append_many(batch)
        build = time.perf_counter() - start
        head, _ = log.head()

        start = time.perf_counter()
        for row in log.raw_rows():
            hashlib.sha256(row.content.encode()).hexdigest()
        floor = time.perf_counter() - start

        start = time.perf_counter()
        result = log.verify()
        verify = time.perf_counter() - start
        log.close()
    assert result.ok, result.message()
    print(f"rows: {head} ({ROWS} events + {head - ROWS} signed checkpoints), built in {build:.1f} s")
    print(f"baseline (read + SHA-256 every row): {floor:.2f} s")
    print(f"porchlight log verify (chain, links, columns, signatures): {verify:.2f} s")
    print(f"ratio verify/baseline: {verify / floor:.1f}x")
    print(f"target <= 3 s: {'met' if verify <= 3 else 'NOT met'}")


if __name__ == "__main__":
    main()
