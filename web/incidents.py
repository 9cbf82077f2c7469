"""The incident timeline with filters and pattern charts, and one incident in full."""

from __future__ import annotations

import re

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from flask import Blueprint, abort, render_template, request
from markupsafe import Markup
from werkzeug.wrappers import Response

from hub.chain import CHECKPOINT_KIND, GENESIS, row_problem
from hub.config import Config
from hub.events import Event, LoggedEvent
from hub.incident import category_of, describe, follows_up, incident_id, is_clip_of
from web import charts
from web.access import hidden_now, may_see_event
from web.services import audit, services, told
from hub import kinds
from hub.viewable import needs_copy

bp = Blueprint("incidents", __name__)

MAX_ROWS = 5000


@dataclass(frozen=True)
class Filters:
    """The timeline's filters, parsed from the query string (bad values are ignored and said so)."""

    kind: str = ""
    source: str = ""
    category: str = ""
    start: date | None = None
    end: date | None = None
    problem: str | None = None

    @classmethod
    def from_args(cls) -> "Filters":
        args = request.args
        problems = []
        dates: list[date | None] = []
        for name in ("from", "to"):
            value = args.get(name, "").strip()
            try:
                dates.append(date.fromisoformat(value) if value else None)
            except ValueError:
                problems.append(f"{name} date {value!r} is not a date like 2026-05-31; it was ignored")
                dates.append(None)
        kind = args.get("kind", "")
        category = args.get("category", "")
        if kind and kind not in kinds.INCIDENT_KINDS:
            problems.append(f"kind {kind!r} is not one the timeline knows; it was ignored")
            kind = ""
        if category and category not in kinds.CATEGORIES:
            problems.append(f"category {category!r} is not known; it was ignored")
            category = ""
        return cls(kind, args.get("source", "")[:64], category, dates[0], dates[1], "; ".join(problems) or None)

    def matches(self, event: LoggedEvent) -> bool:
        local = event.at.astimezone().date()
        return ((not self.kind or event.kind == self.kind) and (not self.source or event.source == self.source)
                and (not self.category or category_of(event) == self.category)
                and (self.start is None or local >= self.start) and (self.end is None or local <= self.end))


def incidents(filters: Filters) -> list[LoggedEvent]:
    """Incidents matching the filters, newest first."""
    since = (datetime.combine(filters.start, time.min).astimezone() - timedelta(days=1)) if filters.start else None
    wanted = [filters.kind] if filters.kind else list(kinds.INCIDENT_KINDS)
    rows = services().log.events(since=since, newest_first=True, kinds=wanted,
                                 source=filters.source or None, limit=MAX_ROWS * 2)
    hidden = hidden_now()
    return [e for e in rows if filters.matches(e) and e.seq not in hidden][:MAX_ROWS]


def vehicle_verdicts(start: date | None) -> dict[str, set[int]]:
    """The vehicle sightings she confirmed and rejected (by row), from the filter's first day on."""
    since = datetime.combine(start, datetime.min.time()).astimezone() if start else None
    verdicts: dict[str, set[int]] = {"confirmed": set(), "rejected": set()}
    for kind, key in ((kinds.VEHICLE_CONFIRMED, "confirmed"), (kinds.VEHICLE_REJECTED, "rejected")):
        for row in services().log.events(since=since, kind=kind):
            if isinstance(row.detail.get("match_seq"), int):
                verdicts[key].add(int(row.detail["match_seq"]))
    return verdicts


@bp.route("/incidents")
def index() -> str:
    """The timeline, its filters, and three pattern charts over the same selection."""
    filters = Filters.from_args()
    found = incidents(filters)
    verdicts = vehicle_verdicts(filters.start)
    weekly: dict[date, Counter[str]] = defaultdict(Counter)
    passes: Counter[date] = Counter()
    for event in found:
        local = event.at.astimezone().date()
        weekly[local - timedelta(days=local.weekday())][category_of(event)] += 1
        if event.kind == kinds.VEHICLE_MATCH and event.seq not in verdicts["rejected"] or \
                event.kind == kinds.VEHICLE_POSSIBLE and event.seq in verdicts["confirmed"]:
            passes[local] += 1  # a drive-by rests on the plate or on her word, never on the look alone
    today = datetime.now(timezone.utc).astimezone().date()
    first = filters.start or (min(passes) if passes else today - timedelta(days=29))
    sources = sorted({e.source for e in found})
    return render_template(
        "incidents/index.html", events=found, filters=filters, describe=describe, category_of=category_of,
        kind_choices=sorted(kinds.INCIDENT_KINDS, key=lambda k: kind_words(k).lower()), kind_words=kind_words,
        source_words=source_words(services().config), categories=kinds.CATEGORIES, sources=sources,
        error=filters.problem,
        heatmap=Markup(charts.heatmap([e.at for e in found])),
        weekly=Markup(charts.stacked_weeks(weekly, kinds.CATEGORIES)),
        passes=Markup(charts.daily_bars(passes, first, filters.end or today)))


def kind_words(kind: str) -> str:
    """A kind in plain words (the registry's), never its machine name where words exist."""
    entry = kinds.about(kind)
    text = re.sub(r"\s+(at|by|near|from)$", "", entry.words.split("{")[0].strip(" :"))
    text = text or entry.short or kinds.CHOICE_WORDS.get(kind) or kind
    return text[:1].upper() + text[1:]


def source_words(config: Config) -> dict[str, str]:
    """Each sensor's and camera's label, for lists that would otherwise show ids like back_door."""
    labels = {sid: s.label or sid.replace("_", " ").capitalize() for sid, s in config.sensors.items()}
    labels.update({cid: c.label or cid.replace("_", " ").capitalize() for cid, c in config.cameras.items()})
    return labels


@dataclass(frozen=True)
class EvidenceView:
    """One evidence file on the detail page."""

    sha256: str
    size: int | None
    mime: str
    shown_as: str
    problem: str | None
    name: str = ""
    shown_sha256: str = ""  # what the page shows: the file itself, or its viewable copy
    copy_note: str = ""  # how the copy was made, or why there is none (yet)


def _copies() -> dict[str, LoggedEvent | Event]:
    """Each parent's viewable-copy row (recorded, or still waiting for the hub), newest last."""
    found = services()
    rows: list[LoggedEvent | Event] = [*found.log.events(kind=kinds.EVIDENCE_COPY)]
    rows += [event for _, event in found.commands.pending_commands() if event.kind == kinds.EVIDENCE_COPY]
    return {str(row.detail.get("parent")): row for row in rows}


def _evidence(shas: tuple[str, ...], names: dict[str, str]) -> list[EvidenceView]:
    store = services().log.evidence
    views = []
    copies: dict[str, LoggedEvent | Event] | None = None
    for sha in shas:
        path = store.path_for(sha)
        if not path.exists():
            views.append(EvidenceView(sha, None, "", "missing", "missing from the evidence store"))
            continue
        kind = store.file_type(sha)
        shown, shown_as, note = sha, kind.shown_as if kind else "document", ""
        if needs_copy(kind):
            copies = _copies() if copies is None else copies
            row = copies.get(sha)
            if row is None:
                shown_as, note = "document", "A viewable copy is being made; reload in a moment."
            elif row.evidence:
                shown = row.evidence[0]
                note = f"Shown: a viewable copy ({row.detail.get('to_type')}) made by {row.detail.get('made_with')}."
            else:
                shown_as, note = "document", f"No viewable copy: {row.detail.get('problem')}. Download the original."
        views.append(EvidenceView(sha, path.stat().st_size, kind.mime if kind else "application/octet-stream",
                                  shown_as, store.check(sha), names.get(sha, ""), shown, note))
    return views


def _chain_status(seq: int) -> tuple[bool, str]:
    """Whether this row still checks out in the chain, and whether a signed checkpoint covers it."""
    log = services().log
    key = log.key.public_b64

    def problem(at: int) -> str | None:
        row, previous = log.raw_row(at), log.raw_row(at - 1)
        if row is None:
            return f"row {at} is missing"
        found = row_problem(row, at, previous.hash if previous else GENESIS, key)
        return found[1] if found else None

    wrong = problem(seq)
    if wrong is not None:
        return False, f"This row does not check out: {wrong}."
    later = log.next_of_kind(CHECKPOINT_KIND, seq)
    if later is None:
        return True, "The row's hash is intact. No signed checkpoint covers it yet (one is made within minutes)."
    wrong = problem(later)
    if wrong is not None:
        return False, f"The checkpoint after this row does not check out: {wrong}."
    point = log.event(later)
    assert point is not None
    return True, f"The row's hash is intact and covered by the signed checkpoint of {str(point.detail['at'])[:19]} UTC."


@bp.route("/incidents/<int:seq>")
def detail(seq: int) -> str:
    """One row in full: what, when, evidence with hashes, verification, follow-ups."""
    log = services().log
    event = log.event(seq)
    if event is None or not may_see_event(seq):
        abort(404)
    follow_ups = [e for e in log.events(since=event.at - timedelta(days=1)) if follows_up(e) == seq]
    ok, chain = _chain_status(seq)
    listed = [*event.detail.get("attachments", []), *event.detail.get("photos", []), *event.detail.get("documents", [])]
    names = {str(a.get("sha256")): str(a.get("name", "")) for a in listed if isinstance(a, dict)}
    clips = [c for c in log.events(kind=kinds.CAMERA_CLIP, since=event.at - timedelta(minutes=1), limit=500)
             if is_clip_of(c, incident_id(event))]
    for clip in clips:
        names.update({sha: f"clip from {clip.source} (row {clip.seq})" for sha in clip.evidence})
    evidence = _evidence(event.evidence + tuple(sha for clip in clips for sha in clip.evidence), names)
    if evidence:
        audit(kinds.ACCESS_EVIDENCE_VIEWED, {"seq": seq, "files": len(evidence)})
    return render_template("incidents/detail.html", event=event, evidence=evidence, chain_ok=ok, chain=chain,
                           follow_ups=follow_ups, describe=describe,
                           fields=_fields(event))


def _fields(event: LoggedEvent) -> list[tuple[str, str]]:
    """The detail as label/value pairs, skipping machine-only values (face encodings)."""
    out = []
    for key, value in event.detail.items():
        if key in ("encoding", "attachments", "photos") or value in (None, "", [], {}):
            continue
        if isinstance(value, (dict, list)):
            value = ", ".join(f"{k}: {v}" for k, v in value.items()) if isinstance(value, dict) else \
                "; ".join(str(v) for v in value)
        out.append((key.replace("_", " "), str(value)))
    return out


@bp.route("/incidents/<int:seq>/note", methods=["POST"])
def note(seq: int) -> Response:
    """Add narrative or a correction: a new row pointing at this one (the original never changes)."""
    log = services().log
    if log.event(seq) is None or not may_see_event(seq):
        abort(404)
    text = request.form.get("text", "").strip()
    kind = request.form.get("type", "narrative")
    if not text or len(text) > 20_000 or kind not in ("narrative", "correction"):
        return told("incidents.detail", "Write the text first (up to 20,000 characters).", seq=seq)
    services().commands.submit_command(kinds.LOG_CORRECTION, "owner", {"corrects": seq, "text": text, "type": kind})
    return told("incidents.detail", f"Your {kind} was added; the original stays as it was.", seq=seq)


@bp.route("/incidents/<int:seq>/review", methods=["POST"])
def review(seq: int) -> Response:
    """Confirm or reject a face or vehicle match; a rejected face teaches the matcher not to repeat it."""
    found = services()
    event = found.log.event(seq)
    verdict = request.form.get("verdict", "")
    if event is None or event.kind not in kinds.REVIEWABLE_KINDS or verdict not in ("confirm", "reject"):
        abort(404)
    from hub.vision.enrol import review as verdict_on

    recorded = verdict_on(found.config, event, verdict, request.form.get("note", "")[:2000] or None)
    found.commands.submit_event(recorded)
    return told("incidents.detail", f"Match {recorded.kind.split('.')[1]}.", seq=seq)
