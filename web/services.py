"""What every dashboard page reaches for: the log, accounts, sessions, config, camera frames."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from flask import current_app, g, request
from pydantic import ValidationError

from hub.config import Config
from hub.log import IncidentLog
from web.accounts import Account, AccountStore
from web.sessions import SessionStore


class LiveFrame:
    """The newest frame of a camera and how old it is. The JPEG may be given as a function, so that pages
    that need only the age (health on the home page) never pay for encoding a picture."""

    def __init__(self, jpeg: bytes | Callable[[], bytes], age_seconds: float) -> None:
        self._jpeg = jpeg
        self.age_seconds = age_seconds

    @property
    def jpeg(self) -> bytes:
        """The picture, encoded on first use."""
        if callable(self._jpeg):
            self._jpeg = self._jpeg()
        return self._jpeg


FrameProvider = Callable[[str], LiveFrame | None]


@dataclass
class Services:
    """Built once in create_app; pages get it with ``services()``."""

    config: Config
    log: IncidentLog
    accounts: AccountStore
    sessions: SessionStore
    frames: FrameProvider


def services() -> Services:
    """The running app's services."""
    found: Services = current_app.extensions["porchlight"]
    return found


def account() -> Account:
    """The logged-in account (set by the login check before every private page)."""
    found: Account = g.account
    return found


def audit(kind: str, detail: Mapping[str, Any] | None = None, *, who: str | None = None) -> None:
    """Put a dashboard action on the record: who, from where, and what (``kind`` starts with access.)."""
    name = who if who is not None else (g.account.name if getattr(g, "account", None) else None)
    services().log.submit_command(kind, "dashboard", {"account": name, "address": request.remote_addr,
                                                      **(detail or {})})


def no_frames(camera_id: str) -> LiveFrame | None:
    """The frame provider when no camera is running (the dashboard alone, as in most tests)."""
    return None


def in_words(error: Exception) -> str:
    """A form's problems as plain sentences: ``field name: what is wrong``, joined by semicolons."""
    if isinstance(error, ValidationError):
        return "; ".join((f"{'.'.join(map(str, p['loc'])).replace('_', ' ')}: " if p["loc"] else "")
                         + p["msg"].removeprefix("Value error, ") for p in error.errors())
    return str(error)
