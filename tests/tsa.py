"""A real RFC 3161 time-stamping authority on 127.0.0.1: OpenSSL's ``openssl ts -reply`` behind HTTP,
with a certificate authority made for the test."""

from __future__ import annotations

import datetime as dt
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_CONFIG = """[ tsa ]
default_tsa = tsa1
[ tsa1 ]
serial = {folder}/serial
crypto_device = builtin
signer_cert = {folder}/tsa.pem
signer_key = {folder}/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.55555.1.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


@dataclass
class TimeAuthority:
    """The running authority: its address, its root certificate, and what it has been asked."""

    url: str
    root: Path
    server: ThreadingHTTPServer
    requests: int = 0
    down: bool = False  # answer 503, as an authority that is unreachable or failing would


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_pki(folder: Path, common: str = "Test Time Authority") -> None:
    """A root, and a time-stamping certificate under it (critical timeStamping use, as RFC 3161 asks)."""
    now = dt.datetime.now(dt.timezone.utc)
    root_key, tsa_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root = (x509.CertificateBuilder().subject_name(_name(f"{common} Root")).issuer_name(_name(f"{common} Root"))
            .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256()))
    tsa = (x509.CertificateBuilder().subject_name(_name(common)).issuer_name(root.subject)
           .public_key(tsa_key.public_key()).serial_number(x509.random_serial_number())
           .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
           .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
           .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
           .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
           .sign(root_key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    (folder / "tsa.pem").write_bytes(tsa.public_bytes(serialization.Encoding.PEM))
    (folder / "tsa.key").write_bytes(tsa_key.private_bytes(serialization.Encoding.PEM,
                                                           serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()))
    (folder / "serial").write_text("01\n")
    (folder / "tsa.cnf").write_text(_CONFIG.format(folder=folder))


def start(folder: Path) -> TimeAuthority:
    """Serve ``openssl ts -reply`` for the PKI in ``folder`` on a free port of 127.0.0.1."""
    lock = threading.Lock()  # openssl rewrites its serial file: one reply at a time

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server interface
            authority.requests += 1
            query = self.rfile.read(min(int(self.headers.get("Content-Length", 0)), 65536))
            if authority.down:
                self.send_error(503, "down for the test")
                return
            with lock, tempfile.NamedTemporaryFile(suffix=".tsq") as handle:
                handle.write(query)
                handle.flush()
                made = subprocess.run(["openssl", "ts", "-reply", "-config", str(folder / "tsa.cnf"),
                                       "-queryfile", handle.name, "-signer", str(folder / "tsa.pem"),
                                       "-inkey", str(folder / "tsa.key")], capture_output=True, timeout=20)
            if made.returncode != 0 or not made.stdout:
                self.send_error(500, made.stderr.decode(errors="replace")[:200])
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(made.stdout)))
            self.end_headers()
            self.wfile.write(made.stdout)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    authority = TimeAuthority(f"http://127.0.0.1:{server.server_address[1]}/tsr", folder / "root.pem", server)
    threading.Thread(target=server.serve_forever, name="test-tsa", daemon=True).start()
    return authority
