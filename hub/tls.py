"""The dashboard's self-signed certificate: made once on first start, its fingerprint shown to check."""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hub.files import write_atomic

CERT_NAME = "web-cert.pem"
KEY_NAME = "web-key.pem"
VALID_DAYS = 3650


def ensure_certificate(keys_dir: Path, device_name: str, cert_name: str = CERT_NAME,
                       key_name: str = KEY_NAME) -> tuple[Path, Path]:
    """Return (certificate, private key) paths, making both the first time."""
    cert_path, key_path = keys_dir / cert_name, keys_dir / key_name
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{device_name}.local")])
    now = datetime.now(timezone.utc)
    names: list[x509.GeneralName] = [x509.DNSName(f"{device_name}.local"), x509.DNSName("porchlight.local"),
                                     x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=VALID_DAYS))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    write_atomic(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()), mode=0o600)
    write_atomic(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def fingerprint(cert_path: Path) -> str:
    """The certificate's SHA-256 fingerprint as browsers show it (AB:CD:...)."""
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()
