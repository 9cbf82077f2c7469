"""What a trusted contact may see: the events he or she was alerted about, and their evidence. The owner sees all."""

from __future__ import annotations

from flask import g

from hub.duress import Veil
from web.services import account, services


def hidden_now() -> frozenset[int]:
    """Rows her screens must not show yet (what a duress disarm caused), once per request."""
    if "hidden_rows" not in g:
        found = services()
        g.hidden_rows = Veil(found.log, found.outbox).hidden()
    hidden: frozenset[int] = g.hidden_rows
    return hidden


def alerted_seqs() -> set[int] | None:
    """The log rows the logged-in contact was sent alerts about; None for the owner (no limit)."""
    who = account()
    if who.role == "owner":
        return None
    return services().outbox.alerted_seqs(who.contact or "")


def may_see_event(seq: int) -> bool:
    """Whether the logged-in account may open this row."""
    allowed = alerted_seqs()
    if allowed is None:  # the owner: everything but what must stay unseen beside her for now
        return seq not in hidden_now()
    return seq in allowed


def may_see_evidence(sha256: str) -> bool:
    """Whether the logged-in account may open this evidence file (it must belong to a row it may see)."""
    allowed = alerted_seqs()
    if allowed is None:
        return True
    log = services().log
    return any((event := log.event(seq)) is not None and sha256 in event.evidence for seq in allowed)
