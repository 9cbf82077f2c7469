"""Unlocking a sealed hub's records on the dashboard: her passphrase opens them until the last owner session ends."""

from __future__ import annotations

import threading
import time

from flask import Blueprint, Flask, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.sealing import WrongPassphrase
from web.services import Services, audit, services
from hub import kinds

bp = Blueprint("sealed", __name__)
# Pages that show what the hub holds: while sealed and locked they ask for the passphrase first.
READING_BLUEPRINTS = frozenset({"incidents", "evidence", "export", "concern"})
LOCK_CHECK_SECONDS = 15.0


def _safe_next(target: str | None) -> str:
    # Only a path on this dashboard: never an address elsewhere.
    return target if target and target.startswith("/") and not target.startswith("//") else url_for("home.index")


def try_unlock(passphrase: str) -> bool:
    """Open the dashboard's view of the sealed records with her passphrase; False (and nothing opened) if wrong."""
    log = services().log
    try:
        log.unlock(passphrase)
    except WrongPassphrase:
        return False
    audit(kinds.ACCESS_UNLOCKED, {})
    return True


@bp.route("/unlock", methods=["GET", "POST"])
def unlock() -> str | Response | tuple[str, int]:
    """The passphrase form; the records stay sealed on a wrong one, and nothing of them is shown."""
    target = _safe_next(request.values.get("next"))
    if not services().log.locked:
        return redirect(target)
    error = "The passphrase given with the login was wrong: the records stay sealed." if request.args.get("wrong") \
        else None
    if request.method == "POST":
        if try_unlock(request.form.get("passphrase", "")[:1024]):
            return redirect(target)
        error = "That passphrase does not open this hub's sealed records. Nothing was shown."
    return render_template("sealed/unlock.html", error=error, next=target), 401 if error else 200


def lock_if_nobody_is_in(found: Services) -> None:
    """Seal the records again once no owner session is open (logged out, quick exit, or idle)."""
    if found.log.sealing is None or found.log.locked:
        return
    owners = [s for s in found.sessions.open_sessions()
              if (who := found.accounts.get(s.account)) is not None and who.role == "owner"]
    if not owners:
        found.log.lock()


def watch_idle(app: Flask) -> None:
    """A background check, so that an idle session locks the records even if no page is asked for."""
    found: Services = app.extensions["porchlight"]

    def run() -> None:
        while True:
            time.sleep(LOCK_CHECK_SECONDS)
            try:
                lock_if_nobody_is_in(found)
            except Exception:  # the check must never die: the next round tries again
                app.logger.exception("checking whether to seal the records again failed")

    threading.Thread(target=run, name="seal-when-idle", daemon=True).start()
