"""What every dashboard page reaches for: the log, the command queue, accounts, sessions, config, camera frames."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from flask import current_app, flash, g, redirect, render_template, request, url_for
from pydantic import ValidationError
from werkzeug.wrappers import Response

from hub.config import Config
from hub.frames import FrameProvider
from hub.alerts.outbox import Outbox
from hub.command_queue import Answer, CommandQueue
from hub.log import IncidentLog
from hub.state import StateStore
from hub.accounts import Account, AccountStore
from hub.sessions import SessionStore


@dataclass
class Services:
    """Built once in create_app; pages get it with ``services()``."""

    config: Config
    log: IncidentLog  # read only: what the dashboard does goes through ``commands``
    commands: CommandQueue
    state: StateStore
    outbox: Outbox  # read only: acknowledgements are commands too
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
    services().commands.submit_command(kind, "dashboard", {"account": name, "address": request.remote_addr,
                                                      **(detail or {})})


def ask_hub(kind: str, detail: Mapping[str, Any]) -> Answer | None:
    """Queue a command a part of the hub answers (an acknowledgement) and wait, briefly, for its answer.

    None means the hub has not answered in time (it may be stopped): the command stays queued, and the
    page must say so rather than claim it is done.
    """
    queue = services().commands
    command_id = queue.submit_command(kind, "dashboard", dict(detail))
    taken = queue.wait_taken(command_id, float(current_app.config["COMMAND_WAIT_SECONDS"]))
    return taken.answer if taken is not None else None


NOT_YET_ANSWERED = ("Your answer is saved, but the hub has not confirmed it yet, so the others may still be "
                    "asked. If you are going, tell them yourself too.")


def sentence(text: object) -> str:
    """``text`` with a capital first letter (and nothing else changed: "wrong PIN" stays "Wrong PIN")."""
    words = str(text)
    return words[:1].upper() + words[1:]


def in_words(error: Exception) -> str:
    """A form's problems as plain sentences: ``field name: what is wrong``, joined by semicolons."""
    if isinstance(error, ValidationError):
        return "; ".join((f"{'.'.join(map(str, p['loc'])).replace('_', ' ')}: " if p["loc"] else "")
                         + p["msg"].removeprefix("Value error, ") for p in error.errors())
    return str(error)


def unless_confirmed(what: str, consequence: str, back: str) -> tuple[str, int] | None:
    """A removal asks once more (a slip of the finger must not take away a contact or his photo):
    None once she has confirmed, else the page that asks, posting to the same address."""
    if request.form.get("confirmed") == "yes":
        return None
    return render_template("confirm.html", what=what, consequence=consequence, action=request.path,
                           back=url_for(back)), 200


def told(endpoint: str, text: str, *, alarm: bool = False, **values: Any) -> Response:
    """Go to a page that shows ``text`` once (``alarm``: as a warning).

    The words travel in her session, never in the address: nobody can send her a link that makes
    her own dashboard say that help is on its way.
    """
    flash(text, "alarm" if alarm else "message")
    return redirect(url_for(endpoint, **values))
