"""A trusted contact's page: the alerts sent to him or her, each with its event, and "I'm on it"."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from werkzeug.wrappers import Response

from hub.alerts.outbox import AlertSummary
from hub.alerts.status_words import status_words
from hub.contacts import ContactBook
from hub.incident import describe
from hub import kinds
from web.access import hidden_now
from web.services import account, ask_hub, NOT_YET_ANSWERED, services, told

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
    deliveries = services().outbox.deliveries_of([row.id for row in rows])
    book = ContactBook(services().config).current()
    if who.role == "owner":
        names = {cid: c.name or cid for cid, c in book.items()}
    else:  # a contact learns nothing about the others who help her
        names = {cid: ("you" if cid == who.contact else "another contact") for cid in book}
    alerts = [(row.id, log.event(row.seq), status_words(row, deliveries[row.id], names),
               row.status == "open" and not row.acked_by) for row in rows]
    return render_template("alerts/index.html", alerts=alerts, describe=describe)


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
    return told("alerts.index", answer.text if answer is not None else NOT_YET_ANSWERED)
