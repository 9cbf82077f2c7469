"""The hub's own outgoing mail account, set once in Settings; email and SMS-gateway contacts send through it.

Contacts added by email are kept as ``email:ann@example.org``: the account's server and password are
joined in only when a message is sent, so changing the account (a new app password) changes it for
every contact at once, and the password is never copied into each contact.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hub.files import write_atomic

logger = logging.getLogger(__name__)
FILE_NAME = "mail_account.json"
EMAIL_SCHEME = "email:"
ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")
HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Preset:
    """A common provider's outgoing server, so she only types her address and an app password."""

    label: str
    host: str
    port: int
    security: str
    help: str


PRESETS: dict[str, Preset] = {
    "gmail": Preset("Gmail", "smtp.gmail.com", 587, "starttls",
                    "Use an app password (Google account, Security, 2-Step Verification, App passwords)."),
    "outlook": Preset("Outlook / Hotmail", "smtp-mail.outlook.com", 587, "starttls",
                      "Use your Microsoft account password, or an app password if 2-step verification is on."),
    "yahoo": Preset("Yahoo Mail", "smtp.mail.yahoo.com", 465, "ssl", "Use an app password (Account security)."),
    "icloud": Preset("iCloud Mail", "smtp.mail.me.com", 587, "starttls",
                     "Use an app-specific password (appleid.apple.com, Sign-In and Security)."),
    "fastmail": Preset("Fastmail", "smtp.fastmail.com", 465, "ssl", "Use an app password (Settings, Privacy)."),
    "proton": Preset("Proton Mail (Bridge or SMTP token)", "smtp.protonmail.ch", 587, "starttls",
                     "Use an SMTP token from Proton's settings (paid plans)."),
}


class MailAccount(BaseModel):
    """Where the hub's mail goes out from. ``insecure`` (no encryption) is allowed to this machine only."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(min_length=1, max_length=253)
    port: int = Field(ge=1, le=65535)
    security: Literal["ssl", "starttls", "insecure"] = "starttls"
    username: str = Field("", max_length=254)
    password: str = Field("", max_length=512)
    from_address: str = Field(max_length=254)

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        if not HOST.fullmatch(value):
            raise ValueError("the mail server must be a host name such as smtp.gmail.com")
        return value.lower()

    @field_validator("from_address")
    @classmethod
    def _from(cls, value: str) -> str:
        if not ADDRESS.fullmatch(value):
            raise ValueError("the hub's address must be an email address such as me@gmail.com")
        return value

    def model_post_init(self, context: object) -> None:
        if self.security == "insecure" and self.host not in LOOPBACK:
            # On her Wi-Fi he could read every alert, and the account's password, off the air.
            raise ValueError("unencrypted mail is allowed only to a server on this hub (127.0.0.1)")

    def apprise_url(self, to: str) -> str:
        """The Apprise URL that sends one message from this account to ``to``."""
        if not ADDRESS.fullmatch(to):
            raise ValueError(f"{to!r} is not an email address")
        mode = {"ssl": "ssl", "starttls": "starttls", "insecure": "insecure"}[self.security]
        query = [f"mode={mode}", f"from={quote(self.from_address, safe='@')}", f"to={quote(to, safe='@')}"]
        if self.username:
            query += [f"user={quote(self.username, safe='')}", f"pass={quote(self.password, safe='')}"]
        return f"mailto://{self.host}:{self.port}?" + "&".join(query)


class MailAccountStore:
    """The account, in data_dir/mail_account.json (mode 0600: it holds a password)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / FILE_NAME

    def load(self) -> MailAccount | None:
        """The account, or None when none is set (or the file is damaged, which is logged)."""
        try:
            return MailAccount.model_validate(json.loads(self.path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, ValidationError) as err:
            logger.error("%s: cannot use the hub's mail account (%s); set it again in Settings", self.path, err)
            return None

    def save(self, account: MailAccount) -> None:
        """Replace the account."""
        write_atomic(self.path, account.model_dump_json(indent=1).encode("utf-8"), mode=0o600)


def resolve_email(spec: str, account: MailAccount | None) -> str:
    """``email:ann@example.org`` as an Apprise URL through the hub's account; anything else unchanged."""
    if not spec.startswith(EMAIL_SCHEME):
        return spec
    if account is None:
        raise ValueError("no outgoing mail account is set: set one in Settings, Mail, so email can be sent")
    return account.apprise_url(spec[len(EMAIL_SCHEME):])
