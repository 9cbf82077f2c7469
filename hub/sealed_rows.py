"""A log row sealed at rest: private values kept only as salted commitments in the clear, sealed beside them.

The row's hash covers the commitments (hub/chain.py hashed_form), so the chain verifies without the
passphrase; opening the sealed part gives the values and salts back, each checked against its
commitment, and the opened row is an ordinary committed row that any export verifier checks.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any, Mapping

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from hub.chain import PRIVATE_FIELDS, SEALED_VERSION, canonical_json, commitment
from hub.sealing import Opener, SealingError, seal
from hub import kinds

# The keys that tie a row to another (a correction to its incident, a clip to its incidents): they are
# row numbers and ids, never her words, and the hub follows them without the passphrase.
LINK_KEYS = frozenset({"corrects", "match_seq", "incident", "incidents", "type"})
# A detail sealed before it reached the log (by the dashboard, so her words never wait in the clear).
PRESEALED_KEY = "sealed_part"


def fields_to_seal(kind: str, detail: Mapping[str, Any]) -> list[str]:
    """Everything she wrote in her own entries; the private fields of every other row."""
    if kind in kinds.HER_WORDS_KINDS:
        return sorted(k for k in detail if k not in LINK_KEYS and k != PRESEALED_KEY)
    return sorted(k for k in detail if k in PRIVATE_FIELDS)


def seal_detail(kind: str, detail: Mapping[str, Any], public: X25519PublicKey) -> dict[str, Any]:
    """The detail with its sealed fields as commitments, and the sealed part under PRESEALED_KEY."""
    names = fields_to_seal(kind, detail)
    if not names or PRESEALED_KEY in detail:
        return dict(detail)
    salts = {name: secrets.token_hex(16) for name in names}
    inner = canonical_json({"salts": salts, "values": {name: detail[name] for name in names}})
    committed = {**detail, **{name: {"committed": commitment(salts[name], detail[name])} for name in names}}
    return {**committed, PRESEALED_KEY: base64.b64encode(seal(public, inner.encode("utf-8"))).decode("ascii")}


def stored_form(content: dict[str, Any]) -> dict[str, Any]:
    """A row's content as stored: a sealed detail's sealed part moves beside it, and the row becomes version 3."""
    detail = dict(content.get("detail") or {})
    part = detail.pop(PRESEALED_KEY, None)
    if not isinstance(part, str):
        return content
    # The sealed part's own hash is hashed with the row: a deleted, emptied or swapped sealed part breaks
    # the chain, found by log verify without the passphrase.
    return {**{k: v for k, v in content.items() if k != "salts"}, "v": SEALED_VERSION, "detail": detail,
            "sealed": part, "sealed_sha256": hashlib.sha256(part.encode("ascii")).hexdigest()}


def open_content(stored: dict[str, Any], opener: Opener) -> dict[str, Any]:
    """The row as written: values and salts back in place, each checked against its commitment."""
    if stored.get("v") != SEALED_VERSION or "sealed" not in stored:
        return stored
    seq = stored.get("seq")
    try:
        inner = json.loads(opener.open(base64.b64decode(stored["sealed"])))
        salts, values = dict(inner["salts"]), dict(inner["values"])
    except (ValueError, KeyError, TypeError) as err:
        raise SealingError(f"row {seq}: its sealed part cannot be read ({err}); it was changed") from err
    detail = dict(stored.get("detail") or {})
    missing = sorted(name for name, value in detail.items()
                     if isinstance(value, dict) and set(value) == {"committed"} and name not in values)
    if missing:
        raise SealingError(f"row {seq}: the sealed part lacks {', '.join(missing)} (it was replaced)")
    for name, value in values.items():
        if detail.get(name) != {"committed": commitment(str(salts.get(name)), value)}:
            raise SealingError(f"row {seq}: the sealed value of {name!r} does not match its commitment "
                               "(the sealed part was changed or swapped)")
        detail[name] = value
    return {**{k: v for k, v in stored.items() if k != "sealed"}, "detail": detail, "salts": salts}
