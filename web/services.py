"""What every dashboard page reaches for: the log, accounts, sessions, config, camera frames."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from flask import current_app, g, request
from pydantic import ValidationError

from hub.config import Config
from hub.frames import FrameProvider
from hub.log import IncidentLog
from hub.accounts import Account, AccountStore
from hub.sessions import SessionStore




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


def in_words(error: Exception) -> str:
    """A form's problems as plain sentences: ``field name: what is wrong``, joined by semicolons."""
    if isinstance(error, ValidationError):
        return "; ".join((f"{'.'.join(map(str, p['loc'])).replace('_', ' ')}: " if p["loc"] else "")
                         + p["msg"].removeprefix("Value error, ") for p in error.errors())
    return str(error)
