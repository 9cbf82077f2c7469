"""MQTT publish -> committed log row: latency p50/p99 and sustained events/s.

Baseline, measured in the same run: a bare paho subscriber on the same broker (publish ->
on_message), i.e. the broker and loopback cost that no hub can beat. Run: python bench/sensor_latency.py
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import paho.mqtt.client as mqtt  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from bench._broker import BenchBroker  # noqa: E402
from hub.app import Hub  # noqa: E402
from hub.config import parse_config  # noqa: E402
from hub.events import Event  # noqa: E402

TOPIC = "zigbee2mqtt/front_door"
LATENCY_MESSAGES = 400
BURST_MESSAGES = 3000


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def client(port: int, name: str) -> Any:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=name)
    c.max_inflight_messages_set(100)
    c.connect("127.0.0.1", port)
    c.loop_start()
    return c


def payload(marker: int) -> str:
    return json.dumps({"contact": marker % 2 == 0, "linkquality": marker})


def run(port: int, arrivals: dict[int, float], done: threading.Event, total: int) -> tuple[list[float], float]:
    """Publish paced messages (latency) then a burst (throughput); return latencies and burst rate."""
    pub = client(port, "bench-pub")
    sent: dict[int, float] = {}
    for marker in range(LATENCY_MESSAGES):
        sent[marker] = time.perf_counter()
        pub.publish(TOPIC, payload(marker), qos=1)
        time.sleep(0.01)
    deadline = time.monotonic() + 60
    while len(arrivals) < LATENCY_MESSAGES and time.monotonic() < deadline:
        time.sleep(0.01)
    latencies = [(arrivals[m] - sent[m]) * 1000 for m in range(LATENCY_MESSAGES) if m in arrivals]
    start = time.perf_counter()
    for marker in range(LATENCY_MESSAGES, total):
        pub.publish(TOPIC, payload(marker), qos=1)
    done.wait(120)
    rate = (total - LATENCY_MESSAGES) / (max(arrivals.values()) - start)
    pub.disconnect()
    pub.loop_stop()
    return latencies, rate


def baseline(port: int) -> tuple[list[float], float]:
    arrivals: dict[int, float] = {}
    done = threading.Event()
    total = LATENCY_MESSAGES + BURST_MESSAGES
    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-baseline", clean_session=False)

    def on_message(c: Any, u: Any, message: Any) -> None:
        marker = json.loads(message.payload)["linkquality"]
        arrivals.setdefault(marker, time.perf_counter())
        if len(arrivals) == total:
            done.set()

    sub.on_message = on_message
    sub.connect("127.0.0.1", port)
    sub.subscribe(TOPIC, qos=1)
    sub.loop_start()
    time.sleep(0.5)
    result = run(port, arrivals, done, total)
    sub.disconnect()
    sub.loop_stop()
    return result


def hub_run(port: int) -> tuple[list[float], float]:
    arrivals: dict[int, float] = {}
    done = threading.Event()
    total = LATENCY_MESSAGES + BURST_MESSAGES
    with tempfile.TemporaryDirectory() as tmp:
        config = parse_config({
            "data_dir": tmp, "gpio": {"pin_factory": "mock"},
            "mqtt": {"port": port, "client_id": "bench-hub", "publish_events": False, "discovery": False},
            "sensors": {"front_door": {"kind": "door", "mqtt": {"topic": TOPIC, "format": "zigbee2mqtt"}}},
            "log": {"checkpoint_every_rows": 1000},
        })
        hub = Hub(config)
        hub.start()

        def on_commit(seq: int, event: Event) -> None:
            if event.kind.startswith("door."):
                arrivals.setdefault(int(event.detail["linkquality"]), time.perf_counter())
                if len(arrivals) == total:
                    done.set()

        assert hub.pipeline is not None and hub.mqtt is not None
        hub.pipeline.add_listener(on_commit)
        hub.mqtt.wait_connected(10)
        time.sleep(0.5)
        result = run(port, arrivals, done, total)
        hub.stop()
    return result


def main() -> None:
    with BenchBroker() as broker:
        base_lat, base_rate = baseline(broker.port)
        hub_lat, hub_rate = hub_run(broker.port)
    print(f"messages: {LATENCY_MESSAGES} paced at 100/s for latency, then a burst of {BURST_MESSAGES}")
    print(f"baseline (bare paho subscriber): p50 {percentile(base_lat, 50):.2f} ms  "
          f"p99 {percentile(base_lat, 99):.2f} ms  burst {base_rate:.0f} msg/s")
    print(f"porchlight (publish -> committed row, synchronous=FULL): p50 {percentile(hub_lat, 50):.2f} ms  "
          f"p99 {percentile(hub_lat, 99):.2f} ms  sustained {hub_rate:.0f} events/s")
    print(f"ratio hub/baseline: p50 {percentile(hub_lat, 50) / percentile(base_lat, 50):.1f}x  "
          f"p99 {percentile(hub_lat, 99) / percentile(base_lat, 99):.1f}x  "
          f"throughput {hub_rate / base_rate:.2f}x")
    print(f"target p99 <= 50 ms: {'met' if percentile(hub_lat, 99) <= 50 else 'NOT met'}")


if __name__ == "__main__":
    main()
