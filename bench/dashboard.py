"""Dashboard page times on a year of history, served by the real server (cheroot, plain HTTP).

A log of 20,000 routine rows with 1,500 incidents (a drive-by most evenings, faces, her notes).
Baseline, measured in the same run and the same way: fetching the stylesheet, a static file, so
the ratio is what rendering a page costs beyond the server's own round trip.
Also: building an export of 200 incidents with their snapshots, against writing the same bytes
into a ZIP with nothing else. Run: python bench/dashboard.py
"""

from __future__ import annotations

import http.cookiejar
import re
import socket
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.config import parse_config  # noqa: E402
from hub.events import Event, Severity  # noqa: E402
from hub.export import ExportRequest, build_export  # noqa: E402
from hub.log import IncidentLog  # noqa: E402
from web import create_app  # noqa: E402
from hub.webserver import WebServer  # noqa: E402

ROUTINE = 20_000
INCIDENTS = 1_500
ROUNDS = 30
SNAPSHOT = Path(__file__).resolve().parent.parent / "tests" / "data" / "faces" / "obama-480p.jpg"


def _seed(log: IncidentLog) -> list[int]:
    now = datetime.now(timezone.utc)
    photo = log.evidence.put_bytes(SNAPSHOT.read_bytes())
    batch = []
    for i in range(ROUTINE):
        batch.append((Event("door.opened" if i % 2 else "door.closed", "front_door",
                            at=now - timedelta(minutes=26 * i)), ()))
    log.append_many(batch)
    seqs = []
    for i in range(INCIDENTS):
        kind = ("vehicle.match", "face.match", "incident.report")[i % 3]
        detail = {"vehicle": "grey golf"} if kind == "vehicle.match" else {"person": "him"} \
            if kind == "face.match" else {"description": f"note {i}", "category": "intimidation"}
        seqs.append(log.append(Event(kind, "street_cam", Severity.WARNING, detail,
                                     evidence=(photo,) if kind != "incident.report" else (),
                                     at=now - timedelta(hours=5 * i))))
    return seqs


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _timed(opener: urllib.request.OpenerDirector, url: str) -> list[float]:
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        with opener.open(url, timeout=30) as response:
            response.read()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = parse_config({"data_dir": tmp, "web": {"host": "127.0.0.1", "port": _free_port(), "tls": False}})
        log = IncidentLog(config.data_dir, checkpoint_every_rows=5000)
        seqs = _seed(log)
        server = WebServer(create_app(config), config.web, config.data_dir / "keys", "bench")
        assert server.start() is None
        base = server.url.rstrip("/")
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

        def form(path: str, **fields: str) -> None:
            page = opener.open(base + path, timeout=30).read().decode()
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            data = urllib.parse.urlencode({"csrf_token": token, **fields}).encode()
            opener.open(urllib.request.Request(base + path, data=data), timeout=30).read()

        form("/setup", password="benchmark password", confirm="benchmark password")
        form("/login", password="benchmark password")
        baseline = statistics.median(_timed(opener, base + "/static/style.css"))
        print(f"log: {ROUTINE:,} routine rows and {INCIDENTS:,} incidents; {ROUNDS} requests per page")
        print(f"baseline (static stylesheet): p50 {baseline * 1000:.1f} ms")
        for name, path in (("home", "/"), ("incidents + 3 charts", "/incidents"),
                           ("incidents, one month", f"/incidents?from={(datetime.now() - timedelta(days=30)).date()}"),
                           ("incident detail", f"/incidents/{seqs[1]}")):
            times = _timed(opener, base + path)
            p50, p95 = statistics.median(times), sorted(times)[int(len(times) * 0.95) - 1]
            print(f"{name:24} p50 {p50 * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms  ({p50 / baseline:5.1f}x baseline)")
        server.stop()

        chosen = tuple(seqs[:200])
        start = time.perf_counter()
        result = build_export(log, config, ExportRequest(chosen), Path(tmp) / "out")
        export_time = time.perf_counter() - start
        start = time.perf_counter()
        with zipfile.ZipFile(Path(tmp) / "plain.zip", "w") as archive:
            for sha in {sha for seq in chosen if (e := log.event(seq)) for sha in e.evidence}:
                archive.writestr(f"evidence/{sha}", log.evidence.read(sha))
            for row in log.raw_rows(after_seq=chosen[0] - 1):
                archive.writestr(f"rows/{row.seq}", row.content)
        plain = time.perf_counter() - start
        print(f"export of {result.incidents} incidents ({result.rows:,} chain rows, verified first, PDF with "
              f"thumbnails): {export_time:.2f} s; zipping the same files and rows alone: {plain:.2f} s "
              f"({export_time / plain:.1f}x)")
        log.close()


if __name__ == "__main__":
    main()
