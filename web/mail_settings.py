"""Settings, Mail: the hub's own outgoing mail account, chosen from common providers or typed in."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from pydantic import ValidationError
from werkzeug.wrappers import Response

from hub.alerts.channels import AppriseSender, deliver
from hub.mail_account import ADDRESS, PRESETS, MailAccount, MailAccountStore
from hub import kinds
from web.services import audit, in_words, services, told

bp = Blueprint("mail_settings", __name__)


def _store() -> MailAccountStore:
    return MailAccountStore(services().config.data_dir)


def _page(status: int = 200, **extra: object) -> tuple[str, int]:
    account = _store().load()
    # Coming back to the page must not switch her account to the first preset: what is in use stays chosen.
    if account is None:
        current = next(iter(PRESETS))
    else:
        current = next((key for key, p in PRESETS.items() if (p.host, p.port, p.security) ==
                        (account.host, account.port, account.security)), "")
    return render_template("mail/index.html", account=account, presets=PRESETS, current_preset=current,
                           **extra), status


@bp.route("/settings/mail")
def index() -> tuple[str, int]:
    """The account in use (never its password) and the form to set it."""
    return _page()


@bp.route("/settings/mail", methods=["POST"])
def save() -> tuple[str, int] | Response:
    """Set the account; with an address to test, send one message through it at once and say what happened."""
    form = request.form
    preset = PRESETS.get(form.get("preset", ""))
    address = form.get("from_address", "").strip()
    existing = _store().load()
    password = form.get("password", "")
    if not password and existing is not None:
        password = existing.password  # never shown back: kept when left empty
    try:
        account = MailAccount(
            host=preset.host if preset else form.get("host", "").strip(),
            port=preset.port if preset else int(form.get("port") or 0),
            security=preset.security if preset else form.get("security", "starttls"),
            username=form.get("username", "").strip() or (address if password else ""),
            password=password, from_address=address)
    except (ValidationError, ValueError) as err:
        words = in_words(err) if isinstance(err, ValidationError) else str(err)
        return _page(400, error=f"The mail account was not saved: {words}.")
    _store().save(account)
    audit(kinds.ACCESS_SETTINGS_CHANGED, {"what": "mail account set"})
    test_to = form.get("test_to", "").strip()
    if not test_to:
        return told("mail_settings.index", "Mail account saved.")
    if not ADDRESS.fullmatch(test_to):
        return told("mail_settings.index", "Mail account saved, but the test address is not an email address.",
                    alarm=True)
    error = deliver(AppriseSender(), "email:" + test_to, "Porchlight test",
                    "This is a test of the hub's mail account. No action needed.", [], account)
    if error:
        return told("mail_settings.index", f"Mail account saved, but the test did NOT go out: {error}. Check the "
                                           "address and the app password.", alarm=True)
    return told("mail_settings.index", f"Mail account saved, and a test went out to {test_to}.")
