"""Export: choose a range and incidents, watch the ZIP being built, download it."""

from __future__ import annotations

import logging
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for
from werkzeug.wrappers import Response

from hub.export import DISCOVERY_WARNING, ExportError, ExportRequest, ExportResult, build_export, incidents_between
from hub.incident import describe
from web.services import audit, services
from hub import kinds

logger = logging.getLogger(__name__)
bp = Blueprint("export", __name__)
JOB_ID = re.compile(r"[0-9a-f]{16}")


@dataclass
class Job:
    """One export being built in the background."""

    stage: str = "starting"
    fraction: float = 0.0
    result: ExportResult | None = None
    error: str | None = None
    redacted: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


_jobs: dict[str, Job] = {}


def _range() -> tuple[date, date, str | None]:
    today = date.today()
    try:
        start = date.fromisoformat(request.values.get("from") or str(today - timedelta(days=90)))
        end = date.fromisoformat(request.values.get("to") or str(today))
    except ValueError:
        return today - timedelta(days=90), today, "Dates must look like 2026-05-31; showing the last 90 days."
    return start, end, None


def _earlier() -> list[Path]:
    """Exports made before, newest first (the hub's own folder; names are the hub's own)."""
    folder = services().config.data_dir / "exports"
    return sorted(folder.glob("porchlight-export-*.zip"), reverse=True) if folder.is_dir() else []


@bp.route("/export")
def index() -> str:
    """The range, the incidents in it (all ticked), the redaction choice, the warning, earlier exports."""
    start, end, problem = _range()
    found = incidents_between(services().log, start, end, limit=20000)
    return render_template("export/index.html", start=start, end=end, incidents=found, describe=describe,
                           warning=DISCOVERY_WARNING, error=problem, earlier=_earlier())


@bp.route("/export", methods=["POST"])
def start() -> Response | tuple[str, int]:
    """Start building; the next page shows progress."""
    start_date, end_date, problem = _range()
    seqs = tuple(int(s) for s in request.form.getlist("seq") if s.isdigit())
    if problem or not seqs:
        return render_template("error.html", title="Nothing to export",
                               problem=problem or "Tick at least one incident to export."), 400
    redacted = request.form.get("redacted") == "on"
    job_id = secrets.token_hex(8)
    job = Job(redacted=redacted)
    _jobs[job_id] = job
    found = services()
    who = {"account": "owner", "address": request.remote_addr}

    def progress(stage: str, fraction: float) -> None:
        with job.lock:
            job.stage, job.fraction = stage, fraction

    def run() -> None:
        try:
            result = build_export(found.log, found.config,
                                  ExportRequest(seqs, start_date, end_date, redacted),
                                  found.config.data_dir / "exports", progress)
        except (ExportError, OSError) as err:
            with job.lock:
                job.error = str(err)
            return
        except Exception as err:  # the page must say it failed rather than spin for ever
            logger.exception("export %s failed", job_id)
            with job.lock:
                job.error = f"an unexpected error ({type(err).__name__}: {err}); the log is unchanged"
            return
        with job.lock:
            job.result = result
        found.commands.submit_command(kinds.ACCESS_EXPORT, "dashboard", {
            **who, "incidents": result.incidents, "files": result.files, "redacted": redacted,
            "from": str(start_date), "to": str(end_date), "zip_sha256": result.sha256, "zip": result.path.name})

    threading.Thread(target=run, name=f"export-{job_id}", daemon=True).start()
    return redirect(url_for("export.status", job_id=job_id))


def _job(job_id: str) -> Job:
    job = _jobs.get(job_id) if JOB_ID.fullmatch(job_id) else None
    if job is None:
        abort(404)
    return job


@bp.route("/export/<job_id>")
def status(job_id: str) -> str:
    """Progress (the page reloads itself each second until done), then the download."""
    job = _job(job_id)
    with job.lock:
        return render_template("export/status.html", job=job, job_id=job_id, warning=DISCOVERY_WARNING,
                               percent=int(job.fraction * 100), key_print=services().log.key.fingerprint)


@bp.route("/export/<job_id>/download")
def download(job_id: str) -> Response:
    """The finished ZIP (its path is the server's own record, never from the request)."""
    job = _job(job_id)
    if job.result is None:
        abort(404)
    audit(kinds.ACCESS_EXPORT, {"downloaded": job.result.path.name, "zip_sha256": job.result.sha256})
    return send_file(job.result.path, mimetype="application/zip", as_attachment=True,
                     download_name=job.result.path.name)


@bp.route("/export/earlier/<int:number>")
def earlier(number: int) -> Response:
    """An earlier export, by its place in the list (never by a name from the request)."""
    found = _earlier()
    if not 0 <= number < len(found):
        abort(404)
    audit(kinds.ACCESS_EXPORT, {"downloaded": found[number].name})
    return send_file(found[number], mimetype="application/zip", as_attachment=True, download_name=found[number].name)
