"""Check-in: "I'm walking home, 30 minutes". If she does not check in, her contacts are told."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import Blueprint, render_template, request
from werkzeug.wrappers import Response

from hub.commands import PinCheck, checkin_request
from web.services import sentence, services, told
from hub import kinds

bp = Blueprint("checkin", __name__)


def _due() -> datetime | None:
    """When the running timer runs out, if one is running."""
    log = services().log
    latest = log.events(kind="checkin.*", newest_first=True, limit=20)
    pending = [e for _, e in services().commands.pending_commands() if e.kind.startswith("checkin.")]
    for event in pending[::-1] + list(latest):
        if event.kind == kinds.CHECKIN_START:
            return event.at + timedelta(minutes=float(event.detail.get("minutes", 0)))
        if event.kind in (kinds.CHECKIN_DONE, kinds.CHECKIN_MISSED):
            return None
    return None


@bp.route("/checkin")
def index() -> str:
    """The running timer, and the buttons."""
    due = _due()
    now = datetime.now(timezone.utc)
    return render_template("checkin/index.html", due=due, overdue=due is not None and due < now)


@bp.route("/checkin/start", methods=["POST"])
def start() -> Response:
    """Start a timer of 5 minutes to 24 hours."""
    try:
        minutes = float(request.form.get("minutes", ""))
    except ValueError:
        minutes = 0
    if not 5 <= minutes <= 24 * 60:
        return told("checkin.index", "Choose between 5 minutes and 24 hours.")
    services().commands.submit_command(kinds.CHECKIN_START, "dashboard", {"minutes": minutes})
    return told("checkin.index", f"Timer started: check in within {minutes:g} minutes.")


@bp.route("/checkin/done", methods=["POST"])
def done() -> Response:
    """Check in with the PIN; the duress PIN looks the same and silently alerts everyone."""
    found = services()
    outcome = checkin_request(PinCheck(found.config.arming, found.state), request.form.get("pin"), "dashboard",
                              datetime.now(timezone.utc))
    for event in outcome.events:
        found.commands.submit_event(event)
    text = ("Checked in. Thank you." if outcome.response["ok"]
            else f"{sentence(outcome.response['error'])}: not checked in.")
    return told("checkin.index", text)
