"""Who is told about what, and when: a contact's subscriptions and quiet hours."""

from __future__ import annotations

from datetime import datetime, time as dtime, timedelta, timezone

from hub import kinds


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
    start_text, end_text = spec.split("-")
    start, end = dtime.fromisoformat(start_text), dtime.fromisoformat(end_text)
    local = at.astimezone()
    now = local.time()
    inside = start <= now < end if start < end else (now >= start or now < end)
    if not inside:
        return None
    end_at = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if end_at <= local:
        end_at += timedelta(days=1)
    return end_at.astimezone(timezone.utc)
