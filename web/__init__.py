"""The LAN dashboard (Flask application factory). Pages arrive with the dashboard issue."""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the dashboard app; it has no routes yet, so it exposes nothing."""
    app = Flask(__name__)
    if config:
        app.config.update(config)
    return app
