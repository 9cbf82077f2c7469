"""A trusted contact's page: the alerts sent to him or her, each with its event, and "I'm on it"."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.clock import SystemClock
from hub.delivery import Deliveries
from hub.errors import InputRejected
from hub.incident import describe
from web.services import account, services

bp = Blueprint("alerts", __name__)


def _alerts(contact: str | None) -> list[tuple[int, int, str, str | None, str | None]]:
    """The newest 100 alerts (id, row, status, acknowledged by, when): all, or those sent to one contact."""
    where, args = ("JOIN deliveries ON deliveries.alert_id = outbox.id WHERE deliveries.contact = ? ", (contact,)) \
        if contact is not None else ("", ())
    rows = services().log.execute(
        "SELECT DISTINCT outbox.id, outbox.seq, outbox.status, outbox.acked_by, outbox.acked_at FROM outbox "
        + where + "ORDER BY outbox.id DESC LIMIT 100", args)
    return [(int(r[0]), int(r[1]), str(r[2]), r[3], r[4]) for r in rows]


@bp.route("/alerts")
def index() -> str:
    """Alerts this contact was sent (the owner sees every alert)."""
    who = account()
    log = services().log
    rows = _alerts(None if who.role == "owner" else who.contact or "")
    alerts = [(alert_id, log.event(seq), status, by, at) for alert_id, seq, status, by, at in rows]
    return render_template("alerts/index.html", alerts=alerts, describe=describe, message=request.args.get("done"))


@bp.route("/alerts/<int:alert_id>/ack", methods=["POST"])
def acknowledge(alert_id: int) -> Response:
    """A logged-in contact's "I'm on it" for an alert sent to them."""
    who = account()
    contact = who.contact or ""
    if who.role != "owner" and alert_id not in {row[0] for row in _alerts(contact)}:
        abort(404)
    found = services()
    deliveries = Deliveries(found.log, found.config, SystemClock(), found.log.submit_event)
    try:
        done = deliveries.acknowledge_as(alert_id, contact or who.name, who.name, via="dashboard")
    except InputRejected as err:
        return redirect(url_for("alerts.index", done=str(err).capitalize() + "."))
    return redirect(url_for("alerts.index", done=done))
