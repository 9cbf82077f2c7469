"""An alert's state as a sentence for the Alerts page: who was told, who is still being tried, who is on it."""

from __future__ import annotations

from typing import Mapping, Sequence

from hub.alerts.outbox import AlertSummary

Delivery = tuple[str, str, "str | None"]  # contact id, delivery status, last error


def joined(words: Sequence[str]) -> str:
    """"Ann", "Ann and Bob", "Ann, Bob and Cy"."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _names(ids: Sequence[str], names: Mapping[str, str]) -> str:
    return joined(list(dict.fromkeys(names.get(cid, cid) for cid in ids)))


def status_words(alert: AlertSummary, deliveries: Sequence[Delivery], names: Mapping[str, str]) -> str:
    """The truth about one alert, in a sentence; ``names`` maps contact ids to the names she gave them."""
    if alert.status == "no_contacts":
        return ("Nobody was told: no contact is set up for this. In an emergency call the emergency number "
                "yourself, and add a contact on the Contacts page.")
    if alert.status == "suppressed":
        return "Not sent again: the same alarm from the same place had just been sent."
    if alert.acked_by:
        who = names.get(alert.acked_by, alert.acked_by)
        return "You are on it." if who == "you" else f"{who} is on it."
    sent = [cid for cid, status, _ in deliveries if status == "sent"]
    trying = [cid for cid, status, _ in deliveries if status == "pending" and cid not in sent]
    failed = [cid for cid, status, _ in deliveries if status == "dropped" and cid not in sent]
    if not deliveries:
        return "Not sent yet: the hub has not taken this alert (it may be stopped)."
    parts = []
    if sent:
        parts.append(f"Delivered to {_names(sent, names)}.")
    if trying:
        errors = sorted({error for cid, status, error in deliveries if status == "pending" and error})
        parts.append(f"Still trying to reach {_names(trying, names)}"
                     + (f" ({'; '.join(errors)})." if errors else "."))
    if failed:
        parts.append(f"Could not reach {_names(failed, names)}.")
    if alert.status == "report":
        return " ".join(parts)
    if not sent:
        parts.append("Nobody has been reached yet: if you are in danger, call the emergency number yourself.")
    else:
        parts.append("Nobody has said they are on it yet.")
    return " ".join(parts)
