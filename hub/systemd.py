"""systemd's notify protocol: READY=1 once started, WATCHDOG=1 while healthy, STOPPING=1 on the way out."""

from __future__ import annotations

import logging
import os
import socket

logger = logging.getLogger(__name__)


class Notifier:
    """Talks to $NOTIFY_SOCKET when systemd set one; does nothing otherwise (run by hand, tests)."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.address = env.get("NOTIFY_SOCKET")
        usec = env.get("WATCHDOG_USEC")
        # Ping at half the watchdog period, as sd_watchdog_enabled(3) recommends.
        self.watchdog_interval = int(usec) / 2_000_000 if usec and usec.isdigit() else None
        self._socket: socket.socket | None = None

    def _send(self, message: str) -> None:
        if not self.address:
            return
        address = self.address
        if address.startswith("@"):
            address = "\0" + address[1:]  # an abstract-namespace socket
        if self._socket is None:
            self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        try:
            self._socket.sendto(message.encode(), address)
        except OSError as err:
            logger.warning("could not notify systemd (%s): %s", message.split("=")[0], err)

    def ready(self, status: str) -> None:
        """Tell systemd the hub is up."""
        self._send(f"READY=1\nSTATUS={status}")

    def watchdog(self) -> None:
        """Tell systemd the hub is alive and well."""
        self._send("WATCHDOG=1")

    def stopping(self) -> None:
        """Tell systemd a clean stop has begun."""
        self._send("STOPPING=1")

    def close(self) -> None:
        """Close the socket."""
        if self._socket is not None:
            self._socket.close()
            self._socket = None
