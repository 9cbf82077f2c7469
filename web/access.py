"""What a trusted contact may see: the events he or she was alerted about, and their evidence. The owner sees all."""

from __future__ import annotations

from web.services import account, services


def alerted_seqs() -> set[int] | None:
    """The log rows the logged-in contact was sent alerts about; None for the owner (no limit)."""
    who = account()
    if who.role == "owner":
        return None
    return services().outbox.alerted_seqs(who.contact or "")


def may_see_event(seq: int) -> bool:
    """Whether the logged-in account may open this row."""
    allowed = alerted_seqs()
    return allowed is None or seq in allowed


def may_see_evidence(sha256: str) -> bool:
    """Whether the logged-in account may open this evidence file (it must belong to a row it may see)."""
    allowed = alerted_seqs()
    if allowed is None:
        return True
    log = services().log
    return any((event := log.event(seq)) is not None and sha256 in event.evidence for seq in allowed)
