"""Pattern charts drawn on the server as SVG: they work offline, print, and need no script."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from html import escape
from typing import Mapping, Sequence

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PALETTE = ("#b2182b", "#2166ac", "#1b7837", "#762a83", "#e08214", "#555555")


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
            f'role="img" aria-label="{escape(title)}" font-family="sans-serif" font-size="11">'
            f"<title>{escape(title)}</title>" + "".join(body) + "</svg>")


def heatmap(times: Sequence[datetime], title: str = "Incidents by weekday and hour") -> str:
    """A weekday × hour grid (local time); darker means more incidents in that hour."""
    counts = [[0] * 24 for _ in range(7)]
    for at in times:
        local = at.astimezone()
        counts[local.weekday()][local.hour] += 1
    top = max((max(row) for row in counts), default=0) or 1
    cell, left, head = 22, 36, 18
    body = [f'<text x="{left + h * cell + cell / 2}" y="12" text-anchor="middle">{h:02d}</text>'
            for h in range(0, 24, 3)]
    for day, row in enumerate(counts):
        y = head + day * cell
        body.append(f'<text x="0" y="{y + 15}">{WEEKDAYS[day]}</text>')
        for hour, n in enumerate(row):
            shade = 0.08 + 0.92 * n / top if n else 0.0
            body.append(f'<rect x="{left + hour * cell}" y="{y}" width="{cell - 2}" height="{cell - 2}" '
                        f'fill="#b2182b" fill-opacity="{shade:.2f}" stroke="#ccc" stroke-width="0.5">'
                        f"<title>{WEEKDAYS[day]} {hour:02d}:00: {n}</title></rect>")
            if n:
                body.append(f'<text x="{left + hour * cell + 10}" y="{y + 14}" text-anchor="middle" '
                            f'fill="{"#fff" if n / top > 0.5 else "#000"}">{n}</text>')
    return _svg(left + 24 * cell, head + 7 * cell + 4, title, body)


def stacked_weeks(counts: Mapping[date, Mapping[str, int]], categories: Sequence[str],
                  title: str = "Incidents per week, by category") -> str:
    """One bar per week (keyed by its Monday), stacked by category, with a legend."""
    weeks = sorted(counts)
    width, height, left, bottom = 640, 220, 30, 40
    top = max((sum(counts[w].values()) for w in weeks), default=0) or 1
    bar = max(4.0, min(40.0, (width - left) / max(len(weeks), 1) - 4))
    scale = (height - bottom - 10) / top
    body = [f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" stroke="#333"/>',
            f'<text x="0" y="14">{top}</text><text x="0" y="{height - bottom}">0</text>']
    for i, week in enumerate(weeks):
        x = left + 4 + i * (bar + 4)
        y = float(height - bottom)
        for c, category in enumerate(categories):
            n = counts[week].get(category, 0)
            if n:
                h = n * scale
                y -= h
                body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                            f'fill="{PALETTE[c % len(PALETTE)]}"><title>week of {week}: {n} {escape(category)}'
                            "</title></rect>")
        if len(weeks) <= 16 or i % 4 == 0:
            body.append(f'<text x="{x:.1f}" y="{height - bottom + 14}">{week.strftime("%d %b")}</text>')
    for c, category in enumerate(categories):
        x = left + c * 110
        body.append(f'<rect x="{x}" y="{height - 16}" width="10" height="10" fill="{PALETTE[c % len(PALETTE)]}"/>'
                    f'<text x="{x + 14}" y="{height - 7}">{escape(category.replace("_", " "))}</text>')
    if not weeks:
        body.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle">Nothing in this range</text>')
    return _svg(width, height, title, body)


def daily_bars(counts: Mapping[date, int], first: date, last: date,
               title: str = "Vehicle passes per day") -> str:
    """One bar per day from ``first`` to ``last`` (days without passes show as gaps)."""
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)][-92:]
    width, height, left, bottom = 640, 160, 30, 24
    top = max((counts.get(d, 0) for d in days), default=0) or 1
    bar = (width - left) / max(len(days), 1)
    scale = (height - bottom - 10) / top
    body = [f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" stroke="#333"/>',
            f'<text x="0" y="14">{top}</text><text x="0" y="{height - bottom}">0</text>']
    for i, day in enumerate(days):
        n = counts.get(day, 0)
        x = left + i * bar
        if n:
            body.append(f'<rect x="{x:.1f}" y="{height - bottom - n * scale:.1f}" width="{max(bar - 1, 1):.1f}" '
                        f'height="{n * scale:.1f}" fill="#2166ac"><title>{day}: {n}</title></rect>')
        if i % max(1, len(days) // 8) == 0:
            body.append(f'<text x="{x:.1f}" y="{height - 8}">{day.strftime("%d %b")}</text>')
    return _svg(width, height, title, body)
