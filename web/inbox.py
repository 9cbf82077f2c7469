"""The demo's Inbox: what its one contact received, as their phone would show it (make demo only)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from hub.demo_inbox import read_inbox
from web.services import services

bp = Blueprint("inbox", __name__)


@bp.route("/inbox")
def index() -> str:
    """The messages, newest first; a hub without the demo inbox has no such page."""
    messages = read_inbox(services().config.data_dir)
    if messages is None:
        abort(404)
    return render_template("inbox/index.html", messages=messages)
