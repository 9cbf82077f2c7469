"""A trusted contact's page: the alerts sent to him or her, each with its event, and "I'm on it"."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.events import Event, Severity
from hub.incident import describe
from web.services import account, services

bp = Blueprint("alerts", __name__)


def _mine(contact: str) -> list[tuple[int, int, str, str | None, str | None]]:
    rows = services().log.execute(
        "SELECT DISTINCT outbox.id, outbox.seq, outbox.status, outbox.acked_by, outbox.acked_at FROM outbox "
        "JOIN deliveries ON deliveries.alert_id = outbox.id WHERE deliveries.contact = ? "
        "ORDER BY outbox.id DESC LIMIT 100", (contact,))
    return [(int(r[0]), int(r[1]), str(r[2]), r[3], r[4]) for r in rows]


@bp.route("/alerts")
def index() -> str:
    """Alerts this contact was sent (the owner sees every alert)."""
    who = account()
    log = services().log
    if who.role == "owner":
        rows = [(int(r[0]), int(r[1]), str(r[2]), r[3], r[4]) for r in log.execute(
            "SELECT id, seq, status, acked_by, acked_at FROM outbox ORDER BY id DESC LIMIT 100")]
    else:
        rows = _mine(who.contact or "")
    alerts = [(alert_id, log.event(seq), status, by, at) for alert_id, seq, status, by, at in rows]
    return render_template("alerts/index.html", alerts=alerts, describe=describe, message=request.args.get("done"))


@bp.route("/alerts/<int:alert_id>/ack", methods=["POST"])
def acknowledge(alert_id: int) -> Response:
    """A logged-in contact's "I'm on it" for an alert sent to them."""
    who = account()
    contact = who.contact or ""
    if who.role != "owner" and alert_id not in {row[0] for row in _mine(contact)}:
        abort(404)
    log = services().log
    rows = log.execute("SELECT acked_at, acked_by FROM outbox WHERE id = ?", (alert_id,))
    if not rows:
        abort(404)
    if rows[0][0] is not None:
        return redirect(url_for("alerts.index", done=f"Already acknowledged by {rows[0][1]}."))
    now = datetime.now(timezone.utc)
    by = contact or who.name
    log.execute("UPDATE outbox SET acked_at = ?, acked_by = ?, status = 'acked' WHERE id = ? AND acked_at IS NULL",
                (now.isoformat(timespec="microseconds"), by, alert_id))
    event = Event("alert.acknowledged", by, Severity.NOTICE, {"alert": alert_id, "contact": by, "name": who.name,
                                                             "via": "dashboard"}, at=now)
    log.submit_event(event)
    return redirect(url_for("alerts.index", done="Thank you: you are on it. Nobody else will be asked."))
