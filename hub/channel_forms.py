"""How to reach a contact, in plain fields: each channel's form, and the Apprise URL the hub builds from it.

She never types an Apprise URL: she picks "Email" and types an address, or "ntfy" and gets a
topic nobody can guess. Every value is checked for what it must look like before it is put into a
URL, so a field cannot smuggle another host, a parameter or a second channel into it.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import quote, urlsplit

from hub.mail_account import ADDRESS, EMAIL_SCHEME, HOST

PHONE = re.compile(r"\+?[0-9]{6,15}")
TOKEN = re.compile(r"[A-Za-z0-9_:.\-]{6,200}")
TOPIC = re.compile(r"[A-Za-z0-9_-]{1,64}")
PUBLIC_NTFY = "ntfy.sh"
MIN_PUBLIC_TOPIC = 20  # on the public server, whoever guesses the topic reads her alerts


@dataclass(frozen=True)
class Field:
    """One box on a channel's form."""

    name: str
    label: str
    placeholder: str = ""
    kind: str = "text"  # the HTML input type
    secret: bool = False  # never shown back


@dataclass(frozen=True)
class Channel:
    """A way to reach someone: its name, what she types, and a word on what it needs."""

    key: str
    label: str
    fields: tuple[Field, ...]
    help: str


CHANNELS: dict[str, Channel] = {c.key: c for c in (
    Channel("email", "Email", (Field("address", "Their email address", "ann@example.org", "email"),),
            "Sent from the hub's own mail account (Settings, Mail)."),
    Channel("sms_gateway", "Text message (through their carrier's email gateway)",
            (Field("phone", "Their mobile number", "5551234567", "tel"),
             Field("gateway", "Their carrier's SMS gateway", "vtext.com")),
            "Many carriers turn an email to number@gateway into a text (for example vtext.com for Verizon, "
            "tmomail.net for T-Mobile). Sent from the hub's mail account. Check with a test: some carriers "
            "have stopped."),
    Channel("twilio", "Text message (through a Twilio account)",
            (Field("account_sid", "Twilio account SID", "AC..."), Field("auth_token", "Twilio auth token", "",
                                                                          "password", True),
             Field("from_number", "Your Twilio number", "+15551230000", "tel"),
             Field("phone", "Their mobile number", "+15557654321", "tel")),
            "Texts through your own Twilio account."),
    Channel("signal", "Signal (through a signal-cli REST server)",
            (Field("server", "The signal-cli REST server", "http://192.168.1.20:8080", "url"),
             Field("from_number", "The hub's Signal number", "+15551230000", "tel"),
             Field("phone", "Their Signal number", "+15557654321", "tel")),
            "Needs a signal-cli REST API server with a number registered for the hub."),
    Channel("telegram", "Telegram",
            (Field("bot_token", "Your bot's token (from @BotFather)", "123456:ABC...", "password", True),
             Field("chat_id", "Their chat id", "123456789")),
            "They must have started a chat with your bot first."),
    Channel("ntfy", "ntfy (a phone app)",
            (Field("server", "ntfy server", "https://ntfy.sh", "url"),
             Field("topic", "Topic (leave empty for one nobody can guess)", "")),
            "They install the ntfy app and subscribe to the topic shown after saving. On ntfy.sh, anyone who "
            "knows the topic can read it, so the hub makes a long random one."),
    Channel("pushover", "Pushover",
            (Field("user_key", "Their Pushover user key", ""), Field("app_token", "Your Pushover app token", "",
                                                                      "password", True)),
            "They install the Pushover app; you create an application for its token."),
    Channel("webhook", "A web address (webhook, for advanced setups)",
            (Field("url", "The address the hub posts JSON to", "https://example.org/hook", "url"),),
            "The hub posts each alert as JSON."),
)}


class ChannelError(ValueError):
    """A field that is not what its channel needs, in words for the form."""


def _need(values: Mapping[str, str], name: str, pattern: re.Pattern[str], words: str) -> str:
    value = (values.get(name) or "").strip()
    if not pattern.fullmatch(value):
        raise ChannelError(words)
    return value


def _server(value: str, what: str) -> tuple[bool, str]:
    """(https?, host[:port]) of a server address she typed."""
    parts = urlsplit(value if "://" in value else f"https://{value}")
    if parts.scheme not in ("http", "https") or not parts.hostname or not HOST.fullmatch(parts.hostname) \
            or parts.username or parts.password or (parts.path not in ("", "/")) or parts.query:
        raise ChannelError(f"{what}: give a server address such as https://ntfy.sh")
    port = f":{parts.port}" if parts.port else ""
    return parts.scheme == "https", f"{parts.hostname}{port}"


def build(key: str, values: Mapping[str, str]) -> tuple[str, str]:
    """(notify entry, what to tell her) for a channel's form; ChannelError says which field is wrong."""
    if key not in CHANNELS:
        raise ChannelError("choose how the hub should reach them")
    if key == "email":
        address = _need(values, "address", ADDRESS, "their email address: type it as name@example.org")
        return EMAIL_SCHEME + address, f"Email to {address}."
    if key == "sms_gateway":
        phone = _need(values, "phone", PHONE, "their mobile number: digits only, 6 to 15 of them").lstrip("+")
        gateway = _need(values, "gateway", HOST, "the gateway: a domain such as vtext.com").lower()
        return f"{EMAIL_SCHEME}{phone}@{gateway}", f"Texts through {gateway}."
    if key == "twilio":
        sid = _need(values, "account_sid", TOKEN, "the Twilio account SID (it starts with AC)")
        token = _need(values, "auth_token", TOKEN, "the Twilio auth token")
        sender = _need(values, "from_number", PHONE, "your Twilio number, such as +15551230000")
        phone = _need(values, "phone", PHONE, "their mobile number, such as +15557654321")
        return f"twilio://{sid}:{token}@{sender}/{phone}", "Texts through Twilio."
    if key == "signal":
        secure, server = _server(values.get("server", "").strip(), "the signal-cli server")
        sender = _need(values, "from_number", PHONE, "the hub's Signal number, such as +15551230000")
        phone = _need(values, "phone", PHONE, "their Signal number, such as +15557654321")
        return f"{'signals' if secure else 'signal'}://{server}/{sender}/{phone}", "Signal messages."
    if key == "telegram":
        token = _need(values, "bot_token", TOKEN, "the bot token from @BotFather")
        chat = _need(values, "chat_id", re.compile(r"-?[0-9]{3,20}|@[A-Za-z0-9_]{5,32}"),
                     "their chat id: digits (or @channelname)")
        return f"tgram://{token}/{chat}", "Telegram messages."
    if key == "ntfy":
        secure, server = _server(values.get("server", "").strip() or "https://ntfy.sh", "the ntfy server")
        topic = (values.get("topic") or "").strip() or "porchlight-" + secrets.token_urlsafe(18).replace("_", "-")
        if not TOPIC.fullmatch(topic):
            raise ChannelError("the topic: letters, digits, - and _ only")
        if server == PUBLIC_NTFY and len(topic) < MIN_PUBLIC_TOPIC:
            raise ChannelError(f"the topic: on ntfy.sh anyone who guesses it reads the alerts; use at least "
                               f"{MIN_PUBLIC_TOPIC} characters, or leave it empty for a random one")
        return (f"{'ntfys' if secure else 'ntfy'}://{server}/{topic}",
                f"ntfy: subscribe in the app to {topic} on {'https' if secure else 'http'}://{server}.")
    if key == "pushover":
        user = _need(values, "user_key", re.compile(r"[A-Za-z0-9]{20,40}"), "their Pushover user key (30 letters "
                                                                              "and digits)")
        token = _need(values, "app_token", re.compile(r"[A-Za-z0-9]{20,40}"), "your Pushover app token")
        return f"pover://{user}@{token}", "Pushover notifications."
    raw = (values.get("url") or "").strip()
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or not HOST.fullmatch(parts.hostname) \
            or parts.username or parts.password:
        raise ChannelError("the address: a web address such as https://example.org/hook")
    port = f":{parts.port}" if parts.port else ""
    path = quote(parts.path or "/", safe="/-_.~")
    return f"{'jsons' if parts.scheme == 'https' else 'json'}://{parts.hostname}{port}{path}", "JSON posts."


def describe_channel(spec: str) -> str:
    """A channel as she would name it, never with its secrets: "email to ann@example.org", "ntfy on ntfy.sh"."""
    if spec.startswith(EMAIL_SCHEME):
        return f"email to {spec[len(EMAIL_SCHEME):]}"
    scheme, _, rest = spec.partition("://")
    if scheme in ("ntfy", "ntfys"):
        # The topic is the secret: whoever knows it reads the alerts. It is shown once, when she adds it.
        return f"ntfy on {rest.partition('/')[0]}"
    words = {"tgram": "Telegram", "twilio": "Twilio text", "signal": "Signal", "signals": "Signal",
             "pover": "Pushover", "json": "webhook", "jsons": "webhook", "mailto": "email (custom server)",
             "mailtos": "email (custom server)"}
    if spec.startswith(("env:", "file:")):
        return "a channel kept in " + spec.split(":", 1)[0]
    return words.get(scheme, f"{scheme} (Apprise)")
