"""The platform seal: PAdES-sealing signed agreements and checking uploaded copies."""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

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
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.rw_common import find_inherited_value_in_tree
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import (
    EmbeddedPdfSignature,
    PdfSignatureStatus,
    SignatureCoverageLevel,
    async_validate_pdf_signature,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.authority import CertTrustAnchor
from pyhanko_certvalidator.registry import SimpleCertificateStore

from mentorship.i18n import N_

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

NOT_A_PDF = N_("This is not a readable PDF.")
ENCRYPTED = N_("The PDF is encrypted, so its seal cannot be checked.")
NO_SEAL = N_("It carries no seal.")
DAMAGED_SEAL = N_("Its seal is damaged and cannot be read.")
CHANGED = N_("The document was changed after it was sealed.")
SOMEONE_ELSE = N_("It was sealed by someone else's certificate.")
CERTIFICATE_NOT_VALID = N_(
    "The seal's certificate is not valid now (expired, revoked or not meant for sealing)."
)

# Page attributes a page may inherit from its page-tree ancestors (ISO 32000-1, 7.7.3.4).
INHERITABLE_PAGE_KEYS = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")


class SealError(Exception):
    """The seal cannot be made or configured; the message says why in plain words."""


# A seal's signature container besides its certificates: signed attributes, the signature and
# algorithm names take about 500 bytes with the platform's EC key, 1 KB with a 4096-bit RSA one.
CMS_BESIDES_CERTIFICATES = 2048


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
        return _fingerprint(self.certificate.public_bytes(serialization.Encoding.DER))


@dataclass(frozen=True)
class SealCheck:
    """What checking an uploaded PDF found."""

    sealed_by_platform: bool
    problem: str | None
    signed_at: datetime | None
    signer_fingerprint: str | None


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


def append_pages(pdf: bytes, extra: bytes) -> bytes:
    """`pdf` followed by an incremental update that adds every page of `extra` at the end."""
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        extra_reader = PdfFileReader(BytesIO(extra))
    except Exception as error:
        raise SealError(f"Cannot read the PDF to extend: {error}") from error
    # Grafting the other document's whole page tree in as one subtree takes a single import,
    # so fonts and images shared between its pages are copied once, and links between those
    # pages keep pointing at the right copies.
    imported = writer.import_object(extra_reader.root.raw_get("/Pages"))
    if not isinstance(imported, generic.IndirectObject):
        raise SealError("The PDF to append has a malformed page tree.")
    subtree = imported.get_object()
    for page in _leaf_pages(subtree):
        _settle_page(page)

    pages_ref = writer.root.raw_get("/Pages")
    pages = pages_ref.get_object()
    subtree[pdf_name("/Parent")] = pages_ref
    kids = pages["/Kids"]
    kids.append(imported)
    pages[pdf_name("/Count")] = generic.NumberObject(pages["/Count"] + subtree["/Count"])
    writer.update_container(kids)
    writer.update_container(pages)

    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def seal_pdf(
    pdf: bytes,
    identity: SealIdentity,
    *,
    reason: str,
    location: str,
    field_name: str = "PlatformSeal",
) -> bytes:
    """`pdf` with an invisible PAdES B-B seal appended as an incremental update.

    Runs its own event loop (pyHanko's sync API calls asyncio.run), so call it from a plain
    thread; async code awaits `seal_pdf_async` instead.
    """
    pdf_signer, writer, reserved = _prepare_seal(pdf, identity, reason, location, field_name)
    try:
        output = pdf_signer.sign_pdf(writer, bytes_reserved=reserved)
    except Exception as error:
        raise SealError(f"Cannot seal the PDF: {error}") from error
    return bytes(output.getvalue())


async def seal_pdf_async(
    pdf: bytes,
    identity: SealIdentity,
    *,
    reason: str,
    location: str,
    field_name: str = "PlatformSeal",
) -> bytes:
    """`seal_pdf` for code already inside an event loop."""
    pdf_signer, writer, reserved = _prepare_seal(pdf, identity, reason, location, field_name)
    try:
        output = await pdf_signer.async_sign_pdf(writer, bytes_reserved=reserved)
    except Exception as error:
        raise SealError(f"Cannot seal the PDF: {error}") from error
    return bytes(output.getvalue())


def verify_sealed(pdf: bytes, trust_root_pem: bytes) -> SealCheck:
    """Whether `pdf` is, unchanged, a document the platform sealed; never raises on bad input.

    Like `seal_pdf`, runs its own event loop; async code awaits `verify_sealed_async`.
    """
    return asyncio.run(verify_sealed_async(pdf, trust_root_pem))


async def verify_sealed_async(pdf: bytes, trust_root_pem: bytes) -> SealCheck:
    """`verify_sealed` for code already inside an event loop."""
    root, anchor = _trust_root(trust_root_pem)
    # Anything may arrive as an upload, so every failure of the parser is a verdict, not a crash.
    try:
        reader = PdfFileReader(BytesIO(pdf))
        if reader.encrypted:
            return _fails(ENCRYPTED)
        signatures = reader.embedded_regular_signatures
    except Exception:
        return _fails(NOT_A_PDF)
    if not signatures:
        return _fails(NO_SEAL)

    seal = signatures[-1]
    status = await _validate(seal, anchor)
    if status is None:
        return _fails(DAMAGED_SEAL)
    signed_at = _utc(status.signer_reported_dt)
    fingerprint = _fingerprint(status.signing_cert.dump())

    def fails(problem: str) -> SealCheck:
        return SealCheck(False, problem, signed_at, fingerprint)

    if not (status.intact and status.valid):
        return fails(CHANGED)
    if not status.trusted:
        # pyHanko's trust verdicts do not separate "not ours" from "ours but expired": every
        # installation's root has the same name, so a stranger's chain fails like an expired one.
        if _issued_under(seal, root):
            return fails(CERTIFICATE_NOT_VALID)
        # A stranger's signature on top of ours means the sealed document was changed.
        for earlier in signatures[:-1]:
            earlier_status = await _validate(earlier, anchor)
            if earlier_status is not None and earlier_status.trusted:
                return fails(CHANGED)
        return fails(SOMEONE_ELSE)
    # pyHanko's ENTIRE_FILE only compares lengths; also require the signed range to end at
    # the file's last byte so nothing can hide after it.
    _, _, tail_start, tail_length = seal.byte_range
    covers_all = status.coverage is SignatureCoverageLevel.ENTIRE_FILE
    if not covers_all or tail_start + tail_length != len(pdf):
        return fails(CHANGED)
    return SealCheck(True, None, signed_at, fingerprint)


def _bytes_reserved(certificates: list[Any]) -> int:
    """Room in the PDF for the seal's signature container, hex-encoded: the certificates it
    carries and the rest (CMS_BESIDES_CERTIFICATES).

    Left to pyHanko, every seal first signs a dummy container to measure it: sealing an NDA
    took 25 ms that way, 14 ms this way.
    """
    return 2 * (sum(len(c.dump()) for c in certificates) + CMS_BESIDES_CERTIFICATES)


def original_prefix_sha256(pdf: bytes, length: int) -> str:
    """SHA-256 hex of the first `length` bytes: the document as its signers saw it."""
    return hashlib.sha256(pdf[:length]).hexdigest()


def _prepare_seal(
    pdf: bytes, identity: SealIdentity, reason: str, location: str, field_name: str
) -> tuple[signers.PdfSigner, IncrementalPdfFileWriter, int]:
    certificates = list(load_certs_from_pemder_data(identity.chain_pem))
    signer = signers.SimpleSigner(
        signing_cert=certificates[0],
        signing_key=load_private_key_from_pemder_data(identity.key_pem, passphrase=None),
        cert_registry=SimpleCertificateStore.from_certs(certificates[1:]),
    )
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
    )
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
    except Exception as error:
        raise SealError(f"Cannot read the PDF to seal: {error}") from error
    # No box in the field spec makes the field invisible: the certificate page is the visible
    # part of the evidence.
    pdf_signer = signers.PdfSigner(
        meta, signer, new_field_spec=fields.SigFieldSpec(sig_field_name=field_name)
    )
    return pdf_signer, writer, _bytes_reserved(certificates)


async def _validate(
    signature: EmbeddedPdfSignature, anchor: CertTrustAnchor
) -> PdfSignatureStatus | None:
    # No fetching and soft-fail: the network is closed, and our certificates name no CRL or
    # OCSP service anyway. A fresh context per call, because contexts cache validation state.
    context = ValidationContext(
        trust_roots=[anchor], allow_fetching=False, revocation_mode="soft-fail"
    )
    try:
        # Diff analysis only judges updates made after signing, and we accept none.
        return await async_validate_pdf_signature(
            signature, signer_validation_context=context, skip_diff=True
        )
    except Exception:
        return None


def _fails(problem: str) -> SealCheck:
    return SealCheck(False, problem, None, None)


def _trust_root(trust_root_pem: bytes) -> tuple[x509.Certificate, CertTrustAnchor]:
    """Parsed up front, so that a bad root is a configuration error rather than a verdict."""
    try:
        root = x509.load_pem_x509_certificate(trust_root_pem)
    except ValueError:
        raise SealError("The seal trust root is not a PEM certificate.") from None
    der = root.public_bytes(serialization.Encoding.DER)
    return root, CertTrustAnchor(next(iter(load_certs_from_pemder_data(der))))


def _issued_under(signature: EmbeddedPdfSignature, root: x509.Certificate) -> bool:
    """Whether the signing certificate descends from `root` through the embedded certificates."""
    try:
        current = x509.load_der_x509_certificate(signature.signer_cert.dump())
        pool = [x509.load_der_x509_certificate(c.dump()) for c in signature.other_embedded_certs]
    except ValueError:
        return False
    # Each step consumes one embedded certificate, so a looping chain still ends.
    for _ in range(len(pool) + 1):
        if _issued_by(current, root):
            return True
        issuer = next((c for c in pool if c != current and _issued_by(current, c)), None)
        if issuer is None:
            return False
        pool.remove(issuer)
        current = issuer
    return False


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _fingerprint(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def _leaf_pages(node: generic.DictionaryObject) -> Iterator[generic.DictionaryObject]:
    seen: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        # A malformed tree can loop back on itself.
        if id(current) in seen:
            continue
        seen.add(id(current))
        if current.get("/Type") == "/Pages":
            stack.extend(kid.get_object() for kid in reversed(current["/Kids"]))
        else:
            yield current


def _settle_page(page: generic.DictionaryObject) -> None:
    # Pinned on the page itself, so that once it hangs below our page tree it does not pick up
    # a rotation or box that the host document's tree passes down.
    for key in INHERITABLE_PAGE_KEYS:
        value = find_inherited_value_in_tree(page, key, "/Parent")
        if value is not None:
            page[pdf_name(key)] = value
    if "/MediaBox" not in page:
        raise SealError("A page of the PDF to append has no MediaBox.")
    page.setdefault(pdf_name("/Resources"), generic.DictionaryObject())
    page.setdefault(pdf_name("/Rotate"), generic.NumberObject(0))
    page.setdefault(pdf_name("/CropBox"), page["/MediaBox"])
    # Structure-tree keys index the other document's structure tree, not ours.
    page.pop("/StructParents", None)


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
        if not _issued_by(certificate, issuer):
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
