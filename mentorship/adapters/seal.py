"""The platform seal: PAdES-sealing signed agreements and checking uploaded copies.

The seal's certificate and key live in `mentorship.adapters.seal_identity`.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
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

from mentorship.adapters.seal_identity import SealError, SealIdentity, fingerprint, issued_by
from mentorship.i18n import N_

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

# A seal's signature container besides its certificates: signed attributes, the signature and
# algorithm names take about 500 bytes with the platform's EC key, 1 KB with a 4096-bit RSA one.
CMS_BESIDES_CERTIFICATES = 2048


@dataclass(frozen=True)
class SealCheck:
    """What checking an uploaded PDF found."""

    sealed_by_platform: bool
    problem: str | None
    signed_at: datetime | None
    signer_fingerprint: str | None


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
    signer_fingerprint = fingerprint(status.signing_cert.dump())

    def fails(problem: str) -> SealCheck:
        return SealCheck(False, problem, signed_at, signer_fingerprint)

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
    return SealCheck(True, None, signed_at, signer_fingerprint)


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
        if issued_by(current, root):
            return True
        issuer = next((c for c in pool if c != current and issued_by(current, c)), None)
        if issuer is None:
            return False
        pool.remove(issuer)
        current = issuer
    return False


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


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
