"""Alerts to trusted contacts, end to end; this package owns the outbox and delivery tables.

- ``outbox``: the two tables and every statement on them; an ``AlertRequest`` is written in the
  same transaction as the event that causes it.
- ``policy``: who is told about what, and when (subscriptions, quiet hours).
- ``channels``: sending one message on one channel through Apprise.
- ``messages``: what an alert says.
- ``acks``: the signed "I'm on it" links.
- ``worker``: plans, sends, retries, escalates and acknowledges (one thread in the hub).
"""
