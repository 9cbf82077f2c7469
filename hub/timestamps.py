"""RFC 3161 timestamps on the log's signed checkpoints, from independent time-stamping authorities.

The device's own signature says what the log held; an authority's token says it existed no later
than the authority's clock said, which the device cannot fake. The token covers the SHA-256 of
the exact bytes the checkpoint signature covers. Each token is kept on a ``log.timestamp`` row of
its own, naming the checkpoint row. Offline, checkpoints wait and are timestamped when the link
returns, oldest first; nothing else ever waits on an authority.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509

from hub import kinds
from hub.chain import checkpoint_message
from hub.config import TimeAuthority, TimestampsConfig
from hub.events import Event, LoggedEvent
from hub.log import IncidentLog

logger = logging.getLogger(__name__)
MAX_REPLY = 64 * 1024  # a token is about 1-6 KB: a bigger reply is not an authority's
BATCH = 20  # checkpoints timestamped in one pass at most (a week offline must not stall the housekeeping)
RETRY_SECONDS = 300.0  # after every authority failed, wait this long before asking again


class _Refuse(urllib.request.HTTPRedirectHandler):
    """An authority answers where it was asked: a redirect could send the hub's request to any host."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_NO_REDIRECTS = urllib.request.build_opener(_Refuse)
_ONE_PASS = threading.Lock()  # the hub's timestamper and an export's own pass never ask for one checkpoint twice


class TimestampError(Exception):
    """A token could not be had, or does not check out; the message says which and why."""


@dataclass(frozen=True)
class TimestampCheck:
    """What a token says, and whether it checks out against the checkpoint and the authority's root."""

    ok: bool
    gen_time: datetime | None
    authority: str  # the signing certificate's subject, as the token carries it
    problem: str = ""


def checkpoint_bytes(detail: dict[str, Any]) -> bytes:
    """What a token covers: the bytes the device signed for this checkpoint."""
    return checkpoint_message(int(detail["head_seq"]), str(detail["head_hash"]), str(detail["at"]))


def ask(authority: TimeAuthority, message: bytes, timeout: float) -> bytes:
    """A token (the authority's whole DER reply) over SHA-256 of ``message``, checked before it is kept."""
    from rfc3161_client import HashAlgorithm, TimestampRequestBuilder, decode_timestamp_response

    request = TimestampRequestBuilder().data(message).hash_algorithm(HashAlgorithm.SHA256).build()
    post = urllib.request.Request(authority.url, data=request.as_bytes(),
                                  headers={"Content-Type": "application/timestamp-query"}, method="POST")
    deadline = time.monotonic() + timeout
    try:
        with _NO_REDIRECTS.open(post, timeout=timeout) as reply:
            body = b""
            while len(body) <= MAX_REPLY:
                if time.monotonic() > deadline:  # a reply dripped a byte at a time must not hold the hub
                    raise TimestampError(f"{authority.url} took longer than {timeout:.0f} s to answer")
                chunk = reply.read1(4096) if hasattr(reply, "read1") else reply.read(4096)
                if not chunk:
                    break
                body += chunk
    except urllib.error.HTTPError as err:
        raise TimestampError(f"{authority.url} did not answer with a timestamp (HTTP {err.code}: it may have "
                             "moved; give its new address)") from err
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise TimestampError(f"{authority.url} did not answer: {err}") from err
    if len(body) > MAX_REPLY:
        raise TimestampError(f"{authority.url} sent more than {MAX_REPLY // 1024} KB; not a timestamp")
    try:
        response = decode_timestamp_response(body)
    except ValueError as err:
        raise TimestampError(f"{authority.url} did not send a timestamp reply ({err})") from err
    if response.tst_info.nonce != request.nonce:
        raise TimestampError(f"{authority.url} answered another request (its nonce does not match ours)")
    if response.tst_info.message_imprint.message != hashlib.sha256(message).digest():
        raise TimestampError(f"{authority.url} timestamped something else")
    if authority.root is not None:
        found = check(body, message, [authority.root])
        if not found.ok:
            raise TimestampError(f"{authority.url}: {found.problem}")
    return body


def _roots(paths: list[Path]) -> list[x509.Certificate]:
    roots = []
    for path in paths:
        try:
            roots.extend(x509.load_pem_x509_certificates(path.read_bytes()))
        except (OSError, ValueError) as err:
            raise TimestampError(f"{path}: not a readable PEM certificate ({err})") from err
    return roots


def check(token: bytes, message: bytes, roots: list[Path]) -> TimestampCheck:
    """Whether ``token`` covers ``message`` and is signed under one of ``roots``."""
    from rfc3161_client import VerificationError, VerifierBuilder, decode_timestamp_response

    try:
        response = decode_timestamp_response(token)
    except ValueError as err:
        return TimestampCheck(False, None, "", f"not a timestamp token ({err})")
    signer = ", ".join(info.issuer.rfc4514_string() for info in response.signed_data.signer_infos)
    gen_time = response.tst_info.gen_time
    if response.tst_info.message_imprint.message != hashlib.sha256(message).digest():
        return TimestampCheck(False, gen_time, signer, "the token is for another checkpoint (its digest differs)")
    try:
        builder = VerifierBuilder()
        for root in _roots(roots):
            builder = builder.add_root_certificate(root)
        builder.build().verify(response, hashlib.sha256(message).digest())
    except TimestampError as err:
        return TimestampCheck(False, gen_time, signer, str(err))
    except (VerificationError, ValueError) as err:
        return TimestampCheck(False, gen_time, signer, f"the token does not verify ({err})")
    return TimestampCheck(True, gen_time, signer)


class Timestamper:
    """Timestamps the checkpoints that have no token yet; run from the hub's housekeeping."""

    def __init__(self, log: IncidentLog, config: TimestampsConfig, retry_seconds: float = RETRY_SECONDS) -> None:
        self.log = log
        self.config = config
        self.retry_seconds = retry_seconds
        self._resting_until = 0.0

    def pending(self) -> list[LoggedEvent]:
        """Checkpoint rows without a token, oldest first, however far back (at most BATCH a pass)."""
        return self.log.unstamped_checkpoints(BATCH)

    def tick(self) -> int:
        """One pass; the number of checkpoints timestamped."""
        if not self.config.authorities or time.monotonic() < self._resting_until:
            return 0
        with _ONE_PASS:
            return self._pass()

    def _pass(self) -> int:
        stamped = 0
        for point in self.pending():
            message = checkpoint_bytes(dict(point.detail))
            token, authority = self._ask_any(message)
            if token is None:
                self._resting_until = time.monotonic() + self.retry_seconds  # offline: later, not now
                break
            self.log.append(Event(kinds.LOG_TIMESTAMP, "hub", detail={
                "checkpoint": point.seq, "head_seq": point.detail.get("head_seq"), "authority": authority,
                "token": base64.b64encode(token).decode("ascii")}))
            stamped += 1
        return stamped

    def _ask_any(self, message: bytes) -> tuple[bytes | None, str]:
        for authority in self.config.authorities:
            try:
                return ask(authority, message, self.config.timeout_seconds), authority.url
            except TimestampError as err:
                logger.warning("no timestamp from %s: %s", authority.url, err)
            except Exception:  # a library fault is logged; the checkpoint waits for the next pass
                logger.exception("asking %s for a timestamp failed", authority.url)
        return None, ""
