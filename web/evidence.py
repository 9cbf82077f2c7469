"""Evidence files by their SHA-256 (never by a name or path from the request)."""

from __future__ import annotations

import io

from flask import Blueprint, abort, request, send_file
from werkzeug.wrappers import Response

from hub.evidence import is_sha256
from hub.sealing import Locked
from web.access import may_see_evidence
from web.services import audit, services
from hub import kinds

bp = Blueprint("evidence", __name__)


@bp.route("/evidence/<sha256>")
def file(sha256: str) -> Response:
    """The original bytes, typed by their content; ``?download=1`` saves it (and is logged)."""
    # The digest is checked against a strict pattern before it goes near the file system.
    if not is_sha256(sha256) or not may_see_evidence(sha256):
        abort(404)
    store = services().log.evidence
    if not store.exists(sha256):
        abort(404)
    kind = store.file_type(sha256)
    download = request.args.get("download") == "1"
    if download:
        audit(kinds.ACCESS_EVIDENCE_VIEWED, {"sha256": sha256, "downloaded": True})
    name = f"{sha256[:16]}.{kind.ext if kind else 'bin'}"
    mime = kind.mime if kind else "application/octet-stream"
    if store.is_sealed_file(sha256):
        # Sealed on the card: opened for this unlocked session and checked against its name, never sent sealed
        # (a download of ciphertext under a "verified" hash would be useless to the police, and a lie).
        try:
            data = store.read(sha256)
        except Locked:
            abort(403)
        return send_file(io.BytesIO(data), mimetype=mime, as_attachment=download, download_name=name, max_age=0)
    return send_file(store.path_for(sha256), mimetype=mime, as_attachment=download, download_name=name,
                     conditional=True, max_age=0)
