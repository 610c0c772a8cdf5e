"""FTPS (explicit TLS, as ``ftps://``) against pyftpdlib's TLS handler: encrypted upload, resume, refusals."""

from __future__ import annotations

import datetime as dt
import ssl
from pathlib import Path

import pytest

pytest.importorskip("OpenSSL", reason="pyftpdlib's FTPS server needs pyOpenSSL")

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from ftp_server import PASSWORD, USER, FtpServer

from bioimage_depositor.domain.transfer.engine import TransferJob
from bioimage_depositor.domain.transfer.ftp import FtpTransport
from bioimage_depositor.domain.transfer.ledger import Ledger


def self_signed(folder: Path) -> Path:
    """A certificate for 127.0.0.1 with its key, in one PEM file as pyftpdlib wants it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    pem = folder / "server.pem"
    pem.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    )
    return pem


@pytest.fixture
def ftps(tmp_path):
    root = tmp_path / "ftproot"
    (root / "ab").mkdir(parents=True)
    pem = self_signed(tmp_path)
    server = FtpServer(root, tls=str(pem)).start()
    yield server, root, pem
    server.stop()


def transport(server: FtpServer, pem: Path | None) -> FtpTransport:
    context = ssl.create_default_context(cafile=str(pem)) if pem else ssl.create_default_context()
    return FtpTransport("127.0.0.1", server.port, USER, PASSWORD, "ab/secret", tls=True, context=context)


def test_an_encrypted_upload_lands_byte_identical_and_a_rerun_sends_nothing(tmp_path, ftps):
    server, root, pem = ftps
    source = tmp_path / "pkg"
    (source / "sub").mkdir(parents=True)
    (source / "a.bin").write_bytes(bytes(range(256)) * 4000)
    (source / "sub" / "b.txt").write_text("hello")
    with Ledger(tmp_path / "l.sqlite3") as ledger:
        report = TransferJob(ledger, transport(server, pem), source=source).run()
    assert report.ok and report.verified == 2, report
    assert (root / "ab" / "secret" / "a.bin").read_bytes() == (source / "a.bin").read_bytes()
    assert (root / "ab" / "secret" / "sub" / "b.txt").read_text() == "hello"
    with Ledger(tmp_path / "l.sqlite3") as ledger:
        again = TransferJob(ledger, transport(server, pem), source=source).run()
    assert again.ok and again.bytes_sent == 0 and again.skipped == 2


def test_an_untrusted_certificate_is_refused_with_a_clear_reason(tmp_path, ftps):
    server, _root, _pem = ftps
    source = tmp_path / "one.bin"
    source.write_bytes(b"x" * 100)
    with Ledger(tmp_path / "l.sqlite3") as ledger:
        report = TransferJob(ledger, transport(server, None), source=source).run()
    assert not report.ok
    assert report.error_code == "tls.untrusted", "a certificate problem stops at once instead of retrying"
    assert "certificate is not trusted" in report.message
