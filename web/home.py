"""The home page (grows into arm controls, health and recent access with the dashboard issue)."""

from __future__ import annotations

from flask import Blueprint, render_template, session

bp = Blueprint("home", __name__)


@bp.route("/")
def index() -> str:
    """The home page."""
    return render_template("home/index.html", account=session.get("account"))
