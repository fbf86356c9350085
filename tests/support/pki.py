"""A throw-away certificate authority for TLS tests, as PEM files: a CA, the broker's
certificate (for 127.0.0.1 and localhost, as clients check the host name) with an
unencrypted key, and a client certificate whose key is encrypted with a password.

A second, unrelated CA (``stranger``) signs nothing the broker trusts, for the refusals.
EC keys: made in milliseconds, and Kafka reads them from PEM as it reads RSA ones.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KEY_PASSWORD = "client-key-password-0123"


@dataclass(frozen=True)
class Pki:
    ca: Path
    broker_cert: Path
    broker_key: Path
    client_cert: Path
    client_key: Path  # encrypted with KEY_PASSWORD
    stranger_ca: Path
    stranger_cert: Path  # a client certificate the broker's CA never signed
    stranger_key: Path  # not encrypted


def make_pki(directory: Path) -> Pki:
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca = _authority("ledger test CA")
    stranger_key, stranger = _authority("someone else's CA")
    broker_key, broker = _leaf("127.0.0.1", ca_key, ca, server=True)
    client_key, client = _leaf("ledger", ca_key, ca, server=False)
    other_key, other = _leaf("ledger", stranger_key, stranger, server=False)
    encrypted = serialization.BestAvailableEncryption(KEY_PASSWORD.encode())
    files = {
        "ca.pem": _cert(ca),
        "broker.pem": _cert(broker),
        "broker.key": _key(broker_key, serialization.NoEncryption()),
        "client.pem": _cert(client),
        "client.key": _key(client_key, encrypted),
        "stranger-ca.pem": _cert(stranger),
        "stranger.pem": _cert(other),
        "stranger.key": _key(other_key, serialization.NoEncryption()),
    }
    for name, data in files.items():
        (directory / name).write_bytes(data)
    d = directory
    return Pki(
        d / "ca.pem",
        d / "broker.pem",
        d / "broker.key",
        d / "client.pem",
        d / "client.key",
        d / "stranger-ca.pem",
        d / "stranger.pem",
        d / "stranger.key",
    )


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _builder(subject: str, issuer: x509.Name, key: ec.EllipticCurvePrivateKey) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - datetime.timedelta(minutes=5))
        .not_valid_after(_now() + datetime.timedelta(days=2))
    )


def _authority(name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        _builder(name, subject, key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _leaf(
    name: str, ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate, *, server: bool
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = _builder(name, ca.subject, key).add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
    return key, builder.sign(ca_key, hashes.SHA256())


def _cert(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key(key: ec.EllipticCurvePrivateKey, encryption: serialization.KeySerializationEncryption) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
