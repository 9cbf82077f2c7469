"""The signed "I'm on it" link in every alert: public, one use, no login needed."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from hub.clock import SystemClock
from hub.delivery import Deliveries
from hub.errors import InputRejected
from web.services import services

bp = Blueprint("ack", __name__)


@bp.route("/ack/<token>", methods=["GET", "POST"])
def acknowledge(token: str) -> tuple[str, int]:
    """GET shows a button (link previews in chat apps must not acknowledge); POST acknowledges."""
    if len(token) > 512:
        return render_template("ack.html", done=None, problem="This acknowledgement link is not valid."), 400
    if request.method == "GET":
        return render_template("ack.html", done=None, problem=None), 200
    found = services()
    try:
        done = Deliveries(found.log, found.config, SystemClock(), found.log.submit_event).acknowledge(token)
    except InputRejected as err:
        return render_template("ack.html", done=None, problem=str(err).capitalize() + "."), 400
    return render_template("ack.html", done=done, problem=None), 200
