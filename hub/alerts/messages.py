"""What an alert says: what happened, where, when (local time), the score; discreet when asked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Mapping

from hub.events import JsonValue
from hub import kinds

DISCREET_TITLE = "Home update"
DISCREET_BODY = "Something at home needs your attention. Please check in with her."


def order_words(detail: Mapping[str, JsonValue], on: datetime) -> str | None:
    """One line naming a recorded protective order, or None when it has expired by ``on``."""
    expires = detail.get("expires")
    if isinstance(expires, str) and expires and expires < on.astimezone().date().isoformat():
        return None
    parts = [str(detail[k]) for k in ("court", "number") if detail.get(k)]
    terms = "; ".join(str(detail[k]) for k in ("terms", "distance") if detail.get(k))
    return " ".join(parts) + (f" ({terms})" if terms else "") if parts or terms else None


@dataclass(frozen=True)
class Message:
    """A title and a body for every channel."""

    title: str
    body: str


def compose(*, reason: str, kind: str, priority: str, source_label: str, at: datetime,
            detail: Mapping[str, JsonValue], dashboard_url: str, seq: int, ack_url: str | None,
            discreet: bool, order: str | None = None) -> Message:
    """The message for one alert to one contact."""
    local = at.astimezone()
    when = local.strftime("%a %d %b %H:%M:%S") + f" ({local.strftime('%z')})"
    link = f"{dashboard_url.rstrip('/')}/incidents/{seq}"
    lines: list[str]
    if discreet:
        # Read over a shoulder or by spyware: no names, no alarming words.
        title = DISCREET_TITLE if priority != "critical" else f"{DISCREET_TITLE} (urgent)"
        lines = [DISCREET_BODY, f"When: {when}", f"Details: {link}"]
    else:
        title = f"Porchlight: {reason}"
        lines = [reason, f"Where: {source_label}", f"When: {when}"]
        score = _score(kind, detail)
        if score:
            lines.append(score)
        if order and kind in kinds.SIGHTING_KINDS:  # what a stay-away order is about (DOC-3)
            lines.append(f"This may violate the protective order: {order}")
        lines.append(f"See it: {link}")
    if ack_url:
        lines.append(f"I'm on it: {ack_url}")
    return Message(title, "\n".join(lines))


def _score(kind: str, detail: Mapping[str, JsonValue]) -> str | None:
    if kind == kinds.FACE_MATCH and "distance" in detail:
        return (f"Match: face distance {detail['distance']} (tolerance {detail.get('tolerance')}), "
                f"{detail.get('frames')} frames")
    if kind.startswith("vehicle.") and "score" in detail:
        plate = f", plate read {detail['plate_read']}" if detail.get("plate_read") else ""
        return f"Match: vehicle score {detail['score']}{plate}"
    return None
