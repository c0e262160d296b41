"""The platform seal's identity: its certificate and key, created, loaded, checked and kept."""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificatePublicKeyTypes,
    PrivateKeyTypes,
    PublicKeyTypes,
)
from cryptography.x509.oid import NameOID

KEY_FILE = "seal-key.pem"
CHAIN_FILE = "seal-chain.pem"
ROOT_FILE = "seal-root.pem"
LOCK_FILE = ".seal.lock"

ROOT_COMMON_NAME = "Digital Volunteers local root"
ORGANISATION = "Digital Volunteers"
ROOT_LIFETIME = timedelta(days=3652)
SEAL_LIFETIME = timedelta(days=1826)
# Backdated a little so that a verifier whose clock lags ours still accepts a fresh seal.
CLOCK_SKEW = timedelta(minutes=5)


class SealError(Exception):
    """The seal cannot be made or configured; the message says why in plain words."""


@dataclass(frozen=True)
class SealIdentity:
    """Key and certificates the platform seals with, all PEM."""

    key_pem: bytes = field(repr=False)
    chain_pem: bytes
    trust_root_pem: bytes

    @property
    def certificate(self) -> x509.Certificate:
        """The seal certificate (the first of the chain)."""
        return x509.load_pem_x509_certificates(self.chain_pem)[0]

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the seal certificate, lowercase hex, as `SealCheck` reports it."""
        return fingerprint(self.certificate.public_bytes(serialization.Encoding.DER))


def create_identity(common_name: str = "Digital Volunteers platform seal") -> SealIdentity:
    """A fresh local root and a seal certificate issued by it."""
    # EC P-256 rather than RSA 3072: same security level, keys are generated in a millisecond
    # instead of up to a second, and signatures are 64 bytes; Acrobat and poppler verify both.
    now = datetime.now(UTC) - CLOCK_SKEW
    root_key = ec.generate_private_key(ec.SECP256R1())
    seal_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name(ROOT_COMMON_NAME)
    root_ski = x509.SubjectKeyIdentifier.from_public_key(root_key.public_key())
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + ROOT_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(root_ski, critical=False)
        .sign(root_key, hashes.SHA256())
    )
    seal = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(root_name)
        .public_key(seal_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + SEAL_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(seal_key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    # The root's private key is dropped here on purpose: it is never needed again, and not
    # keeping it means a copied data directory cannot be used to mint further certificates.
    root_pem = root.public_bytes(serialization.Encoding.PEM)
    return SealIdentity(
        key_pem=_key_pem(seal_key),
        chain_pem=seal.public_bytes(serialization.Encoding.PEM) + root_pem,
        trust_root_pem=root_pem,
    )


def load_or_create_identity(directory: Path) -> SealIdentity:
    """The identity kept in `directory`, created there on first use."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    key_path, chain_path, root_path = (directory / n for n in (KEY_FILE, CHAIN_FILE, ROOT_FILE))
    # The web process and the worker may both start on an empty directory; without the lock
    # each could write its own identity and leave a key next to the other's certificate.
    with open(directory / LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        # The key is written last, so its presence means the identity is complete; a crash
        # part-way leaves no key and the next start simply creates a new identity.
        if not key_path.exists():
            identity = create_identity()
            _write_atomically(chain_path, identity.chain_pem, 0o644)
            _write_atomically(root_path, identity.trust_root_pem, 0o644)
            _write_atomically(key_path, identity.key_pem, 0o600)
        return load_identity(chain_path, key_path, trust_root_path=root_path)


def load_identity(
    chain_path: Path,
    key_path: Path,
    password: bytes | None = None,
    trust_root_path: Path | None = None,
) -> SealIdentity:
    """An operator-provided identity, checked so that a bad setup fails at start, not later."""
    chain = _read_certificates(chain_path, "seal certificate chain")
    if trust_root_path is None:
        root = chain[-1]
    else:
        roots = _read_certificates(trust_root_path, "seal trust root")
        if len(roots) != 1:
            raise SealError(
                f"The seal trust root file {trust_root_path} must hold exactly one certificate,"
                f" not {len(roots)}."
            )
        root = roots[0]
    key = _read_private_key(key_path, password)
    seal = chain[0]
    if _public_der(key.public_key()) != _public_der(seal.public_key()):
        raise SealError(
            f"The private key in {key_path} does not match the seal certificate,"
            f" the first certificate in {chain_path}."
        )
    _check_seal_certificate(seal, chain_path)
    _check_chain_reaches_root(chain, root, chain_path, trust_root_path)
    return SealIdentity(
        key_pem=_key_pem(key),
        chain_pem=b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain),
        trust_root_pem=root.public_bytes(serialization.Encoding.PEM),
    )


def issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether `issuer` directly issued `certificate` (its signature checks out)."""
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def fingerprint(der: bytes) -> str:
    """SHA-256 of a certificate's DER bytes, lowercase hex."""
    return hashlib.sha256(der).hexdigest()


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(
    *,
    digital_signature: bool = False,
    content_commitment: bool = False,
    key_cert_sign: bool = False,
    crl_sign: bool = False,
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=content_commitment,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _key_pem(key: PrivateKeyTypes) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _public_der(key: PublicKeyTypes | CertificatePublicKeyTypes) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise SealError(f"The {what} file {path} does not exist.") from None
    except OSError as error:
        raise SealError(f"The {what} file {path} cannot be read: {error.strerror}.") from None


def _read_certificates(path: Path, what: str) -> list[x509.Certificate]:
    data = _read(path, what)
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError:
        raise SealError(f"The {what} file {path} holds no readable PEM certificate.") from None


def _read_private_key(path: Path, password: bytes | None) -> PrivateKeyTypes:
    data = _read(path, "seal key")
    try:
        return serialization.load_pem_private_key(data, password=password)
    except TypeError:
        # cryptography signals a password given or missing against the key's encryption
        # with TypeError; only the two cases are possible.
        if password is None:
            problem = "is encrypted, but no password was given"
        else:
            problem = "is not encrypted, but a password was given"
    except ValueError:
        if password is None or b"ENCRYPTED" not in data:
            problem = "holds no readable PEM private key"
        else:
            problem = "cannot be decrypted: the password is wrong"
    except UnsupportedAlgorithm:
        problem = "holds a key of a type that is not supported"
    raise SealError(f"The seal key file {path} {problem}.")


def _check_seal_certificate(seal: x509.Certificate, chain_path: Path) -> None:
    now = datetime.now(UTC)
    where = f"The seal certificate (the first in {chain_path})"
    if seal.not_valid_after_utc <= now:
        raise SealError(f"{where} expired on {seal.not_valid_after_utc:%Y-%m-%d}.")
    if seal.not_valid_before_utc > now:
        raise SealError(f"{where} is not valid before {seal.not_valid_before_utc:%Y-%m-%d}.")
    # PAdES verifiers, pyHanko's included, reject seals whose certificate lacks this usage.
    try:
        usage = seal.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is None or not usage.content_commitment:
        raise SealError(f"{where} lacks the nonRepudiation (contentCommitment) key usage.")


def _check_chain_reaches_root(
    chain: list[x509.Certificate],
    root: x509.Certificate,
    chain_path: Path,
    trust_root_path: Path | None,
) -> None:
    links = list(zip(chain, chain[1:], strict=False))
    if chain[-1] != root:
        links.append((chain[-1], root))
    for certificate, issuer in links:
        if not issued_by(certificate, issuer):
            target = trust_root_path if trust_root_path is not None else "its last certificate"
            raise SealError(
                f"The certificate chain in {chain_path} does not lead to the trust root"
                f" ({target}): {certificate.subject.rfc4514_string()} is not issued by"
                f" {issuer.subject.rfc4514_string()}."
            )


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    # mkstemp creates the file 0600, so a key is never readable by others even for a moment.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    # The rename itself must reach the disk too, or a crash could lose a key already in use.
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
