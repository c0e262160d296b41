"""What goes into the confidentiality agreement and the certificates: their facts, checked.

``AgreementContext`` is what the agreement states; ``CertificateContext``, with its
``SignerRecord``s and ``AgreementEvent``s, what its signature certificate states;
``ParticipationContext``, a certificate of participation. Each refuses a value that cannot go
into a document with ``AgreementInputError``. The documents are Jinja2 templates under
``templates/agreement/`` (``template_environment``); a language an agreement can be written in
is one file there, ``lang_<code>.html``, and ``AGREEMENT_LANGUAGES`` lists them. Rendering the
documents to PDF is ``mentorship.adapters.agreements``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from mentorship import i18n
from mentorship.rules import plaintext

TEMPLATES = Path(__file__).parents[1] / "templates"
AGREEMENT_TEMPLATES = TEMPLATES / "agreement"

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
def template_environment(locale: str = i18n.DEFAULT_LOCALE) -> Environment:
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
def language_version(code: str) -> Any:
    """The language file's template module: its variables and its agreement() macro."""
    module = template_environment().get_template(f"agreement/lang_{code}.html").module
    if getattr(module, "code", None) != code:
        raise RuntimeError(f"agreement/lang_{code}.html must set code = {code!r}")
    return module


def _discover_languages() -> dict[str, str]:
    codes = sorted(p.stem.removeprefix("lang_") for p in AGREEMENT_TEMPLATES.glob("lang_*.html"))
    codes.sort(key=lambda code: code != "en")  # English first: it is always the first version
    return {code: str(language_version(code).language_name) for code in codes}


# Code → the language's name in that language, for the UI; "en" is always included.
AGREEMENT_LANGUAGES: dict[str, str] = _discover_languages()
