"""The confidentiality agreement and its signature certificate, as WeasyPrint renders them."""

from __future__ import annotations

import hashlib
import http.server
import pickle
import re
import subprocess
import threading
import zlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from mentorship.adapters import agreements, documents
from mentorship.adapters.agreements import (
    RefusedFetch,
    asset_fetcher,
    new_render_pool,
    render_agreement_html,
    render_agreement_pdf,
    render_agreement_safely,
    render_certificate_pdf,
    render_html_pdf,
    render_participation_pdf,
    resolve_asset,
    sha256_hex,
)
from mentorship.adapters.documents import (
    AGREEMENT_LANGUAGES,
    AgreementContext,
    AgreementEvent,
    AgreementInputError,
    CertificateContext,
    ParticipationContext,
    SignerRecord,
)
from tests.pdf import pdf_text

CONTEXT = AgreementContext(
    reference="DV-12-1",
    issued_on="2026-11-24",
    expires_on="2026-12-08",
    sme_name="Panificio Rossi S.r.l.",
    sme_country="IT",
    sme_sector="C10.71",
    sme_registration_number="MI-2049581",
    sme_address="Via Roma 12\n20121 Milano",
    sme_representative_name="Giulia Rossi",
    company_name="Nordvik Cloud AB",
    company_country="SE",
    company_sector="J62",
    company_countersigns=True,
    mentor_name="Anna Lindqvist",
    challenge_areas=["E-commerce", "Digital marketing and online visibility"],
    duration_months=24,
)

FONT_FILES = {
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSerif-Bold.ttf",
    "DejaVuSerif-Italic.ttf",
}


def pages_of(pdf: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True)
    match = re.search(rb"^Pages:\s+(\d+)", info.stdout, re.MULTILINE)
    assert match
    return int(match[1])


def only_packaged_fonts_were_fetched(fetched: list[str]) -> bool:
    return {url.removeprefix("digivol-asset:fonts/") for url in fetched} == FONT_FILES


@pytest.fixture(scope="module")
def english_pdf() -> tuple[bytes, list[str]]:
    fetched: list[str] = []
    return render_agreement_pdf(CONTEXT, fetched=fetched), fetched


class CountingServer:
    """A real HTTP server on localhost that counts every request it receives."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        requests = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/css")
                self.end_headers()
                self.wfile.write(b"body { background: red }")

            def log_message(self, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def server() -> Iterator[CountingServer]:
    running = CountingServer()
    yield running
    running.close()


def test_the_agreement_states_the_parties_scope_and_clauses(
    english_pdf: tuple[bytes, list[str]],
) -> None:
    pdf, _ = english_pdf
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    for expected in (
        "Confidentiality and Non-Use Agreement",
        "DV-12-1",
        "ISSUED ON OPEN FOR SIGNATURE UNTIL DV-12-1 2026-11-24 2026-12-08",
        "Legal name Panificio Rossi S.r.l.",
        "Registration number MI-2049581",
        "Registered address Via Roma 12 20121 Milano",
        "Country of establishment Italy (IT)",
        "Sector (NACE) C10.71",
        "Legal name Nordvik Cloud AB",
        "Registration number not stated",
        "Registered address not stated",
        "Anna Lindqvist, an employee of the Company",
        "pro bono",
        "E-commerce",
        "Digital marketing and online visibility",
        "does not include information",
        "neither it, nor its affiliates, nor the Mentor will use any Confidential Information",
        "digital products, services or processes",
        "to compete with the SME",
        "Regulation (EU) 2016/679",
        "on the date of the last of the signatures",
        "survive for 24 months",
        "governed by the law of the country in which the SME is established (Italy (IT))",
        "SHA-256 fingerprint",
        "types their full name",
        "IP address, the user agent",
        "seals the completed document",
    ):
        assert expected in text, expected
    assert "English version prevails" not in text  # English only: no language clause


def test_the_signature_blocks_list_the_signers_in_order(
    english_pdf: tuple[bytes, list[str]],
) -> None:
    text = pdf_text(english_pdf[0])
    signatures = text[text.index("Signed electronically on the platform") :]
    for expected in (
        "1. For the SME",
        "2. The Mentor",
        "3. For the Company",
        "Name: Giulia Rossi",
        "Name: Anna Lindqvist",
        "Name: as typed when signing",  # the company's signatory is not known yet
    ):
        assert expected in signatures, expected
    # The blocks sit side by side, which pdftotext reads across; their order is the HTML's.
    blocks = re.findall(
        r'<span class="order">(\d)\.</span> ([^<]+)<', render_agreement_html(CONTEXT)
    )
    assert blocks == [("1", "For the SME"), ("2", "The Mentor"), ("3", "For the Company")]


def test_without_countersignature_the_mentor_also_signs_for_the_company() -> None:
    html = render_agreement_html(replace(CONTEXT, company_countersigns=False))
    assert "For the Company" not in html
    assert "signing in their own name and on behalf of the Company" in html


def test_the_renderer_fetches_only_the_packaged_fonts(
    english_pdf: tuple[bytes, list[str]],
) -> None:
    pdf, fetched = english_pdf
    assert only_packaged_fonts_were_fetched(fetched)
    listing = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True)
    rows = listing.stdout.decode().splitlines()[2:]
    # The family names exist only in our @font-face rules: no system font stood in.
    names = {row.split()[0].split("+")[-1] for row in rows}
    assert names == {
        "Digivol-Sans",
        "Digivol-Sans-Bold",
        "Digivol-Serif",
        "Digivol-Serif-Bold",
        "Digivol-Serif-Italic",
    }
    assert all(row.split()[-5] == "yes" for row in rows)  # embedded
    # The embedded programs are the DejaVu files (their name table says so, in UTF-16).
    assert "DejaVu".encode("utf-16-be") in b"".join(_streams(pdf))


def _streams(pdf: bytes) -> Iterator[bytes]:
    for match in re.finditer(rb"stream\r?\n", pdf):
        end = pdf.find(b"endstream", match.end())
        try:
            yield zlib.decompress(pdf[match.end() : end])
        except zlib.error:
            continue


def test_the_same_context_renders_the_same_bytes(english_pdf: tuple[bytes, list[str]]) -> None:
    # So a stored agreement can be checked by rendering its context again.
    assert render_agreement_pdf(CONTEXT) == english_pdf[0]


def test_a_second_language_follows_the_english_in_the_same_pdf(
    english_pdf: tuple[bytes, list[str]],
) -> None:
    pdf = render_agreement_pdf(replace(CONTEXT, second_language="fr"))
    text = pdf_text(pdf)
    english, french = (
        text.index("Confidentiality and Non-Use Agreement"),
        text.index("Accord de confidentialité et de non-utilisation"),
    )
    assert english < french
    for expected in (
        "made in English and in French",
        "the English version prevails",
        "Dénomination sociale Panificio Rossi S.r.l.",
        "Pays d’établissement Italie (IT)",
        "Numéro d’immatriculation non indiqué",
        "règlement (UE) 2016/679",
        "la version anglaise prévaut",
        "survivent pendant 24 mois",
    ):
        assert expected in text, expected
    assert re.search(r"Page 1 of \d+ .* Page \d+ sur \d+$", text)
    assert pages_of(pdf) > pages_of(english_pdf[0])


@pytest.mark.parametrize("code", [code for code in AGREEMENT_LANGUAGES if code != "en"])
def test_each_language_version_is_marked_and_says_english_prevails(code: str) -> None:
    html = render_agreement_html(replace(CONTEXT, second_language=code))
    assert '<html lang="en">' in html
    assert html.index('<article class="version" lang="en">') < html.index(
        f'<article class="version" lang="{code}">'
    )
    english_name = {"fr": "French", "de": "German", "es": "Spanish", "it": "Italian"}[code]
    assert f"made in English and in\n{english_name}." in html
    prevails = {
        "fr": "la version anglaise\nprévaut",
        "de": "ist\ndie englische Fassung maßgebend",
        "es": "prevalecerá la versión\ninglesa",
        "it": "prevale la versione inglese",
    }[code]
    assert prevails in html


def test_the_languages_are_named_in_their_own_language_with_english_first() -> None:
    assert AGREEMENT_LANGUAGES == {
        "en": "English",
        "de": "Deutsch",
        "es": "Español",
        "fr": "Français",
        "it": "Italiano",
    }


def test_an_unknown_language_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match=r"^second_language 'pt' is not a supported") as caught:
        replace(CONTEXT, second_language="pt")
    assert "supported: de, es, fr, it" in str(caught.value)


def test_english_as_the_second_language_means_english_only() -> None:
    assert replace(CONTEXT, second_language="en").second_language is None


def test_hostile_input_is_printed_literally_and_nothing_is_fetched(
    server: CountingServer,
) -> None:
    url = server.url
    hostile: dict[str, Any] = {
        "sme_name": '<img src="file:///etc/passwd">Evil &amp; Co',
        "sme_registration_number": f'<link rel="stylesheet" href="{url}/link.css">',
        "sme_address": f"<style>@import url({url}/import.css);</style>",
        "company_name": f'<div style="background: url({url}/bg.png)">Acme</div>',
        "company_address": f'<svg><image href="{url}/svg.png"/></svg>',
        "mentor_name": "<script>alert(1)</script>",
        "sme_representative_name": f'<base href="{url}/"><img src="rel.png">',
        "company_representative_name": f'<iframe src="{url}/frame"></iframe>',
    }
    context = replace(
        CONTEXT,
        challenge_areas=[f'<object data="{url}/object.pdf"></object>', "</li></ul>}"],
        **hostile,
    )
    fetched: list[str] = []
    text = pdf_text(render_agreement_pdf(context, fetched=fetched))
    squeezed = text.replace(" ", "")  # long values wrap anywhere, and pdftotext adds spaces
    for value in [*hostile.values(), *context.challenge_areas]:
        assert value.replace(" ", "") in squeezed, value
    assert "root:x:0:0" not in text
    assert server.requests == []
    assert only_packaged_fonts_were_fetched(fetched)


def test_a_template_that_asks_for_anything_else_fails_closed(server: CountingServer) -> None:
    # What would happen if user text ever reached the page unescaped: no request, an error.
    for html in (
        f'<img src="{server.url}/x.png">',
        f'<link rel="stylesheet" href="{server.url}/x.css">',
        f"<style>@import url({server.url}/x.css);</style>",
        '<img src="file:///etc/passwd">',
    ):
        with pytest.raises(RefusedFetch):
            render_html_pdf(html)
    assert server.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1/x.css",
        "https://example.org/a.png",
        "data:text/css,body{}",
        "ftp://example.org/font.ttf",
        "DIGIVOL-ASSET:fonts/DejaVuSans.ttf",
        "digivol-asset:../../etc/passwd",
        "digivol-asset:fonts/../../agreements.py",
        "digivol-asset:%2e%2e/%2e%2e/etc/passwd",
        "digivol-asset:/etc/passwd",
        "digivol-asset://fonts/DejaVuSans.ttf",
        "digivol-asset:fonts\\..\\..\\agreements.py",
        "digivol-asset:fonts/DejaVuSans.ttf?x=1",
        "digivol-asset:fonts/LICENSE",
        "digivol-asset:agreement/lang_en.html",
        "digivol-asset:fonts/Missing.ttf",
        "digivol-asset:",
    ],
)
def test_the_fetcher_refuses_everything_but_packaged_assets(url: str) -> None:
    with pytest.raises(RefusedFetch):
        asset_fetcher().fetch(url)


def test_the_fetcher_serves_a_packaged_font() -> None:
    response = asset_fetcher().fetch("digivol-asset:fonts/DejaVuSans.ttf")
    font = agreements.TEMPLATES / "fonts" / "DejaVuSans.ttf"
    assert response.read() == font.read_bytes()
    assert response.content_type == "font/ttf"


def test_a_symlink_cannot_lead_out_of_the_assets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "fonts").mkdir()
    (tmp_path / "fonts" / "Evil.ttf").symlink_to("/etc/passwd")
    monkeypatch.setattr(agreements, "TEMPLATES", tmp_path)
    with pytest.raises(RefusedFetch):
        resolve_asset("digivol-asset:fonts/Evil.ttf")


BOUNDS = [
    ("reference", documents.REFERENCE_MAX),
    ("sme_name", documents.NAME_MAX),
    ("company_name", documents.NAME_MAX),
    ("mentor_name", documents.NAME_MAX),
    ("sme_representative_name", documents.NAME_MAX),
    ("company_representative_name", documents.NAME_MAX),
    ("sme_registration_number", documents.REGISTRATION_MAX),
    ("company_registration_number", documents.REGISTRATION_MAX),
    ("sme_address", documents.ADDRESS_MAX),
    ("company_address", documents.ADDRESS_MAX),
    ("sme_country", documents.COUNTRY_MAX),
    ("sme_sector", documents.SECTOR_MAX),
    ("company_sector", documents.SECTOR_MAX),
]


@pytest.mark.parametrize(("field", "limit"), BOUNDS)
def test_a_value_over_its_bound_is_refused_naming_the_field(field: str, limit: int) -> None:
    too_long: dict[str, Any] = {field: "x" * (limit + 1)}
    with pytest.raises(AgreementInputError, match=rf"^{field} is {limit + 1} characters long"):
        replace(CONTEXT, **too_long)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"challenge_areas": ["Cloud"] * 21}, "challenge_areas must list 1 to 20 areas"),
        ({"challenge_areas": []}, "challenge_areas must list 1 to 20 areas"),
        ({"challenge_areas": ["Cloud", "x" * 121]}, "challenge_areas[1] is 121 characters"),
        ({"challenge_areas": "E-commerce"}, "challenge_areas must be a list"),
        ({"sme_name": "   "}, "sme_name must not be blank"),
        ({"mentor_name": "Anna\x00Lindqvist"}, "mentor_name contains control characters"),
        ({"mentor_name": "Anna\u202eLindqvist"}, "mentor_name contains control characters"),
        ({"sme_name": "Panificio\nRossi"}, "sme_name contains control characters"),
        ({"duration_months": 0}, "duration_months must be between 1 and 120"),
        ({"issued_on": "24/11/2026"}, "issued_on must be a date written YYYY-MM-DD"),
        ({"company_countersigns": "yes"}, "company_countersigns must be true or false"),
    ],
)
def test_invalid_values_are_refused_with_a_message_for_people(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError) as caught:
        replace(CONTEXT, **changes)
    assert str(caught.value).startswith(message)


def test_a_blank_optional_detail_is_not_stated() -> None:
    assert replace(CONTEXT, sme_address="  ", sme_registration_number="").sme_address is None


def test_values_at_their_bounds_wrap_and_are_all_printed() -> None:
    mentor = ("Ristrutturazioni" * 20)[: documents.NAME_MAX]  # no space to wrap at
    sme = ("Panificio Rossi e Figli " * 20)[: documents.NAME_MAX]
    address = ("Via Roma 12, 20121 Milano " * 30)[: documents.ADDRESS_MAX]
    areas = [(f"Area {i} " + "cloud " * 30)[: documents.AREA_MAX] for i in range(20)]
    context = replace(
        CONTEXT,
        sme_name=sme,
        mentor_name=mentor,
        sme_address=address,
        company_address=("Sveavägen 44, 111 34 Stockholm " * 20)[: documents.ADDRESS_MAX],
        challenge_areas=areas,
    )
    pdf = render_agreement_pdf(context)
    squeezed = pdf_text(pdf).replace(" ", "")
    assert mentor in squeezed  # wrapped anywhere, all there
    for value in (sme, address, *areas):
        assert value.replace(" ", "") in squeezed
    assert pages_of(pdf) <= 8


SHA = hashlib.sha256(b"the agreement").hexdigest()
OTHER_SHA = hashlib.sha256(b"another document").hexdigest()
SIGNED = datetime(2026, 11, 25, 9, 30, 5)


def signer(**changes: Any) -> SignerRecord:
    record = SignerRecord(
        role_label="SME representative",
        organisation="Panificio Rossi S.r.l.",
        typed_name="Giulia Rossi",
        email="giulia@panificio-rossi.example",
        signed_at=SIGNED,
        ip_address="203.0.113.7",
        user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
        sha256_seen=SHA,
        consent_version="nda-consent-2",
    )
    return replace(record, **changes)


CERTIFICATE = CertificateContext(
    reference="DV-12-1",
    document_sha256=SHA,
    pages=4,
    signers=[
        signer(),
        signer(
            role_label="Mentor",
            organisation="Nordvik Cloud AB",
            typed_name="Anna Lindqvist",
            email="anna.lindqvist@nordvik.example",
            # A browser on another clock: printed in UTC.
            signed_at=datetime(2026, 11, 25, 14, 0, tzinfo=timezone(timedelta(hours=2))),
            ip_address="2001:db8::17",
            user_agent="Mozilla/5.0 " + "(compatible; extension) " * 30,
        ),
        signer(
            role_label="Company representative",
            organisation="Nordvik Cloud AB",
            typed_name="Erik Nordvik",
            email="erik@nordvik.example",
            sha256_seen=OTHER_SHA,
        ),
    ],
    events=[
        AgreementEvent(at=SIGNED - timedelta(days=1), description="Issued", actor="Platform"),
        AgreementEvent(at=SIGNED, description="Signed by the SME", actor="Giulia Rossi"),
        AgreementEvent(at=SIGNED + timedelta(hours=3), description="Sealed", actor="Platform"),
    ],
    completed_at=datetime(2026, 11, 25, 12, 30, 5, tzinfo=UTC),
)


def test_the_certificate_lists_the_signers_hashes_and_events() -> None:
    fetched: list[str] = []
    pdf = render_certificate_pdf(CERTIFICATE, fetched=fetched)
    text = pdf_text(pdf)
    assert only_packaged_fonts_were_fetched(fetched)
    assert pages_of(pdf) <= 2
    assert "Signature certificate" in text and "DV-12-1" in text
    assert f"Document SHA-256 as signed {SHA}" in text
    assert "Pages of the signed document 4" in text
    order = [text.index(name) for name in ("Giulia Rossi", "Anna Lindqvist", "Erik Nordvik")]
    assert order == sorted(order)
    for expected in (
        "Account e-mail giulia@panificio-rossi.example",
        "Signed at 2026-11-25 09:30:05 UTC",
        "Signed at 2026-11-25 12:00:00 UTC",  # 14:00 at UTC+2
        "IP address 2001:db8::17",
        "Consent wording version nda-consent-2",
        f"SHA-256 seen {OTHER_SHA} DOES NOT match the document",
        "2026-11-24 09:30:05 UTC Issued Platform",
        "sealed the complete document",
        "(PAdES)",
        "audit log",
        "/verify",
    ):
        assert expected in text, expected
    assert text.count("matches the document") == 2
    long_agent = CERTIFICATE.signers[1].user_agent
    squeezed = text.replace(" ", "")
    assert long_agent[:199].replace(" ", "") + "…" in squeezed
    assert long_agent.replace(" ", "") not in squeezed


def test_a_certificate_needs_real_fingerprints() -> None:
    with pytest.raises(ValueError, match="^document_sha256 must be a SHA-256"):
        replace(CERTIFICATE, document_sha256="not a hash")
    with pytest.raises(ValueError, match="^sha256_seen must be a SHA-256"):
        signer(sha256_seen=SHA[:-1])
    with pytest.raises(ValueError, match="^signers must be a list of 1 to 10"):
        replace(CERTIFICATE, signers=[])


def test_certificate_times_may_be_iso_strings_and_are_kept_in_utc() -> None:
    assert signer(signed_at="2026-11-25T09:30:05Z").signed_at == SIGNED.replace(tzinfo=UTC)
    assert signer(signed_at="2026-11-25 10:30:05+01:00").signed_at == SIGNED.replace(tzinfo=UTC)
    event = AgreementEvent("2026-11-25T09:30:05 UTC", "Signed by the SME", "Giulia Rossi")
    assert event.at == SIGNED.replace(tzinfo=UTC)
    with pytest.raises(ValueError, match="^signed_at must be a date and time"):
        signer(signed_at="yesterday")


def test_rendering_in_the_sandbox_gives_the_same_bytes(
    english_pdf: tuple[bytes, list[str]],
) -> None:
    with new_render_pool(processes=1) as pool:
        assert render_agreement_safely(CONTEXT, pool) == english_pdf[0]


def test_the_fingerprint_is_the_sha256_of_the_bytes() -> None:
    assert sha256_hex(b"agreement") == hashlib.sha256(b"agreement").hexdigest()


def test_an_input_error_survives_the_trip_back_from_a_sandbox_worker() -> None:
    error = AgreementInputError("sme_name", "must not be blank")
    returned = pickle.loads(pickle.dumps(error))
    assert (returned.field, str(returned)) == ("sme_name", "sme_name must not be blank")


def test_a_certificate_of_participation_prints_hostile_names_literally_and_fetches_nothing(
    server: CountingServer,
) -> None:
    hostile = f'<img src="{server.url}/x.png">Panificio <b>Rossi</b>'
    context = ParticipationContext(
        reference="DV-12",
        recipient=hostile,
        recipient_role="SME",
        statement=f"took part <style>@import url({server.url}/x.css);</style> in the programme.",
        challenge_areas=["E-commerce", "<script>alert(1)</script>"],
        sessions=4,
        hours=7.5,
        started_on="2026-09-01",
        completed_on="2026-11-25",
        intensity="3/12 at intake, 7/12 at completion",
    )
    fetched: list[str] = []
    text = pdf_text(render_participation_pdf(context, fetched=fetched)).replace(" ", "")
    for shown in (hostile, "<script>alert(1)</script>", "7/12atcompletion", "7.5"):
        assert shown.replace(" ", "") in text, shown
    assert server.requests == []
    assert only_packaged_fonts_were_fetched(fetched)


@pytest.mark.parametrize(
    ("language", "title", "hours"),
    [("fr", "Certificat de participation", "Heures de mentorat"),
     ("de", "Teilnahmebescheinigung", "Mentoring-Stunden")],
)  # fmt: skip
def test_a_certificate_of_participation_speaks_its_recipients_language(
    language: str, title: str, hours: str
) -> None:
    context = ParticipationContext(
        reference="DV-12",
        recipient="Panificio Rossi",
        recipient_role="PME",
        statement="a participé au programme.",
        challenge_areas=["Commerce en ligne"],
        sessions=4,
        hours=7.5,
        started_on="2026-09-01",
        completed_on="2026-11-25",
        language=language,
    )
    text = pdf_text(render_participation_pdf(context))
    assert title in text and hours in text
    assert "Certificate of participation" not in text and "Mentoring hours" not in text
    with pytest.raises(AgreementInputError, match="no catalog for 'xx'"):
        replace(context, language="xx")


def test_a_certificate_of_participation_refuses_an_overlong_name() -> None:
    with pytest.raises(AgreementInputError, match="recipient is 301 characters long"):
        ParticipationContext(
            reference="DV-12",
            recipient="x" * 301,
            recipient_role="SME",
            statement="took part.",
            challenge_areas=["E-commerce"],
            sessions=1,
            hours=1.0,
            started_on="2026-09-01",
            completed_on="2026-11-25",
        )
