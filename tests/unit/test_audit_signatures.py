"""Checkpoints are signed with whatever key the seal has: EC (ours), RSA, DSA or EdDSA (an
operator's); the seal certificate verifies them, and nothing else does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa, x25519
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import NameOID

from mentorship.services import checkpoints

MESSAGE = checkpoints.checkpoint_message(3, 41, "ab" * 32, datetime(2026, 12, 9, 10, 0, 0, 123456))


def _pem(key: CertificateIssuerPrivateKeyTypes) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _certificate(key: CertificateIssuerPrivateKeyTypes) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "seal")])
    now = datetime.now(UTC)
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, algorithm)
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda: ec.generate_private_key(ec.SECP256R1()),
        lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
        lambda: dsa.generate_private_key(key_size=1024),  # small: a test, and quick to make
        ed25519.Ed25519PrivateKey.generate,
    ],
    ids=["ec", "rsa", "dsa", "ed25519"],
)
def test_a_checkpoint_signed_by_the_seal_key_verifies_only_against_its_certificate(
    make: Callable[[], CertificateIssuerPrivateKeyTypes],
) -> None:
    key, other = make(), make()
    signature = checkpoints.sign(_pem(key), MESSAGE)
    assert checkpoints.signature_holds(_certificate(key), MESSAGE, signature)
    assert not checkpoints.signature_holds(
        _certificate(key), MESSAGE.replace(b":41:", b":42:"), signature
    )
    assert not checkpoints.signature_holds(_certificate(other), MESSAGE, signature)


def test_a_key_that_cannot_sign_is_a_plain_error() -> None:
    key = x25519.X25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(checkpoints.CheckpointError, match="X25519PrivateKey"):
        checkpoints.sign(pem, MESSAGE)


def test_the_signed_message_names_every_field_in_a_fixed_form() -> None:
    assert MESSAGE == (
        b"digivol-audit-checkpoint:v1:3:41:" + b"ab" * 32 + b":2026-12-09T10:00:00.123456"
    )
    aware = datetime(2026, 12, 9, 11, 0, 0, 123456, tzinfo=UTC) - timedelta(hours=1)
    assert checkpoints.checkpoint_message(3, 41, "ab" * 32, aware) == MESSAGE
