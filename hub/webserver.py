"""Serve the dashboard on the LAN with cheroot (a production WSGI server with TLS built in)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

from hub.config import WebConfig
from hub.tls import ensure_certificate, fingerprint

logger = logging.getLogger(__name__)


class WebServer:
    """The dashboard's HTTP(S) server in a background thread. ``start()`` never raises.

    ``app`` is the dashboard's WSGI application (a Flask app: its ``config`` gets the certificate's fingerprint).
    """

    def __init__(self, app: Any, config: WebConfig, keys_dir: Path, device_name: str) -> None:
        self.app = app
        self.config = config
        self.keys_dir = keys_dir
        self.device_name = device_name
        self.fingerprint: str | None = None
        self.error: str | None = None
        self._server: wsgi.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.config.tls else "http"
        host = "porchlight.local" if self.config.host in ("0.0.0.0", "::") else self.config.host
        return f"{scheme}://{host}:{self.config.port}/"

    def start(self) -> str | None:
        """Bind and serve; on failure log why and return the message (the hub carries on without it)."""
        server = wsgi.Server((self.config.host, self.config.port), self.app, numthreads=16,
                             server_name=self.device_name, timeout=30)
        # Sessions and uploads are bounded by Flask; this bounds request headers too.
        server.max_request_header_size = 64 * 1024
        if self.config.tls:
            cert, key = ensure_certificate(self.keys_dir, self.device_name)
            self.fingerprint = fingerprint(cert)
            self.app.config["TLS_FINGERPRINT"] = self.fingerprint
            server.ssl_adapter = BuiltinSSLAdapter(str(cert), str(key))
        try:
            server.prepare()
        except OSError as err:
            self.error = (f"the dashboard could not listen on {self.config.host}:{self.config.port} "
                          f"({err.strerror or err}); the hub runs without it. Choose another web.port "
                          "or stop what uses that port.")
            logger.error(self.error)
            return self.error
        self._server = server
        self._thread = threading.Thread(target=server.serve, name="dashboard", daemon=True)
        self._thread.start()
        logger.info("Dashboard: %s", self.url)
        if self.fingerprint:
            logger.info("dashboard certificate SHA-256 fingerprint: %s "
                        "(check your browser shows the same before you log in)", self.fingerprint)
        return None

    def stop(self) -> None:
        """Stop serving (open requests get a few seconds to finish)."""
        if self._server is not None:
            self._server.stop()
        if self._thread is not None:
            self._thread.join(10)
