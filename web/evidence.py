"""Evidence files by their SHA-256 (never by a name or path from the request)."""

from __future__ import annotations

import json

from flask import Blueprint, abort, request, send_file
from werkzeug.wrappers import Response

from hub.evidence import is_sha256
from hub.filetypes import sniff
from web.services import account, audit, services

bp = Blueprint("evidence", __name__)


def _contact_may_see(sha256: str) -> bool:
    """A contact sees a file only when it belongs to an event he or she was alerted about."""
    who = account()
    if who.role == "owner":
        return True
    rows = services().log.execute(
        "SELECT log.content FROM outbox JOIN deliveries ON deliveries.alert_id = outbox.id "
        "JOIN log ON log.seq = outbox.seq WHERE deliveries.contact = ?", (who.contact or "",))
    return any(sha256 in json.loads(content).get("evidence", []) for (content,) in rows)


@bp.route("/evidence/<sha256>")
def file(sha256: str) -> Response:
    """The original bytes, typed by their content; ``?download=1`` saves it (and is logged)."""
    # The digest is checked against a strict pattern before it goes near the file system.
    if not is_sha256(sha256) or not _contact_may_see(sha256):
        abort(404)
    store = services().log.evidence
    if not store.exists(sha256):
        abort(404)
    path = store.path_for(sha256)
    with path.open("rb") as handle:
        kind = sniff(handle.read(64))
    download = request.args.get("download") == "1"
    if download:
        audit("access.evidence_viewed", {"sha256": sha256, "downloaded": True})
    name = f"{sha256[:16]}.{kind.ext if kind else 'bin'}"
    return send_file(path, mimetype=kind.mime if kind else "application/octet-stream", as_attachment=download,
                     download_name=name, conditional=True, max_age=0)
