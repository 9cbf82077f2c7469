"""Unlocking a sealed hub's records on the dashboard: her passphrase opens them until the last owner session ends."""

from __future__ import annotations

import threading
import time

from flask import Blueprint, Flask, current_app, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.sealing import WrongPassphrase
from hub.sessions import key_of
from web.services import Services, audit, services
from hub import kinds

bp = Blueprint("sealed", __name__)
# Pages that show what the hub holds: while sealed and locked they ask for the passphrase first.
READING_BLUEPRINTS = frozenset({"incidents", "evidence", "export", "concern", "sheet"})
LOCK_CHECK_SECONDS = 15.0


def _safe_next(target: str | None) -> str:
    # Only a path on this dashboard: never an address elsewhere.
    return target if target and target.startswith("/") and not target.startswith("//") else url_for("home.index")


def _unlocked(app: Flask) -> set[str]:
    """The sessions (by stored key) that gave the passphrase: only they read, however many are logged in."""
    found: set[str] = app.extensions.setdefault("porchlight_unlocked", set())
    return found


def session_may_read(owner: bool = True) -> bool:
    """Whether this session may read sealed records: the owner's once it gave the passphrase; a trusted
    contact's while she has them open (always, on a hub that is not sealed)."""
    log = services().log
    if log.sealing is None:
        return True
    if log.locked:
        return False
    return not owner or key_of(str(g.get("sid", ""))) in _unlocked(current_app)


def try_unlock(passphrase: str, sid: str) -> bool:
    """Open the sealed records for session ``sid`` with her passphrase; False (and nothing opened) if wrong."""
    log = services().log
    failures: _Failures = current_app.extensions.setdefault("porchlight_unlock_failures", _Failures())
    with _checking:  # one argon2 unwrap at a time, each costing 64 MiB
        wait = failures.wait_seconds()
        if wait:
            time.sleep(min(wait, 10.0))
        try:
            log.unlock(passphrase)
        except WrongPassphrase:
            count = failures.failed()
            if count % 20 == 1:  # the first, then every 20th: a run of guesses is a few rows
                audit(kinds.ACCESS_UNLOCK_FAILED, {"wrong_so_far": count})
            return False
    failures.clear()
    _unlocked(current_app).add(key_of(sid))
    audit(kinds.ACCESS_UNLOCKED, {})
    return True


class _Failures:
    """Wrong passphrases in a row: after three, each try waits longer (up to a minute)."""

    def __init__(self) -> None:
        self.count = 0

    def failed(self) -> int:
        self.count += 1
        return self.count

    def clear(self) -> None:
        self.count = 0

    def wait_seconds(self) -> float:
        return 0.0 if self.count < 3 else min(60.0, 2.0 ** (self.count - 3))


_checking = threading.Lock()


@bp.route("/unlock", methods=["GET", "POST"])
def unlock() -> str | Response | tuple[str, int]:
    """The passphrase form; the records stay sealed on a wrong one, and nothing of them is shown."""
    target = _safe_next(request.values.get("next"))
    if session_may_read():
        return redirect(target)
    error = "The passphrase given with the login was wrong: the records stay sealed." if request.args.get("wrong") \
        else None
    if request.method == "POST":
        if try_unlock(request.form.get("passphrase", "")[:1024], str(g.get("sid", ""))):
            return redirect(target)
        error = "That passphrase does not open this hub's sealed records. Nothing was shown."
    return render_template("sealed/unlock.html", error=error, next=target), 401 if error else 200


def lock_if_nobody_is_in(found: Services) -> None:
    """Seal the records again once no owner session is open (logged out, quick exit, or idle)."""
    if found.log.sealing is None or found.log.locked:
        return
    unlocked = _unlocked(current_app)
    unlocked &= {s.id for s in found.sessions.open_sessions()}  # sessions ended, or idle, read no more
    if not unlocked:
        found.log.lock()


def watch_idle(app: Flask) -> None:
    """A background check, so that an idle session locks the records even if no page is asked for."""
    found: Services = app.extensions["porchlight"]

    def run() -> None:
        while True:
            time.sleep(LOCK_CHECK_SECONDS)
            try:
                with app.app_context():
                    lock_if_nobody_is_in(found)
            except Exception:  # the check must never die: the next round tries again
                app.logger.exception("checking whether to seal the records again failed")

    threading.Thread(target=run, name="seal-when-idle", daemon=True).start()
