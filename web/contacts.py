"""Trusted contacts: add and edit them, send a test message, see every delivery attempt."""

from __future__ import annotations

import re
import unicodedata

from flask import Blueprint, abort, render_template, request
from pydantic import ValidationError
from werkzeug.wrappers import Response

from hub.config import ContactConfig
from hub.contacts import ContactBook
from hub.alerts.channels import channel_name, send_test_message
from hub.alerts.outbox import DeliveryRecord
from hub.events import Severity
from hub.channel_forms import CHANNELS, ChannelError, build, describe_channel
from hub.ids import fresh_id
from hub.mail_account import MailAccountStore
from hub.reach import Reach, test_words
from web.services import audit, in_words, sentence, services, told, unless_confirmed
from hub import kinds

bp = Blueprint("contacts", __name__)
CONTACT_ID = re.compile(r"[a-z][a-z0-9_]{0,31}")


def _book() -> ContactBook:
    return ContactBook(services().config)


def _history(limit: int = 50) -> list[DeliveryRecord]:
    return services().outbox.history(limit)


def _page(status: int = 200, **extra: object) -> tuple[str, int]:
    book = _book()
    contacts = book.current()
    tests = services().log.events(kind=kinds.ALERT_TEST, newest_first=True, limit=10)
    extra.setdefault("editing", None)
    extra.setdefault("edit_id", "")
    reach = {r.cid: r for r in Reach.of_hub(services().config, services().state).all(contacts)}
    extra.setdefault("channel", None)
    extra.setdefault("advanced", False)
    extra.setdefault("form", {})
    extra.setdefault("has_ntfy", False)
    extra.setdefault("mail_account", MailAccountStore(services().config.data_dir).load())
    return render_template("contacts/index.html", contacts=contacts, reach=reach, test_words=test_words,
                           channels=CHANNELS, choice_words=kinds.CHOICE_WORDS, describe_channel=describe_channel, from_dashboard=book.from_dashboard,
                           channel_name=channel_name, history=_history(), tests=tests, choices=kinds.CONTACT_CHOICES,
                           accounts={a.contact: a for a in services().accounts.contacts()},
                           **extra), status


@bp.route("/contacts")
def index() -> tuple[str, int]:
    """Every contact, the form to add one (?add=channel) or edit one (?edit=id), and delivery history."""
    cid = request.args.get("edit", "")
    editing = _book().current().get(cid) if CONTACT_ID.fullmatch(cid) else None
    adding = request.args.get("add", "")
    has_ntfy = editing is not None and any(url.startswith(("ntfy://", "ntfys://")) for url in editing.notify)
    return _page(edit_id=cid if editing else "", editing=editing, has_ntfy=has_ntfy,
                 channel=CHANNELS.get(adding), advanced=adding == "apprise")


@bp.route("/contacts/save", methods=["POST"])
def save() -> tuple[str, int] | Response:
    """Add or edit a contact (stored on the hub; used from the next alert on)."""
    form = request.form
    book = _book()
    current = book.current()
    # Right-to-left overrides and other invisible controls could disguise a name in the list.
    name = "".join(ch for ch in form.get("name", "") if unicodedata.category(ch) != "Cf").strip()[:100]
    cid = form.get("id", "").strip().lower()
    if cid and not CONTACT_ID.fullmatch(cid):
        return _page(400, error="That contact could not be found; open it again from the list.")
    existing = current.get(cid) if cid else None
    if existing is None:
        if not name:
            return _page(400, error="Their name: who is this? (only you see it)", channel=CHANNELS.get(
                form.get("channel", "")))
        cid = cid or fresh_id(name, set(current), fallback="contact", limit=24)
    notify = list(existing.notify) if existing is not None else []  # secrets are never shown back, so kept
    drop = {int(i) for i in form.getlist("drop") if i.isdigit()}
    notify = [url for index, url in enumerate(notify) if index not in drop]
    how = ""
    if form.get("channel"):
        try:
            entry, how = build(form.get("channel", ""), form)
        except ChannelError as err:
            return _page(400, error=f"{sentence(str(err))}.", channel=CHANNELS.get(form.get("channel", "")),
                         form=form)
        notify.append(entry)
    advanced = [line.strip() for line in form.get("notify", "").splitlines() if line.strip()]
    for line in advanced:
        scheme = line.split("://", 1)[0].lower() if "://" in line else ""
        # env: and file: references are for the config file; Apprise's file:// would read a file on the hub.
        if not re.fullmatch(r"[a-z][a-z0-9+.-]{1,20}", scheme) or scheme in ("file", "files"):
            return _page(400, error="Each Apprise URL starts with a service, such as mailto:// or ntfys://; "
                                    "file and env references belong in the config file.", advanced=True)
    if advanced:
        notify = advanced
    if not notify:
        return _page(400, error="How should the hub reach them? Fill in one way to reach them.",
                     channel=CHANNELS.get(form.get("channel", "")))
    try:
        contact = ContactConfig(name=name or (existing.name if existing else None), tier=int(form.get("tier") or 1),
                                notify=notify, events=[e for e in form.getlist("events") if e in kinds.CONTACT_CHOICES]
                                or list(ContactConfig.model_fields["events"].default),
                                quiet_hours=form.get("quiet_hours", "").strip() or None,
                                can_acknowledge=form.get("can_acknowledge") == "on",
                                digest=form.get("digest") == "on")
    except (ValidationError, ValueError) as err:
        words = in_words(err) if isinstance(err, ValidationError) else "tier: a number from 1 to 9"
        return _page(400, error=f"{name or cid}: {words}.")
    book.save(cid, contact)
    audit(kinds.ACCESS_SETTINGS_CHANGED, {"what": "contact added" if existing is None else "contact edited",
                                      "contact": cid})
    return told("contacts.index", " ".join(part for part in (f"Contact {contact.name or cid} saved.", how,
                                                              "Now send them a test.") if part))


@bp.route("/contacts/<cid>/topic", methods=["POST"])
def topic(cid: str) -> Response:
    """The ntfy topic of a contact, shown once more when she asks (the contact needs it to subscribe)."""
    contact = _book().current().get(cid) if CONTACT_ID.fullmatch(cid) else None
    if contact is None:
        abort(404)
    found = [url.split("://", 1) for url in contact.notify if url.startswith(("ntfy://", "ntfys://"))]
    if not found:
        return told("contacts.index", f"{contact.name or cid} is not reached by ntfy.")
    # Apprise always reaches the public ntfy.sh over HTTPS, whichever scheme the URL names.
    words = "; ".join(f"topic {rest.partition('/')[2]} on "
                      f"{'https' if scheme == 'ntfys' or rest.startswith('ntfy.sh/') else 'http'}://"
                      f"{rest.partition('/')[0]}" for scheme, rest in found)
    return told("contacts.index", f"For {contact.name or cid}'s ntfy app: {words}. Give it to them yourself, "
                                  "not by a message others can read.", edit=cid)


@bp.route("/contacts/<cid>/remove", methods=["POST"])
def remove(cid: str) -> Response | tuple[str, int]:
    """Remove a contact added on the dashboard."""
    if not CONTACT_ID.fullmatch(cid):
        abort(404)
    if _book().from_dashboard(cid):
        asked = unless_confirmed(f"contact {cid}", "They will get no more alerts from the hub, from now on; "
                                                  "the log keeps what was sent to them.", "contacts.index")
        if asked is not None:
            return asked
    if _book().remove(cid):
        audit(kinds.ACCESS_SETTINGS_CHANGED, {"what": "contact removed", "contact": cid})
        return told("contacts.index", f"Contact {cid} removed.")
    return told("contacts.index", f"{cid} comes from the config file; remove it there.")


@bp.route("/contacts/<cid>/test", methods=["POST"])
def test(cid: str) -> Response:
    """Send a test message on every channel of one contact, now, and record the outcome."""
    contact = _book().current().get(cid) if CONTACT_ID.fullmatch(cid) else None
    if contact is None:
        abort(404)
    results = send_test_message(contact, mail=MailAccountStore(services().config.data_dir).load())
    Reach.of_hub(services().config, services().state).record_test(cid, contact, results)
    services().commands.submit_command(kinds.ALERT_TEST, "dashboard", {"contact": cid, "results": results},
                                  severity=Severity.INFO)
    failed = [f"{r['channel']}: {r['error']}" for r in results if r["error"]]
    done = ("Test sent on every channel: ask them whether it reached them." if not failed else "Test FAILED on " + "; ".join(failed))
    return told("contacts.index", done)
