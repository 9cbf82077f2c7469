"""A trusted contact's page: the alerts sent to him or her, each with its event, and "I'm on it"."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.alerts.outbox import AlertSummary
from hub.incident import describe
from hub import kinds
from web.access import hidden_now
from web.services import NOT_YET_ANSWERED, account, ask_hub, services

bp = Blueprint("alerts", __name__)


def _alerts(contact: str | None) -> list[AlertSummary]:
    """The newest 100 alerts: all, or those sent to one contact."""
    return services().outbox.summaries(contact, limit=100)


@bp.route("/alerts")
def index() -> str:
    """Alerts this contact was sent (the owner sees every alert)."""
    who = account()
    log = services().log
    rows = _alerts(None if who.role == "owner" else who.contact or "")
    if who.role == "owner":  # her contacts see the duress alert they were sent; her screen does not, yet
        hidden = hidden_now()
        rows = [row for row in rows if row.seq not in hidden]
    alerts = [(row.id, log.event(row.seq), row.status, row.acked_by, row.acked_at) for row in rows]
    return render_template("alerts/index.html", alerts=alerts, describe=describe, message=request.args.get("done"))


@bp.route("/alerts/<int:alert_id>/ack", methods=["POST"])
def acknowledge(alert_id: int) -> Response:
    """A logged-in contact's "I'm on it" for an alert sent to them; the hub records it and answers."""
    who = account()
    contact = who.contact or ""
    if alert_id not in {row.id for row in _alerts(None if who.role == "owner" else contact)
                        if who.role != "owner" or row.seq not in hidden_now()}:
        abort(404)
    answer = ask_hub(kinds.ALERT_ACK_REQUESTED, {"alert": alert_id, "contact": contact or who.name,
                                                 "name": who.name, "via": "dashboard"})
    return redirect(url_for("alerts.index", done=answer.text if answer is not None else NOT_YET_ANSWERED))
