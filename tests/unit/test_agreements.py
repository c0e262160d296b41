"""The confidentiality agreement as rendered by the real WeasyPrint."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from mentorship.agreements import (
    AgreementContext,
    RefusedFetch,
    refuse_every_url,
    render_agreement_pdf,
    sha256_hex,
)
from tests.pdf import pdf_text

CONTEXT = AgreementContext(
    reference="DV-12-1",
    sme_name="Panificio Rossi",
    sme_country="IT",
    sme_sector="C10.71",
    company_name="Nordvik Cloud",
    company_country="SE",
    mentor_name="Anna Lindqvist",
    challenge_areas=["E-commerce", "Digital marketing and online visibility"],
    duration_months=24,
    issued_on="2026-11-24",
    expires_on="2026-12-08",
)


def test_the_agreement_names_the_parties_and_the_non_use_clause() -> None:
    pdf = render_agreement_pdf(CONTEXT)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    for expected in (
        "Panificio Rossi",
        "Nordvik Cloud",
        "Anna Lindqvist",
        "DV-12-1",
        "will use any Confidential Information",
        "(GDPR)",
        "24 months",
    ):
        assert expected in text


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1/x.css",
        "https://example.org/a.png",
        "data:text/css,body{}",
    ],
)
def test_the_renderer_refuses_every_url(url: str) -> None:
    with pytest.raises(RefusedFetch):
        refuse_every_url(url)


def test_hostile_input_is_printed_literally_and_nothing_is_fetched() -> None:
    hostile = replace(
        CONTEXT,
        sme_name='<img src="file:///etc/passwd">Evil</img>',
        mentor_name="<style>@import url(http://127.0.0.1:9/x.css)</style><script>x()</script>",
    )
    text = pdf_text(render_agreement_pdf(hostile))
    assert '<img src="file:///etc/passwd">Evil</img>' in text
    assert "@import url(http://127.0.0.1:9/x.css)" in text and "<script>x()</script>" in text
    assert "root:x:0:0" not in text


def test_a_very_long_name_wraps_and_renders() -> None:
    text = pdf_text(render_agreement_pdf(replace(CONTEXT, sme_name="Panificio" * 2000)))
    assert text.replace(" ", "").count("Panificio") >= 2000


def test_the_fingerprint_is_the_sha256_of_the_bytes() -> None:
    assert sha256_hex(b"agreement") == hashlib.sha256(b"agreement").hexdigest()
