"""The confidentiality agreement: HTML from a Jinja2 template, rendered to PDF by WeasyPrint."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class AgreementContext:
    """Everything the agreement states; user-typed values are escaped when rendered.

    The SME's own description of its need is left out on purpose: the mentor reads this
    document before any confidential detail is shared.
    """

    reference: str
    sme_name: str
    sme_country: str
    sme_sector: str
    company_name: str
    company_country: str
    mentor_name: str
    challenge_areas: list[str]
    duration_months: int
    issued_on: str
    expires_on: str


class RefusedFetch(Exception):
    """The renderer fetches nothing: every asset is inline in the template."""


def refuse_every_url(url: str) -> Any:
    """URL fetcher for WeasyPrint: no file, network or data URL is ever read."""
    raise RefusedFetch(f"fetching {url[:80]!r} is not allowed")


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )


def render_agreement_html(context: AgreementContext) -> str:
    return _environment().get_template("agreement.html").render(a=context)


def render_agreement_pdf(context: AgreementContext) -> bytes:
    """Render the agreement to PDF bytes; the bytes are what gets hashed and signed."""
    from weasyprint import HTML  # loads Pango: only where PDFs are made

    html = HTML(string=render_agreement_html(context), base_url=None, url_fetcher=refuse_every_url)
    pdf = html.write_pdf()
    assert pdf is not None
    return bytes(pdf)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
