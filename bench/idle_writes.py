"""Steady-state disk writes of an idle hub (no events): what an SD card endures hour after hour.

Measured from /proc/self/io (bytes this process caused to be written to storage) over a run of
SECONDS (default 180); baseline in the same run: an idle process that only sleeps. Target: under
1 MB per hour. Run: python bench/idle_writes.py [SECONDS]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.app import Hub  # noqa: E402
from hub.config import parse_config  # noqa: E402

WARMUP = 70.0


def written() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    raise RuntimeError("no write_bytes in /proc/self/io")


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 180.0
    start = written()
    time.sleep(min(seconds, 30))
    baseline = (written() - start) / min(seconds, 30) * 3600
    with tempfile.TemporaryDirectory(dir=Path.home()) as tmp:
        config = parse_config({"data_dir": tmp, "gpio": {"pin_factory": "mock"}, "mqtt": {"enabled": False},
                               "sensors": {"back_door": {"kind": "door", "gpio": {"pin": 17}},
                                           "hall": {"kind": "motion", "gpio": {"pin": 4, "normally": "open",
                                                                               "pull_up": False}}},
                               "log": {"checkpoint_every_minutes": 1}})
        hub = Hub(config)
        hub.start()
        hub.wait_idle(5)
        # Past start-up: the first timed checkpoint (which signs the start-up rows) comes at one minute.
        time.sleep(WARMUP)
        start = written()
        began = time.monotonic()
        time.sleep(seconds)
        rate = (written() - start) / (time.monotonic() - began) * 3600
        hub.stop()
    print(f"idle run: {seconds:.0f} s after a {WARMUP:.0f} s warm-up; 2 GPIO sensors, checkpoint timer every "
          "minute (signs only when rows were added), run marker touched every 5 minutes")
    print(f"baseline (a process that only sleeps): {baseline / 1e6:.3f} MB/h")
    print(f"porchlight idle: {rate / 1e6:.3f} MB/h ({rate / 1e3 / 60:.1f} kB per minute)")
    print(f"target < 1 MB/h: {'met' if rate < 1e6 else 'NOT met'}")


if __name__ == "__main__":
    main()
