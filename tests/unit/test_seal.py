"""The platform seal on real WeasyPrint PDFs, checked by pyHanko and by poppler."""

from __future__ import annotations

import asyncio
import hashlib
import re
import stat
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import BasePdfFileWriter, copy_into_new_writer
from weasyprint import HTML

from mentorship.adapters.seal import (
    CERTIFICATE_NOT_VALID,
    CHANGED,
    ENCRYPTED,
    NO_SEAL,
    NOT_A_PDF,
    SOMEONE_ELSE,
    append_pages,
    original_prefix_sha256,
    seal_pdf,
    seal_pdf_async,
    verify_sealed,
    verify_sealed_async,
)
from mentorship.adapters.seal_identity import (
    SealError,
    SealIdentity,
    create_identity,
    load_identity,
    load_or_create_identity,
)
from tests.pdf import pdf_text

AGREEMENT_HTML = (
    "<h1>Confidentiality Agreement</h1><p>Panificio Rossi and Nordvik Cloud agree.</p>"
    "<p style='page-break-before: always'>Second page of terms.</p>"
)
CERTIFICATE_HTML = "<h1>Signature Certificate</h1><p>Signed by Anna Lindqvist.</p>"


def _seal(pdf: bytes, identity: SealIdentity, field_name: str = "PlatformSeal") -> bytes:
    return seal_pdf(
        pdf, identity, reason="Signed agreement", location="Brussels", field_name=field_name
    )


@pytest.fixture(scope="module")
def identity() -> SealIdentity:
    return create_identity()


@pytest.fixture(scope="module")
def stranger() -> SealIdentity:
    return create_identity("Someone else's seal")


@pytest.fixture(scope="module")
def agreement() -> bytes:
    return bytes(HTML(string=AGREEMENT_HTML).write_pdf())


@pytest.fixture(scope="module")
def certificate_page() -> bytes:
    return bytes(HTML(string=CERTIFICATE_HTML).write_pdf())


@pytest.fixture(scope="module")
def with_certificate(agreement: bytes, certificate_page: bytes) -> bytes:
    return append_pages(agreement, certificate_page)


@pytest.fixture(scope="module")
def sealed_at() -> datetime:
    return datetime.now(UTC)


@pytest.fixture(scope="module")
def sealed(with_certificate: bytes, identity: SealIdentity, sealed_at: datetime) -> bytes:
    return _seal(with_certificate, identity)


def _page_count(pdf: bytes, tmp_path: Path) -> int:
    path = tmp_path / "count.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    lines = [line for line in info.stdout.splitlines() if line.startswith("Pages:")]
    return int(lines[0].split()[1])


def _without_last_page(writer: BasePdfFileWriter) -> None:
    pages = writer.root["/Pages"]
    removed = pages["/Kids"].pop().get_object()
    # The certificate arrives as a page-tree node of its own, so it may count several pages.
    pages[pdf_name("/Count")] = generic.NumberObject(pages["/Count"] - removed.get("/Count", 1))
    writer.update_container(pages["/Kids"])
    writer.update_container(pages)


def _written(writer: BasePdfFileWriter) -> bytes:
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _signed_ranges(pdf: bytes) -> list[tuple[int, int]]:
    start1, length1, start2, length2 = (
        PdfFileReader(BytesIO(pdf)).embedded_signatures[-1].byte_range
    )
    return [(start1, start1 + length1), (start2, start2 + length2)]


def test_appending_pages_keeps_the_original_as_an_exact_byte_prefix(
    agreement: bytes, with_certificate: bytes
) -> None:
    assert with_certificate.startswith(agreement)
    assert len(with_certificate) > len(agreement)
    assert (
        original_prefix_sha256(with_certificate, len(agreement))
        == hashlib.sha256(agreement).hexdigest()
    )


def test_the_appended_document_shows_the_pages_and_text_of_both(
    agreement: bytes, certificate_page: bytes, with_certificate: bytes, tmp_path: Path
) -> None:
    assert _page_count(with_certificate, tmp_path) == (
        _page_count(agreement, tmp_path) + _page_count(certificate_page, tmp_path)
    )
    text = pdf_text(with_certificate)
    assert text.index("Panificio Rossi") < text.index("Second page of terms")
    assert text.index("Second page of terms") < text.index("Signed by Anna Lindqvist")


def test_every_page_of_a_longer_extra_document_is_appended_in_order(
    agreement: bytes, certificate_page: bytes, tmp_path: Path
) -> None:
    combined = append_pages(certificate_page, agreement)
    assert combined.startswith(certificate_page)
    assert _page_count(combined, tmp_path) == 3
    text = pdf_text(combined)
    assert text.index("Signed by Anna Lindqvist") < text.index("Panificio Rossi")
    assert text.index("Panificio Rossi") < text.index("Second page of terms")


def test_a_sealed_agreement_verifies_as_the_platforms(
    sealed: bytes, with_certificate: bytes, identity: SealIdentity, sealed_at: datetime
) -> None:
    assert sealed.startswith(with_certificate)
    check = verify_sealed(sealed, identity.trust_root_pem)
    assert check.sealed_by_platform, check.problem
    assert check.problem is None
    assert check.signed_at is not None and check.signed_at.tzinfo is not None
    assert abs(check.signed_at - sealed_at) < timedelta(minutes=1)
    assert check.signer_fingerprint == identity.fingerprint


def test_poppler_finds_a_valid_pades_seal_over_the_whole_document(
    sealed: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "sealed.pdf"
    path.write_bytes(sealed)
    report = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert "Signature Field Name: PlatformSeal" in report
    assert "Signature Type: ETSI.CAdES.detached" in report
    assert "Signing Hash Algorithm: SHA-256" in report
    assert "Total document signed" in report
    assert "Signature is Valid" in report


@pytest.mark.parametrize("signed_range", [0, 1])
@pytest.mark.parametrize("fraction", [0.05, 0.3, 0.5, 0.7, 0.95])
def test_flipping_one_signed_byte_anywhere_breaks_the_seal(
    sealed: bytes, identity: SealIdentity, signed_range: int, fraction: float
) -> None:
    start, end = _signed_ranges(sealed)[signed_range]
    offset = start + int((end - start) * fraction)
    tampered = bytearray(sealed)
    tampered[offset] ^= 0x01
    check = verify_sealed(bytes(tampered), identity.trust_root_pem)
    assert not check.sealed_by_platform
    # Most flips read as a change; some break the file's structure or the seal's field instead.
    assert check.problem is not None


def test_removing_a_page_in_an_update_after_sealing_breaks_the_seal(
    sealed: bytes, identity: SealIdentity, tmp_path: Path
) -> None:
    writer = IncrementalPdfFileWriter(BytesIO(sealed))
    _without_last_page(writer)
    tampered = _written(writer)
    assert _page_count(tampered, tmp_path) == _page_count(sealed, tmp_path) - 1
    check = verify_sealed(tampered, identity.trust_root_pem)
    assert not check.sealed_by_platform
    assert check.problem == CHANGED


def test_rewriting_the_sealed_file_without_its_last_page_breaks_the_seal(
    sealed: bytes, identity: SealIdentity, tmp_path: Path
) -> None:
    writer = copy_into_new_writer(PdfFileReader(BytesIO(sealed)))
    _without_last_page(writer)
    tampered = _written(writer)
    assert _page_count(tampered, tmp_path) == _page_count(sealed, tmp_path) - 1
    check = verify_sealed(tampered, identity.trust_root_pem)
    assert not check.sealed_by_platform
    assert check.problem is not None


def test_pages_appended_after_the_seal_break_it(
    sealed: bytes, certificate_page: bytes, identity: SealIdentity
) -> None:
    check = verify_sealed(append_pages(sealed, certificate_page), identity.trust_root_pem)
    assert not check.sealed_by_platform
    assert check.problem == CHANGED
    assert check.signer_fingerprint == identity.fingerprint


def test_bytes_tacked_on_after_the_seal_break_it(sealed: bytes, identity: SealIdentity) -> None:
    check = verify_sealed(sealed + b"\n% a harmless-looking comment\n", identity.trust_root_pem)
    assert not check.sealed_by_platform
    assert check.problem == CHANGED


def test_a_seal_made_with_another_certificate_is_someone_elses(
    with_certificate: bytes, identity: SealIdentity, stranger: SealIdentity
) -> None:
    check = verify_sealed(_seal(with_certificate, stranger), identity.trust_root_pem)
    assert not check.sealed_by_platform
    assert check.problem == SOMEONE_ELSE
    assert check.signer_fingerprint == stranger.fingerprint
    assert check.signer_fingerprint != identity.fingerprint


def _expired_identity() -> SealIdentity:
    """A root and seal certificate like ours, but the seal certificate ran out yesterday."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    seal_key = ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Expired test root")])
    seal_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Expired test seal")])
    now = datetime.now(UTC)

    def issue(subject: x509.Name, key: ec.EllipticCurvePrivateKey, ca: bool) -> x509.Certificate:
        usage = x509.KeyUsage(
            digital_signature=True,
            content_commitment=True,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=ca,
            crl_sign=ca,
            encipher_only=False,
            decipher_only=False,
        )
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(root_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=400))
            .not_valid_after(now + timedelta(days=400) if ca else now - timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .sign(root_key, hashes.SHA256())
        )

    root = issue(root_name, root_key, ca=True).public_bytes(serialization.Encoding.PEM)
    seal = issue(seal_name, seal_key, ca=False).public_bytes(serialization.Encoding.PEM)
    key = seal_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return SealIdentity(key_pem=key, chain_pem=seal + root, trust_root_pem=root)


def test_a_seal_whose_certificate_has_expired_is_reported_as_such(
    with_certificate: bytes,
) -> None:
    expired = _expired_identity()
    check = verify_sealed(_seal(with_certificate, expired), expired.trust_root_pem)
    assert not check.sealed_by_platform
    assert check.problem == CERTIFICATE_NOT_VALID
    assert check.signer_fingerprint == expired.fingerprint


def test_a_strangers_signature_on_top_of_our_seal_is_a_change(
    sealed: bytes, identity: SealIdentity, stranger: SealIdentity
) -> None:
    check = verify_sealed(_seal(sealed, stranger, "Countersign"), identity.trust_root_pem)
    assert not check.sealed_by_platform
    assert check.problem == CHANGED


def test_our_seal_over_an_earlier_foreign_signature_still_counts(
    with_certificate: bytes, identity: SealIdentity, stranger: SealIdentity
) -> None:
    signed_first = _seal(with_certificate, stranger, "Signer")
    check = verify_sealed(_seal(signed_first, identity), identity.trust_root_pem)
    assert check.sealed_by_platform, check.problem
    assert check.signer_fingerprint == identity.fingerprint


def _encrypted(pdf: bytes) -> bytes:
    writer = copy_into_new_writer(PdfFileReader(BytesIO(pdf)))
    writer.encrypt("owner secret", "user secret")
    return _written(writer)


@pytest.mark.parametrize(
    ("make_upload", "problem"),
    [
        (lambda sealed, plain: b"", NOT_A_PDF),
        (lambda sealed, plain: b"this is a holiday photo, honest", NOT_A_PDF),
        (lambda sealed, plain: b"%PDF-1.7\n" + bytes(range(256)) * 8, NOT_A_PDF),
        (lambda sealed, plain: sealed[: len(sealed) // 2], NOT_A_PDF),
        (lambda sealed, plain: plain, NO_SEAL),
        (lambda sealed, plain: _encrypted(plain), ENCRYPTED),
    ],
    ids=["empty", "garbage", "pdf-header-then-noise", "truncated", "unsealed", "encrypted"],
)
def test_a_bad_upload_gets_a_plain_answer_instead_of_an_exception(
    sealed: bytes,
    agreement: bytes,
    identity: SealIdentity,
    make_upload: Callable[[bytes, bytes], bytes],
    problem: str,
) -> None:
    check = verify_sealed(make_upload(sealed, agreement), identity.trust_root_pem)
    assert not check.sealed_by_platform
    assert check.problem == problem
    assert check.signed_at is None and check.signer_fingerprint is None


def test_sealing_and_checking_work_from_a_plain_thread_and_from_async_code(
    with_certificate: bytes, identity: SealIdentity
) -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:
        from_thread = pool.submit(_seal, with_certificate, identity).result()
    assert verify_sealed(from_thread, identity.trust_root_pem).sealed_by_platform

    async def in_a_loop() -> bool:
        sealed = await seal_pdf_async(
            with_certificate, identity, reason="Signed agreement", location="Brussels"
        )
        check = await verify_sealed_async(sealed, identity.trust_root_pem)
        return check.sealed_by_platform

    assert asyncio.run(in_a_loop())


def test_the_identity_is_created_on_first_use_and_read_back_afterwards(
    tmp_path: Path, with_certificate: bytes
) -> None:
    directory = tmp_path / "not-yet" / "seal"
    first = load_or_create_identity(directory)
    key_file = directory / "seal-key.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert (directory / "seal-chain.pem").read_bytes() == first.chain_pem
    assert (directory / "seal-root.pem").read_bytes() == first.trust_root_pem
    second = load_or_create_identity(directory)
    assert second == first
    check = verify_sealed(_seal(with_certificate, second), first.trust_root_pem)
    assert check.sealed_by_platform
    assert check.signer_fingerprint == first.fingerprint


def _rsa_chain_identity() -> SealIdentity:
    """An operator's identity with big parts: 4096-bit RSA keys, seal <- issuing CA <- root."""
    now = datetime.now(UTC) - timedelta(minutes=5)
    keys = [rsa.generate_private_key(65537, 4096) for _ in range(3)]  # root, CA, seal
    names = [x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, n)]) for n in ("R", "CA", "S")]
    certificates: list[x509.Certificate] = []
    for i, (key, name) in enumerate(zip(keys, names, strict=True)):
        issuer = max(i - 1, 0)
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(names[issuer])
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=i < 2, path_length=None), critical=True)
        )
        if i == 2:  # a seal: for signing, and for content commitment (non-repudiation)
            usage = dict.fromkeys(("key_encipherment", "data_encipherment", "key_agreement",
                                   "key_cert_sign", "crl_sign", "encipher_only",
                                   "decipher_only"), False)  # fmt: skip
            seal_usage = x509.KeyUsage(digital_signature=True, content_commitment=True, **usage)
            builder = builder.add_extension(seal_usage, critical=True)
        certificates.append(builder.sign(keys[issuer], hashes.SHA256()))
    pem = [c.public_bytes(serialization.Encoding.PEM) for c in certificates]
    key_pem = keys[2].private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return SealIdentity(key_pem=key_pem, chain_pem=pem[2] + pem[1] + pem[0], trust_root_pem=pem[0])


def test_a_seal_with_long_rsa_keys_and_a_longer_chain_fits_its_reserved_room(
    with_certificate: bytes,
) -> None:
    # The room for the signature is worked out from the certificates, not measured by a dummy
    # signing: the largest identities an operator is likely to bring must still fit.
    operators = _rsa_chain_identity()
    check = verify_sealed(_seal(with_certificate, operators), operators.trust_root_pem)
    assert check.sealed_by_platform, check.problem
    assert check.signer_fingerprint == operators.fingerprint


def _write_identity(directory: Path, identity: SealIdentity) -> tuple[Path, Path]:
    directory.mkdir()
    chain, key = directory / "chain.pem", directory / "key.pem"
    chain.write_bytes(identity.chain_pem)
    key.write_bytes(identity.key_pem)
    return chain, key


def test_operator_files_load_with_the_root_defaulting_to_the_chains_last_certificate(
    tmp_path: Path, identity: SealIdentity
) -> None:
    chain, key = _write_identity(tmp_path / "ours", identity)
    assert load_identity(chain, key) == identity


def test_a_key_that_does_not_match_the_certificate_is_refused(
    tmp_path: Path, identity: SealIdentity, stranger: SealIdentity
) -> None:
    chain, _ = _write_identity(tmp_path / "ours", identity)
    _, their_key = _write_identity(tmp_path / "theirs", stranger)
    with pytest.raises(SealError, match="does not match the seal certificate"):
        load_identity(chain, their_key)


def test_a_missing_file_is_named(tmp_path: Path, identity: SealIdentity) -> None:
    chain, key = _write_identity(tmp_path / "ours", identity)
    missing = tmp_path / "nowhere" / "key.pem"
    with pytest.raises(SealError, match=f"{re.escape(str(missing))} does not exist"):
        load_identity(chain, missing)
    with pytest.raises(SealError, match="trust root file .* does not exist"):
        load_identity(chain, key, trust_root_path=missing)


def test_an_encrypted_key_needs_the_right_password(tmp_path: Path, identity: SealIdentity) -> None:
    chain, key = _write_identity(tmp_path / "ours", identity)
    private = serialization.load_pem_private_key(identity.key_pem, password=None)
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"right"),
        )
    )
    assert load_identity(chain, key, password=b"right") == identity
    with pytest.raises(SealError, match="the password is wrong"):
        load_identity(chain, key, password=b"wrong")
    with pytest.raises(SealError, match="no password was given"):
        load_identity(chain, key)


def test_a_chain_that_does_not_reach_the_trust_root_is_refused(
    tmp_path: Path, identity: SealIdentity, stranger: SealIdentity
) -> None:
    chain, key = _write_identity(tmp_path / "ours", identity)
    their_root = tmp_path / "their-root.pem"
    their_root.write_bytes(stranger.trust_root_pem)
    with pytest.raises(SealError, match="does not lead to the trust root"):
        load_identity(chain, key, trust_root_path=their_root)
