"""The export's report.pdf signed with the device key (PAdES, through pyHanko), so a PDF reader shows
who signed it and whether it changed since.

The signature uses the device certificate (hub/device_cert.py). With a time-stamping authority
configured and reachable, the signature carries its timestamp; without one the PDF is signed
all the same, and the export says so. Checking needs pyHanko and the device root only: nothing
is fetched.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from hub.config import TimestampsConfig
from hub.device_cert import DeviceCertificates

logger = logging.getLogger(__name__)
FIELD = "PorchlightHub"


@dataclass(frozen=True)
class ReportCheck:
    """pyHanko's verdict on a signed PDF."""

    ok: bool  # unchanged since signed, and signed under the given root
    intact: bool
    trusted: bool
    signer: str
    timestamp: str  # when the authority says it was signed, or "" without a timestamp
    problem: str = ""


def sign_report(pdf: bytes, key_pem: bytes, certificates: DeviceCertificates,
                timestamps: TimestampsConfig) -> tuple[bytes, str]:
    """The signed PDF, and how it was signed (with or without a timestamp, and why)."""
    from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers, timestamps as stampers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    device, root = list(load_certs_from_pemder_data(certificates.chain_pem))
    signer = signers.SimpleSigner(signing_cert=device, signing_key=load_private_key_from_pemder_data(key_pem, None),
                                  cert_registry=SimpleCertificateStore.from_certs([device, root]))  # type: ignore[no-untyped-call]
    # Ed25519 in CMS always hashes with SHA-512 (RFC 8419): the digest is left for pyHanko to choose.
    meta = signers.PdfSignatureMetadata(field_name=FIELD, md_algorithm=None, subfilter=fields.SigSeedSubFilter.PADES,
                                        reason="Porchlight evidence export", location="the hub that recorded it")
    # Only an authority whose root she gave: its timestamp is checked against that root before it is kept
    # (one slipped in by someone between the hub and the authority would make a true report look forged).
    for authority in timestamps.checkable():
        assert authority.root is not None
        stamper = stampers.HTTPTimeStamper(authority.url, timeout=int(timestamps.timeout_seconds))
        try:
            signed = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer,
                                      timestamper=stamper).getvalue()
        except Exception as err:  # unreachable, or not an authority: try the next, then sign without
            logger.warning("report.pdf: no timestamp from %s (%s: %s)", authority.url, type(err).__name__, err)
            continue
        verdict = check_report(signed, certificates.root_pem, authority.root.read_bytes())
        if verdict.ok and verdict.timestamp:
            return signed, f"signed with the device key, timestamped by {authority.url}"
        logger.warning("report.pdf: the timestamp from %s does not check out (%s); not used", authority.url,
                       verdict.problem or "no valid timestamp")
    signed = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer)
    why = "no authority with a root answered" if timestamps.authorities else "no time-stamping authority is configured"
    return signed.getvalue(), f"signed with the device key, without a timestamp ({why})"


def check_report(pdf: bytes, root_pem: bytes, authority_roots: bytes = b"") -> ReportCheck:
    """Validate the PDF's signature with pyHanko, trusting only ``root_pem`` (and, for the timestamp in it,
    ``authority_roots``); never fetches anything."""
    from pyhanko.keys import load_certs_from_pemder_data
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        signatures = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    except Exception as err:
        return ReportCheck(False, False, False, "", "", f"not a readable PDF ({type(err).__name__}: {err})")
    if not signatures:
        return ReportCheck(False, False, False, "", "", "the PDF carries no signature")
    roots = list(load_certs_from_pemder_data(root_pem + authority_roots))
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    try:
        status = validate_pdf_signature(signatures[0], context)
    except Exception as err:
        return ReportCheck(False, False, False, "", "", f"the signature could not be checked ({err})")
    stamp = status.timestamp_validity
    when = stamp.timestamp.isoformat() if stamp is not None and stamp.intact and stamp.valid and stamp.trusted else ""
    signer = status.signing_cert.subject.human_friendly if status.signing_cert is not None else ""
    if status.bottom_line:
        problem = ""
    elif not status.intact:
        problem = "the PDF was changed after it was signed"
    elif not status.trusted:
        problem = "the signer is not the hub's device certificate"
    else:
        problem = "its timestamp does not check out against the authority's root"
    return ReportCheck(bool(status.bottom_line), bool(status.intact), bool(status.trusted), signer, when, problem)
