"""The confidentiality agreement and its signature certificate, rendered to PDF by WeasyPrint.

Both documents are Jinja2 templates under ``templates/agreement/``; every value is escaped. The
renderer reads nothing but the packaged assets (fonts) under the ``digivol-asset:`` scheme, and
``render_agreement_safely``/``render_certificate_safely`` run it in a process bounded in time
and memory (``mentorship.adapters.sandbox``; ``new_render_pool`` makes a pool with warm
workers). The English version is always included; a second language adds its version after it
in the same PDF, so that one SHA-256 covers what everyone signs. A language is one file,
``templates/agreement/lang_<code>.html``.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from mentorship import i18n
from mentorship.adapters.sandbox import BoundedPool
from mentorship.rules import plaintext

TEMPLATES = Path(__file__).parents[1] / "templates"
AGREEMENT_TEMPLATES = TEMPLATES / "agreement"

# The only URLs the renderer serves: digivol-asset:<path under templates/>, for these types.
ASSET_SCHEME = "digivol-asset"
_ASSET_TYPES = {".ttf": "font/ttf", ".css": "text/css", ".svg": "image/svg+xml"}

# Bounds on what callers may put into a document: enough for any real name or address, small
# enough that a hostile value cannot turn one agreement into thousands of pages.
NAME_MAX = 300
REFERENCE_MAX = 64
REGISTRATION_MAX = 100
ADDRESS_MAX = 500
COUNTRY_MAX = 60
SECTOR_MAX = 120
AREA_MAX = 120
AREAS_MAX = 20
DURATION_MONTHS_MAX = 120
ROLE_MAX = 100
EMAIL_MAX = 254
IP_MAX = 100
USER_AGENT_MAX = 1000
USER_AGENT_SHOWN = 200
CONSENT_MAX = 40
EVENT_TEXT_MAX = 300
SIGNERS_MAX = 10
EVENTS_MAX = 200

# Defaults of the sandbox that renders. Measured: a bilingual agreement renders in ~0.7 s and its
# worker peaks at ~300 MiB of address space (VmPeak), so 1 GiB and 30 s leave ample room.
RENDER_TIMEOUT_SECONDS = 30.0
RENDER_MEMORY_BYTES = 1 << 30
RENDER_PROCESSES = 2

_SHA256 = re.compile(r"[0-9a-f]{64}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class AgreementInputError(ValueError):
    """A value cannot go into the document; the message names the field, for people to read."""

    def __init__(self, field_name: str, problem: str) -> None:
        super().__init__(f"{field_name} {problem}")
        self.field = field_name
        self.problem = problem

    def __reduce__(self) -> tuple[Any, ...]:
        # Raised in a sandbox worker, it is pickled back to the caller with both arguments.
        return (type(self), (self.field, self.problem))


class RefusedFetch(Exception):
    """The renderer asked for a URL other than a packaged asset; nothing was read."""


@dataclass(frozen=True, kw_only=True)
class AgreementContext:
    """Everything the agreement states; user-typed values are escaped when rendered.

    The SME's own description of its need is left out on purpose: the mentor reads this
    document before any confidential detail is shared. Optional details that are None are
    printed as "not stated"; a representative's name that is None is left to the signature
    certificate (the name typed when signing). Invalid values raise AgreementInputError.
    """

    reference: str
    issued_on: str  # ISO dates, printed as given
    expires_on: str
    sme_name: str
    sme_country: str  # ISO 3166 code, printed with its name in each language
    sme_sector: str  # NACE code
    sme_registration_number: str | None = None
    sme_address: str | None = None
    sme_representative_name: str | None = None
    company_name: str
    company_country: str
    company_sector: str | None = None
    company_registration_number: str | None = None
    company_address: str | None = None
    company_representative_name: str | None = None
    company_countersigns: bool = False
    mentor_name: str
    challenge_areas: list[str]
    duration_months: int
    second_language: str | None = None  # a key of AGREEMENT_LANGUAGES; "en" means none

    def __post_init__(self) -> None:
        _text(self, "reference", REFERENCE_MAX)
        _iso_date(self, "issued_on")
        _iso_date(self, "expires_on")
        for prefix in ("sme", "company"):
            _text(self, f"{prefix}_name", NAME_MAX)
            _text(self, f"{prefix}_country", COUNTRY_MAX)
            _text(self, f"{prefix}_sector", SECTOR_MAX, optional=prefix == "company")
            _text(self, f"{prefix}_registration_number", REGISTRATION_MAX, optional=True)
            _text(self, f"{prefix}_address", ADDRESS_MAX, optional=True, multiline=True)
            _text(self, f"{prefix}_representative_name", NAME_MAX, optional=True)
        _text(self, "mentor_name", NAME_MAX)
        if not isinstance(self.company_countersigns, bool):
            raise AgreementInputError("company_countersigns", "must be true or false")
        areas = self.challenge_areas
        if isinstance(areas, str) or not isinstance(areas, Sequence):
            raise AgreementInputError("challenge_areas", "must be a list of areas")
        if not 1 <= len(areas) <= AREAS_MAX:
            raise AgreementInputError(
                "challenge_areas", f"must list 1 to {AREAS_MAX} areas, not {len(areas)}"
            )
        for index, area in enumerate(areas):
            _check(f"challenge_areas[{index}]", area, AREA_MAX, multiline=False)
        object.__setattr__(self, "challenge_areas", list(areas))
        months = self.duration_months
        if not isinstance(months, int) or isinstance(months, bool):
            raise AgreementInputError("duration_months", "must be a whole number of months")
        if not 1 <= months <= DURATION_MONTHS_MAX:
            raise AgreementInputError(
                "duration_months", f"must be between 1 and {DURATION_MONTHS_MAX}, not {months}"
            )
        language = self.second_language
        if language == "en":
            object.__setattr__(self, "second_language", None)  # English is always there
        elif language is not None and language not in AGREEMENT_LANGUAGES:
            supported = ", ".join(code for code in AGREEMENT_LANGUAGES if code != "en")
            raise AgreementInputError(
                "second_language",
                f"{str(language)[:20]!r} is not a supported agreement language "
                f"(supported: {supported})",
            )


@dataclass(frozen=True)
class SignerRecord:
    """One signature as the platform recorded it, for the signature certificate."""

    role_label: str  # e.g. "SME representative"
    organisation: str
    typed_name: str
    email: str
    signed_at: datetime | str  # see _moment(): stored as an aware UTC datetime
    ip_address: str
    user_agent: str  # printed cut to USER_AGENT_SHOWN characters
    sha256_seen: str
    consent_version: str

    def __post_init__(self) -> None:
        _text(self, "role_label", ROLE_MAX)
        _text(self, "organisation", NAME_MAX)
        _text(self, "typed_name", NAME_MAX)
        _text(self, "email", EMAIL_MAX)
        _moment(self, "signed_at")
        _text(self, "ip_address", IP_MAX)
        _text(self, "user_agent", USER_AGENT_MAX)
        _sha256(self, "sha256_seen")
        _text(self, "consent_version", CONSENT_MAX)


@dataclass(frozen=True)
class AgreementEvent:
    """One step in the agreement's life, in plain words: "Signed by the mentor"."""

    at: datetime | str
    description: str
    actor: str  # who: a person's name, or "Platform"

    def __post_init__(self) -> None:
        _moment(self, "at")
        _text(self, "description", EVENT_TEXT_MAX)
        _text(self, "actor", NAME_MAX)


@dataclass(frozen=True)
class CertificateContext:
    """What the signature certificate states about one signed agreement."""

    reference: str
    document_sha256: str  # of the PDF every signer saw
    pages: int  # of that PDF
    signers: list[SignerRecord]  # in signing order
    events: list[AgreementEvent]  # in time order
    completed_at: datetime | str

    def __post_init__(self) -> None:
        _text(self, "reference", REFERENCE_MAX)
        _sha256(self, "document_sha256")
        if not isinstance(self.pages, int) or not 1 <= self.pages <= 10_000:
            raise AgreementInputError("pages", "must be a page count between 1 and 10000")
        for name, kind, low, high in (
            ("signers", SignerRecord, 1, SIGNERS_MAX),
            ("events", AgreementEvent, 0, EVENTS_MAX),
        ):
            items = getattr(self, name)
            if not isinstance(items, Sequence) or not low <= len(items) <= high:
                raise AgreementInputError(name, f"must be a list of {low} to {high} items")
            if not all(isinstance(item, kind) for item in items):
                raise AgreementInputError(name, f"must hold {kind.__name__} values")
            object.__setattr__(self, name, list(items))
        _moment(self, "completed_at")


def _check(name: str, value: object, limit: int, *, multiline: bool) -> str:
    if not isinstance(value, str):
        raise AgreementInputError(name, "must be text")
    if not value.strip():
        raise AgreementInputError(name, "must not be blank")
    if len(value) > limit:
        raise AgreementInputError(
            name, f"is {len(value)} characters long; at most {limit} are allowed"
        )
    if not (plaintext.is_lines(value) if multiline else plaintext.is_one_line(value)):
        raise AgreementInputError(name, "contains control characters")
    return value


def _text(
    obj: object, name: str, limit: int, *, optional: bool = False, multiline: bool = False
) -> None:
    value = getattr(obj, name)
    if optional and (value is None or (isinstance(value, str) and not value.strip())):
        object.__setattr__(obj, name, None)  # blank is the same as not stated
        return
    _check(name, value, limit, multiline=multiline)


def _iso_date(obj: object, name: str) -> None:
    value = getattr(obj, name)
    try:
        if not _ISO_DATE.fullmatch(value):
            raise ValueError
        date.fromisoformat(value)
    except (TypeError, ValueError):
        raise AgreementInputError(name, "must be a date written YYYY-MM-DD") from None


def _moment(obj: object, name: str) -> None:
    """A datetime, or an ISO 8601 string ("Z" or " UTC" may end it), stored as aware UTC.

    Naive values are taken as UTC, as the platform stores them.
    """
    value = getattr(obj, name)
    if isinstance(value, str) and len(value) <= 40:
        text = value.strip().removesuffix("UTC").strip().removesuffix("Z")
        with contextlib.suppress(ValueError):
            value = datetime.fromisoformat(text)
    if not isinstance(value, datetime):
        raise AgreementInputError(name, "must be a date and time (ISO 8601)")
    utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    object.__setattr__(obj, name, utc)


def _sha256(obj: object, name: str) -> None:
    value = getattr(obj, name)
    if not isinstance(value, str) or not _SHA256.fullmatch(value.lower()):
        raise AgreementInputError(name, "must be a SHA-256 in 64 hexadecimal digits")
    object.__setattr__(obj, name, value.lower())


def _css_string(value: str) -> Markup:
    """A CSS string literal of trusted template text (page labels), safe inside <style>."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ")
    return Markup('"' + escaped.replace("\n", "\\a ") + '"')


def _clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


@cache
def _environment(locale: str = i18n.DEFAULT_LOCALE) -> Environment:
    """The documents' templates; ``_()`` in them speaks ``locale`` (certificates)."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        auto_reload=False,  # templates are package data: never re-read while rendering
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_translations(  # type: ignore[attr-defined]
        i18n.translations(locale), newstyle=True
    )
    environment.filters["css_string"] = _css_string
    environment.filters["clip"] = _clip
    environment.filters["utc"] = lambda moment: moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    return environment


@cache
def _language_version(code: str) -> Any:
    """The language file's template module: its variables and its agreement() macro."""
    module = _environment().get_template(f"agreement/lang_{code}.html").module
    if getattr(module, "code", None) != code:
        raise RuntimeError(f"agreement/lang_{code}.html must set code = {code!r}")
    return module


def _discover_languages() -> dict[str, str]:
    codes = sorted(p.stem.removeprefix("lang_") for p in AGREEMENT_TEMPLATES.glob("lang_*.html"))
    codes.sort(key=lambda code: code != "en")  # English first: it is always the first version
    return {code: str(_language_version(code).language_name) for code in codes}


# Code → the language's name in that language, for the UI; "en" is always included.
AGREEMENT_LANGUAGES: dict[str, str] = _discover_languages()


def resolve_asset(url: str) -> tuple[bytes, str]:
    """The bytes and media type of a packaged asset, for ``digivol-asset:<path>`` URLs only.

    Raises:
        RefusedFetch: any other scheme (file, http, https, data…), a path that leaves the
            templates directory, or a file that is not a font, stylesheet or SVG.
    """
    prefix = f"{ASSET_SCHEME}:"
    if not url.startswith(prefix):
        raise RefusedFetch(f"only packaged assets may be fetched, not {url[:100]!r}")
    relative = unquote(url.removeprefix(prefix))
    parts = PurePosixPath(relative).parts
    if (
        not parts
        or relative.startswith("/")
        or any(part in ("..", ".") for part in parts)
        or any(c in relative for c in "\\?#\x00")
    ):
        raise RefusedFetch(f"not a packaged asset path: {url[:100]!r}")
    root = TEMPLATES.resolve()
    path = root.joinpath(*parts).resolve()  # resolve(): a symlink must not lead out either
    media_type = _ASSET_TYPES.get(path.suffix)
    if not path.is_relative_to(root) or media_type is None or not path.is_file():
        raise RefusedFetch(f"no such packaged asset: {url[:100]!r}")
    return _read_asset(path), media_type


@cache
def _read_asset(path: Path) -> bytes:
    return path.read_bytes()  # a few fonts: read once per process


@cache
def _fetcher_class() -> type:
    # lazy: built on first use, as importing WeasyPrint loads Pango, which the web never needs.
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class AssetFetcher(URLFetcher):  # type: ignore[misc]
        """Serves packaged assets and refuses everything else."""

        def __init__(self, record: list[str] | None) -> None:
            # fail_on_errors: only the templates ask for URLs, and only for assets, so a
            # refusal is a bug or an attack and must stop the rendering, not be skipped.
            super().__init__(fail_on_errors=True)
            self._record = record

        def fetch(self, url: str, headers: object = None) -> Any:
            if self._record is not None:
                self._record.append(url)
            body, media_type = resolve_asset(url)
            return URLFetcherResponse(url, body, {"Content-Type": media_type})

    return AssetFetcher


def asset_fetcher(record: list[str] | None = None) -> Any:
    """A WeasyPrint URL fetcher for packaged assets; every URL asked for is appended to record."""
    return _fetcher_class()(record)


def render_html_pdf(html: str, *, fetched: list[str] | None = None) -> bytes:
    """PDF bytes of an HTML document, with only packaged assets fetchable (RefusedFetch else)."""
    # lazy: WeasyPrint loads Pango, which only the render processes need.
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError

    document = HTML(string=html, base_url=None, url_fetcher=asset_fetcher(fetched))
    try:
        pdf = document.write_pdf()
    except FatalURLFetchingError as exc:
        # A BaseException in WeasyPrint: turned into ours so callers' handlers see it.
        raise RefusedFetch(str(exc.__cause__ or exc)) from exc
    assert pdf is not None
    return bytes(pdf)


def render_agreement_html(context: AgreementContext) -> str:
    codes = ["en"] + ([context.second_language] if context.second_language else [])
    versions = [_language_version(code) for code in codes]
    return (
        _environment().get_template("agreement/document.html").render(a=context, versions=versions)
    )


def render_agreement_pdf(context: AgreementContext, *, fetched: list[str] | None = None) -> bytes:
    """Render the agreement to PDF bytes in this process; the bytes are hashed and signed.

    Args:
        fetched: if given, every URL the renderer asked for is appended to it.
    """
    return render_html_pdf(render_agreement_html(context), fetched=fetched)


def render_certificate_html(context: CertificateContext) -> str:
    return (
        _environment()
        .get_template("agreement/certificate.html")
        .render(c=context, user_agent_shown=USER_AGENT_SHOWN)
    )


def render_certificate_pdf(
    context: CertificateContext, *, fetched: list[str] | None = None
) -> bytes:
    """Render the signature certificate to PDF bytes in this process."""
    return render_html_pdf(render_certificate_html(context), fetched=fetched)


@dataclass(frozen=True, kw_only=True)
class ParticipationContext:
    """A certificate of participation: who took part, as what, in which mentorship."""

    reference: str
    recipient: str  # the SME's name, or the mentor's
    recipient_role: str  # "SME" or "Mentor from <company>"
    statement: str  # the sentence the certificate makes, written by the platform
    challenge_areas: list[str]
    sessions: int
    hours: float
    started_on: str
    completed_on: str
    intensity: str | None = None  # "3/12 at intake, 7/12 at completion"
    language: str = "en"  # the recipient's: the certificate's words are in it

    def __post_init__(self) -> None:
        _text(self, "reference", REFERENCE_MAX)
        _text(self, "recipient", NAME_MAX)
        _text(self, "recipient_role", NAME_MAX)
        _text(self, "statement", EVENT_TEXT_MAX * 2)
        for index, area in enumerate(self.challenge_areas):
            _check(f"challenge_areas[{index}]", area, AREA_MAX, multiline=False)
        _iso_date(self, "started_on")
        _iso_date(self, "completed_on")
        _text(self, "intensity", NAME_MAX, optional=True)
        if self.language not in i18n.LOCALES:
            raise AgreementInputError("language", f"no catalog for {self.language!r}")
        if not 0 <= self.sessions <= 1000 or not 0 <= self.hours <= 10_000:
            raise AgreementInputError("sessions", "sessions and hours must be plausible counts")


def render_participation_pdf(
    context: ParticipationContext, *, fetched: list[str] | None = None
) -> bytes:
    """Render a certificate of participation with the same safe renderer as agreements."""
    template = _environment(context.language).get_template("agreement/participation.html")
    html = template.render(p=context)
    return render_html_pdf(html, fetched=fetched)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def new_render_pool(
    *,
    timeout_seconds: float = RENDER_TIMEOUT_SECONDS,
    memory_bytes: int = RENDER_MEMORY_BYTES,
    processes: int = RENDER_PROCESSES,
) -> BoundedPool:
    """A sandbox pool for these documents: workers start with WeasyPrint and the templates
    loaded and one sample rendered, so even the first real render costs no more than in-process.
    """
    return BoundedPool(
        timeout_seconds=timeout_seconds,
        memory_bytes=memory_bytes,
        processes=processes,
        preload=("weasyprint", "mentorship.adapters.agreements"),
        warm_up=warm_up_renderer,
    )


def render_agreement_safely(context: AgreementContext, pool: BoundedPool) -> bytes:
    """Render the agreement in a sandbox process of ``pool`` (``Settings.render_pool()``).

    Raises:
        mentorship.adapters.sandbox.SandboxError: the render ran out of time or memory, or crashed.
        RefusedFetch: the template asked for something other than a packaged asset.
    """
    return pool.call(render_agreement_pdf, context)


def render_certificate_safely(context: CertificateContext, pool: BoundedPool) -> bytes:
    """Render the signature certificate in a sandbox process, like render_agreement_safely."""
    return pool.call(render_certificate_pdf, context)


def warm_up_renderer() -> None:
    """Render a sample once, so a fresh worker has its templates, fonts and Pango ready."""
    render_agreement_pdf(
        AgreementContext(
            reference="DV-0-0",
            issued_on="2026-01-01",
            expires_on="2026-01-15",
            sme_name="Sample SME",
            sme_country="FR",
            sme_sector="C10",
            company_name="Sample Company",
            company_country="DE",
            mentor_name="Sample Mentor",
            challenge_areas=["Sample area"],
            duration_months=24,
            second_language="fr" if "fr" in AGREEMENT_LANGUAGES else None,
        )
    )
