"""Event -> contact's receiver latency for a local JSON webhook, and the outbox drain rate.

Baseline, measured in the same run: Apprise posting straight to the same webhook (the channel's
own cost, which no hub can avoid). Run: python bench/alert_latency.py
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._broker import free_port  # noqa: E402
from hub.app import Hub  # noqa: E402
from hub.config import parse_config  # noqa: E402
from hub.alerts.channels import AppriseSender  # noqa: E402
from hub.events import Event, Severity  # noqa: E402

ALERTS = 60
DRAIN = 200
arrivals: dict[str, float] = {}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        arrivals[body["message"].split("\n", 1)[0]] = time.perf_counter()
        self.send_response(200)
        self.end_headers()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"json://127.0.0.1:{port}/alerts"

    base = []
    for index in range(ALERTS):
        start = time.perf_counter()
        AppriseSender().send(url, "t", f"baseline {index}\nbody", [])
        base.append((arrivals[f"baseline {index}"] - start) * 1000)

    with tempfile.TemporaryDirectory() as tmp:
        config = parse_config({"data_dir": tmp, "gpio": {"pin_factory": "mock"}, "mqtt": {"enabled": False},
                               "sensors": {f"door_{i}": {"kind": "door", "label": f"Door {i}",
                                                         "gpio": {"pin": 2 + i}} for i in range(20)},
                               "arming": {"entry_delay_seconds": 0, "exit_delay_seconds": 0},
                               "contacts": {"a": {"notify": [url], "events": ["door.opened", "panic"]}},
                               "alerts": {"cooldown_seconds": 0}})
        hub = Hub(config)
        hub.start()
        hub.submit(Event("arm.set", "bench", detail={"mode": "night"}))
        hub.wait_idle(5)
        latencies = []
        for index in range(ALERTS):
            door = f"door_{index % 20}"
            start = time.perf_counter()
            hub.submit(Event("door.opened", door, Severity.NOTICE))
            deadline = time.monotonic() + 10
            key = f"Door {index % 20} opened"
            arrivals.pop(key, None)
            while key not in arrivals and time.monotonic() < deadline:
                time.sleep(0.001)
            latencies.append((arrivals[key] - start) * 1000)
            hub.submit(Event("door.closed", door))
            time.sleep(0.05)
        hub.stop()

        # Drain: alerts queued while the receiver is away, delivered when it returns.
        server.shutdown()
        server.server_close()
        hub = Hub(config)
        hub.start()
        for index in range(DRAIN):
            hub.submit(Event("panic", f"bench_{index}", Severity.CRITICAL))
        hub.wait_idle(30)
        time.sleep(2)
        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        arrivals.clear()
        start = time.perf_counter()
        while len(arrivals) < 1 and time.perf_counter() - start < 60:
            time.sleep(0.01)
        first = time.perf_counter()
        while hub.store is not None and hub.store.outbox.count_sent() < DRAIN and time.perf_counter() - start < 120:
            time.sleep(0.05)
        drained = time.perf_counter() - first
        hub.stop()
    server.shutdown()
    print(f"alerts: {ALERTS} door openings while armed (night), one contact, local JSON webhook")
    print(f"baseline (Apprise straight to the webhook): p50 {percentile(base, 50):.1f} ms  p99 {percentile(base, 99):.1f} ms")
    print(f"porchlight (event -> log -> rules -> outbox -> Apprise -> receiver): p50 {percentile(latencies, 50):.1f} ms"
          f"  p99 {percentile(latencies, 99):.1f} ms")
    extra = percentile(latencies, 99) - percentile(base, 99)
    print(f"hub's own share at p99 (excluding the channel): {extra:.1f} ms "
          f"(ratio hub/baseline p50 {percentile(latencies, 50) / percentile(base, 50):.1f}x)")
    print(f"outbox drain after an outage: {DRAIN} alerts in {drained:.1f} s = {DRAIN / drained:.0f} alerts/s")
    print(f"target hub share p99 <= 200 ms: {'met' if extra <= 200 else 'NOT met'}")


if __name__ == "__main__":
    main()
