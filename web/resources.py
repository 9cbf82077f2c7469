"""Safety resources: hotlines and safety-planning pointers, in this project's own words."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("resources", __name__)


@bp.route("/help")
def index() -> str:
    """The safety resources page (contacts may read it too)."""
    return render_template("resources/index.html")
