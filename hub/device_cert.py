"""The device's X.509 certificate, made for its Ed25519 key at first start: what C2PA and PDF signatures carry.

Content Credentials and PDF signatures name their signer by certificate, and C2PA refuses a
self-signed one. So at first start the hub makes a root of its own, issues one certificate to
the device key under it, and throws the root's private key away: nothing, the hub included, can
ever issue a second certificate under that root. Both certificates are public and kept in the
keys folder. Public validators show this signer as unknown (no public authority vouches for a
home hub); the reader is told to compare the device key's fingerprint instead, which the
certificate carries as its subject's serial number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hub.errors import PorchlightError
from hub.files import create_once, write_atomic
from hub.keys import fingerprint

CERT_NAME = "device_cert.pem"  # the device's certificate, then its root: the chain signers embed
ROOT_NAME = "device_root.pem"  # the root alone, for a validator told to trust it
DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")
YEARS = 30


class CertificateError(PorchlightError):
    """The certificate in the keys folder does not belong to this device's key."""


@dataclass(frozen=True)
class DeviceCertificates:
    """The chain as PEM: the device certificate, then the root it was issued under."""

    chain_pem: bytes

    @property
    def device(self) -> x509.Certificate:
        """The device's own certificate."""
        return x509.load_pem_x509_certificates(self.chain_pem)[0]

    @property
    def root(self) -> x509.Certificate:
        """The root it was issued under."""
        return x509.load_pem_x509_certificates(self.chain_pem)[-1]

    @property
    def root_pem(self) -> bytes:
        """The root alone, for a validator told to trust it."""
        return self.root.public_bytes(serialization.Encoding.PEM)


def _name(common: str, device_name: str, print_: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"Porchlight hub {device_name}"[:64]),
                      x509.NameAttribute(NameOID.SERIAL_NUMBER, print_)])


def issue(public: Ed25519PublicKey, device_name: str, now: dt.datetime) -> DeviceCertificates:
    """A new root and one certificate under it for ``public``; the root's key is gone when this returns."""
    root_key = Ed25519PrivateKey.generate()  # lives only in this function
    print_ = fingerprint(public)
    root_name = _name("Porchlight device root (issues one certificate only)", device_name, print_)
    until = now + dt.timedelta(days=365 * YEARS)
    root = (x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
            .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(until)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
            .sign(root_key, None))
    device = (x509.CertificateBuilder().subject_name(_name(f"Porchlight hub {device_name}"[:64], device_name, print_))
              .issuer_name(root_name).public_key(public).serial_number(x509.random_serial_number())
              .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(until)
              .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
              .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                           data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                           crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
              # C2PA accepts email protection or document signing; PDF readers look for document signing.
              .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING]),
                             critical=False)
              .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
                             critical=False)
              .sign(root_key, None))
    as_pem = serialization.Encoding.PEM
    return DeviceCertificates(device.public_bytes(as_pem) + root.public_bytes(as_pem))


def _raw(key: object) -> bytes:
    assert isinstance(key, Ed25519PublicKey), "the device certificate is for an Ed25519 key"
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def device_certificates(keys_dir: Path, public: Ed25519PublicKey, device_name: str) -> DeviceCertificates:
    """The device's certificates, made on first use; a certificate for another key is an error."""
    chain_path = keys_dir / CERT_NAME
    if not chain_path.exists():
        # One file holds both, written whole once: two processes starting together cannot mix their roots.
        create_once(chain_path, issue(public, device_name, dt.datetime.now(dt.timezone.utc)).chain_pem)
    found = DeviceCertificates(chain_path.read_bytes())
    chain = x509.load_pem_x509_certificates(found.chain_pem)
    if len(chain) != 2 or _raw(chain[0].public_key()) != _raw(public) or chain[0].issuer != chain[1].subject:
        raise CertificateError(f"{chain_path} is not this device key's certificate: move it aside and restart the "
                               "hub to make a new one")
    root_path = keys_dir / ROOT_NAME
    if not root_path.exists():
        write_atomic(root_path, found.root_pem)  # for a validator told to trust it
    return found
