"""The demo's stand-in for a neighbour's phone: a receiver on 127.0.0.1 that keeps what the hub sends.

``make demo`` gives its one contact the channel ``json://127.0.0.1:18831/inbox``; the simulator
starts this receiver, and the dashboard's Inbox page shows each message as the neighbour would get
it, so a newcomer sees an alarm travel from the door to a contact. Loopback only, bounded in size.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)
FILE_NAME = "demo-inbox.jsonl"
INBOX_URL = re.compile(r"json://127\.0\.0\.1:(\d{2,5})/inbox")
MAX_BODY = 256 * 1024
MAX_MESSAGES = 500


def inbox_port(url: str) -> int | None:
    """The port of a demo-inbox channel URL, or None when the URL is something else."""
    found = INBOX_URL.fullmatch(url)
    return int(found.group(1)) if found else None


class DemoInbox:
    """A JSON receiver on 127.0.0.1 appending each message (title, text, attachment count) to a file."""

    def __init__(self, path: Path, port: int) -> None:
        self.path = path
        self.port = port
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Listen; a busy port is logged and the demo runs on without its inbox."""
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self.send_response(413)
                    self.end_headers()
                    return
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    body = {}
                inbox.keep(body if isinstance(body, dict) else {})
                self.send_response(200)
                self.end_headers()

        try:
            self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        except OSError as err:
            logger.warning("demo inbox: cannot listen on 127.0.0.1:%d (%s); the Inbox page stays empty",
                           self.port, err)
            return
        threading.Thread(target=self._server.serve_forever, name="demo-inbox", daemon=True).start()

    def keep(self, body: dict[str, Any]) -> None:
        """Append one message (older ones beyond MAX_MESSAGES are dropped)."""
        entry = {"at": time.time(), "title": str(body.get("title") or "")[:300],
                 "message": str(body.get("message") or "")[:4000],
                 "attachments": len(body.get("attachments") or [])}
        with self._lock:
            lines = self.path.read_text().splitlines()[-(MAX_MESSAGES - 1):] if self.path.exists() else []
            self.path.write_text("\n".join([*lines, json.dumps(entry)]) + "\n")

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def read_inbox(data_dir: Path, limit: int = 50) -> list[dict[str, Any]] | None:
    """The newest messages first; None when this hub has no demo inbox."""
    path = data_dir / FILE_NAME
    if not path.exists():
        return None
    found = []
    for line in path.read_text().splitlines()[::-1][:limit]:
        try:
            found.append(json.loads(line))
        except ValueError:
            continue
    return found
