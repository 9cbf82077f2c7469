"""A stalker floods the broker: 20,000 junk QoS 1 messages mixed with 100 real door events.

Prints whether every real event was logged, how much the log grew (kB) against the same 100 door
events without junk (the baseline, measured in the same run), the time to drain, and the hub's
resident memory before and after. Run: python bench/hostile_flood.py
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import paho.mqtt.client as mqtt  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from bench._broker import BenchBroker  # noqa: E402
from hub.app import Hub  # noqa: E402
from hub.config import parse_config  # noqa: E402

TOPIC = "zigbee2mqtt/front_door"
JUNK = 20_000
REAL = 100
JUNK_KINDS = (b"[" * 4000, b"\x00\xffnot json", b'{"contact": NaN}', b'{"contact": "maybe"}', b"{}" * 2000)


def rss_kb() -> int:
    """This process's resident memory now (the hub runs in it), in kB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def publisher(port: int) -> Any:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"stalker-{time.monotonic_ns()}")
    c.max_inflight_messages_set(100)
    c.max_queued_messages_set(0)
    c.connect("127.0.0.1", port)
    c.loop_start()
    return c


def run(port: int, junk: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        config = parse_config({"data_dir": str(data), "gpio": {"pin_factory": "mock"}, "web": {"enabled": False},
                               "mqtt": {"port": port, "client_id": f"bench-hub-{junk}"},
                               "sensors": {"front_door": {"kind": "door",
                                                          "mqtt": {"topic": TOPIC, "format": "zigbee2mqtt"}}}})
        from gpiozero.pins.mock import MockFactory

        factory = MockFactory()
        hub = Hub(config, pin_factory=factory)
        hub.start()
        assert hub.mqtt is not None and hub.mqtt.wait_connected(10) and hub.log is not None
        hub.wait_idle(5)
        db = data / "porchlight.db"
        size_before = db.stat().st_size + (data / "porchlight.db-wal").stat().st_size
        rss_before = rss_kb()
        client = publisher(port)
        every = max(1, junk // REAL)
        sent_real = 0
        start = time.perf_counter()
        infos = []
        for number in range(junk + REAL):
            if junk == 0 or (number % (every + 1) == every and sent_real < REAL):
                infos.append(client.publish(TOPIC, json.dumps({"contact": sent_real % 2 == 1,
                                                               "linkquality": sent_real}), qos=1))
                sent_real += 1
                if junk == 0 and sent_real == REAL:
                    break
            else:
                infos.append(client.publish(TOPIC, JUNK_KINDS[number % len(JUNK_KINDS)], qos=1))
        while sent_real < REAL:
            infos.append(client.publish(TOPIC, json.dumps({"contact": sent_real % 2 == 1, "linkquality": sent_real}),
                                        qos=1))
            sent_real += 1
        for info in infos:
            info.wait_for_publish(60)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            logged = {e.detail.get("linkquality") for e in hub.log.events(kind="door.*")}
            if logged >= set(range(REAL)):
                break
            time.sleep(0.2)
        drained = time.perf_counter() - start
        hub.rejections.flush(force=True)
        hub.wait_idle(5)
        logged = {e.detail.get("linkquality") for e in hub.log.events(kind="door.*")}
        rows = hub.log.head()[0]
        refused_rows = len(hub.log.events(kind="input.*"))
        hub.stop()
        factory.close()
        client.disconnect()
        client.loop_stop()
        size_after = db.stat().st_size + ((data / "porchlight.db-wal").stat().st_size
                                          if (data / "porchlight.db-wal").exists() else 0)
        return {"real_logged": len(logged & set(range(REAL))), "rows": rows, "refused_rows": refused_rows,
                "growth_kb": (size_after - size_before) / 1024, "seconds": drained,
                "rss_before_mb": rss_before / 1024, "rss_after_mb": rss_kb() / 1024}


def main() -> None:
    with BenchBroker() as broker:
        baseline = run(broker.port, 0)
        flood = run(broker.port, JUNK)
    print(f"baseline: {REAL} real door events, no junk: {baseline['real_logged']:.0f}/{REAL} logged, "
          f"{baseline['rows']:.0f} rows, log grew {baseline['growth_kb']:.0f} kB in {baseline['seconds']:.1f} s")
    print(f"flood: {JUNK} junk QoS 1 messages + {REAL} real: {flood['real_logged']:.0f}/{REAL} real events logged, "
          f"{flood['rows']:.0f} rows ({flood['refused_rows']:.0f} about refusals), log grew {flood['growth_kb']:.0f} kB "
          f"({flood['growth_kb'] / max(baseline['growth_kb'], 1):.2f}x the baseline), drained in {flood['seconds']:.1f} s "
          f"({flood['seconds'] / max(baseline['seconds'], 0.01):.1f}x)")
    print(f"hub RSS: {flood['rss_before_mb']:.0f} MB before the flood, {flood['rss_after_mb']:.0f} MB after "
          f"({flood['rss_after_mb'] / flood['rss_before_mb']:.2f}x)")


if __name__ == "__main__":
    main()
