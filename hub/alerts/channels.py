"""Sending one message on one channel: email, SMS gateways, Signal, Telegram, ntfy, webhooks... via Apprise."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from hub.config import ContactConfig, resolve_secret
from hub.errors import ConfigError
from hub.mail_account import EMAIL_SCHEME, MailAccount, resolve_email


def channel_name(url: str) -> str:
    """The channel's scheme only (never its credentials): "mailto", "json", "ntfy"..."""
    if url.startswith(("env:", "file:")):
        return url.split(":", 1)[0] + " reference"
    if url.startswith(EMAIL_SCHEME):
        return "email"
    return url.split("://", 1)[0] if "://" in url else "unknown"


@dataclass(frozen=True)
class Attachment:
    """An evidence file to attach, with the name and type people's mail programs need."""

    source: Path | bytes  # a file, or (a sealed file opened) its bytes, never written to disk
    name: str
    mimetype: str


_SIGNATURES = ((b"\xff\xd8", ".jpg", "image/jpeg"), (b"\x89PNG", ".png", "image/png"),
               (b"%PDF", ".pdf", "application/pdf"))


def attachment_for(source: Path | bytes, stem: str) -> Attachment:
    """Name and type an evidence file (stored under its hash, without extension) by its first bytes."""
    if isinstance(source, bytes):
        head = source[:12]
    else:
        with source.open("rb") as handle:
            head = handle.read(12)
    for magic, ext, mime in _SIGNATURES:
        if head.startswith(magic):
            return Attachment(source, stem + ext, mime)
    if head[4:8] == b"ftyp":
        return Attachment(source, stem + ".mp4", "video/mp4")
    return Attachment(source, stem, "application/octet-stream")


class Sender(Protocol):
    """Sends one message on one channel; returns None on success or what went wrong."""

    def send(self, url: str, title: str, body: str, attachments: list[Attachment]) -> str | None:
        """Deliver, or say why not."""


class AppriseSender:
    """The real channels, through Apprise."""

    def send(self, url: str, title: str, body: str, attachments: list[Attachment]) -> str | None:
        """Deliver through Apprise."""
        import apprise
        from apprise.attachment.file import AttachFile
        from apprise.attachment.memory import AttachMemory

        notifier = apprise.Apprise()
        if not notifier.add(url):
            return f"Apprise does not understand the {channel_name(url)} URL; check it in the contacts section"
        attach = None
        if attachments:
            attach = apprise.AppriseAttachment()
            for item in attachments:
                # AttachFile has no annotations in Apprise 2.x.
                if isinstance(item.source, bytes):
                    attach.add(AttachMemory(content=item.source, name=item.name,  # type: ignore[no-untyped-call]
                                            mimetype=item.mimetype))
                else:
                    attach.add(AttachFile(str(item.source), name=item.name,  # type: ignore[no-untyped-call]
                                          mimetype=item.mimetype))
        result = notifier.notify(body=body, title=title, attach=attach)
        return None if bool(result) else f"the {channel_name(url)} channel did not accept the message"


def deliver(sender: Sender, url_spec: str, title: str, body: str, attachments: list[Attachment],
            mail: MailAccount | None = None) -> str | None:
    """Send on one channel given as a URL, an env:/file: reference or ``email:`` an address (through the hub's
    mail account); None, or what went wrong. Never raises."""
    try:
        return sender.send(resolve_email(resolve_secret(url_spec) or "", mail), title, body, attachments)
    except (ConfigError, ValueError) as err:
        return str(err)
    except Exception as err:  # a channel library bug must not stop the other deliveries
        return f"{type(err).__name__}: {err}"


def send_test_message(contact: ContactConfig, sender: Sender | None = None,
                      mail: MailAccount | None = None) -> list[dict[str, str | None]]:
    """Send a test message on each of a contact's channels; one result per channel (error None: delivered)."""
    chosen = sender or AppriseSender()
    return [{"channel": channel_name(url),
             "error": deliver(chosen, url, "Porchlight test", "This is a test from Porchlight. No action needed.",
                              [], mail)}
            for url in contact.notify]
