"""Who is told about what, and when: a contact's subscriptions and quiet hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time as dtime, timedelta, timezone

from hub.config import ContactConfig
from hub import kinds


@dataclass(frozen=True)
class Report:
    """A scheduled message (not an alarm) that goes through the outbox: to whom, titled how, recorded as what.

    It reaches every contact who asked for it at once, is retried like an alert, waits out quiet
    hours, and is never escalated, cooled down or acknowledged.
    """

    title: str
    sent: str
    failed: str
    wanted_by: str  # the contact setting that asks for it

    def wanted(self, contact: ContactConfig) -> bool:
        """Whether this contact asked for this report."""
        return bool(getattr(contact, self.wanted_by))


REPORTS: dict[str, Report] = {
    kinds.DIGEST_PREPARED: Report("Porchlight daily summary", kinds.DIGEST_SENT, kinds.DIGEST_FAILED, "digest"),
    kinds.LOG_CHECKPOINT: Report("Porchlight checkpoint", kinds.CHECKPOINT_SENT, kinds.CHECKPOINT_FAILED,
                                 "evidence_keeper"),
}
CHECKPOINT_BODY = ("Porchlight's signed checkpoint of its incident log (row {seq}). Keep this email: it lets "
                   "anyone prove later that the log was not rewritten. The hub's device key fingerprint is "
                   "{fingerprint}: an export checked with verify.py --key {fingerprint} is proved to come "
                   "from this hub.")


def kind_matches(kind: str, patterns: list[str]) -> bool:
    """Whether a contact subscribed to ``patterns`` receives alerts caused by ``kind``.

    alarm.triggered and * stand for every alarm about the home, not about her dashboard: who logged
    in and what she changed go only to those who ask for the access family by name (usually she herself).
    """
    about_access = kind.startswith(kinds.ACCESS_FAMILY + ".")
    for pattern in patterns:
        if pattern == kind:
            return True
        if pattern in ("*", kinds.ALARM_TRIGGERED) and not about_access:
            return True
        if pattern.endswith(".*") and kind.startswith(pattern[:-1]):
            return True
    return False


def in_quiet_hours(spec: str | None, at: datetime) -> datetime | None:
    """When quiet hours ("22:00-07:00", local time) end, if ``at`` falls within them; else None."""
    if not spec:
        return None
    try:
        start_text, end_text = spec.split("-")
        start, end = dtime.fromisoformat(start_text), dtime.fromisoformat(end_text)
    except ValueError:
        return None  # the config refuses such a span; one that slipped in must not stop every delivery
    local = at.astimezone()
    now = local.time()
    inside = start <= now < end if start < end else (now >= start or now < end)
    if not inside:
        return None
    end_at = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if end_at <= local:
        end_at += timedelta(days=1)
    return end_at.astimezone(timezone.utc)
