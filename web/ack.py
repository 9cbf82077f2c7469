"""The signed "I'm on it" link in every alert: public, one use, no login needed."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from hub.alerts.acks import AckSigner
from hub.errors import InputRejected
from hub import kinds
from web.services import NOT_YET_ANSWERED, ask_hub, services

bp = Blueprint("ack", __name__)
_INVALID = "This acknowledgement link is not valid."


@bp.route("/ack/<token>", methods=["GET", "POST"])
def acknowledge(token: str) -> tuple[str, int]:
    """GET shows a button (link previews in chat apps must not acknowledge); POST asks the hub to acknowledge."""
    if len(token) > 512:
        return render_template("ack.html", done=None, problem=_INVALID), 400
    if request.method == "GET":
        return render_template("ack.html", done=None, problem=None), 200
    try:
        # Checked here too, so a forged link never reaches the queue; the hub checks it again.
        AckSigner(services().config.data_dir / "keys").verify(token)
    except InputRejected:
        return render_template("ack.html", done=None, problem=_INVALID), 400
    answer = ask_hub(kinds.ALERT_ACK_REQUESTED, {"token": token, "via": "link"})
    if answer is None:
        return render_template("ack.html", done=None, problem=NOT_YET_ANSWERED), 202
    if not answer.ok:
        return render_template("ack.html", done=None, problem=answer.text), 400
    return render_template("ack.html", done=answer.text, problem=None), 200
