"""The UI's language: Flask-Babel reading our catalogs (mentorship/translations), the
choice of each reader, and domain errors in their words.

Whose language: a signed-in person's saved choice, else a visitor's choice kept in the
session, else the browser's Accept-Language, else English. The API always answers in
English: its messages are for programs and their logs.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import flask_babel
from babel import Locale, dates
from babel.support import NullTranslations
from flask import Flask, g, request, session

from mentorship import i18n
from mentorship.errors import DomainError, Ineligible
from mentorship.i18n import N_, NP_
from web.labels import STAGES

# The catalogs' context of a role's words, as against its label; spelled out in each NP_
# below as well, since the extraction reads literals only.
IN_A_SENTENCE = "inside a sentence"
DEFAULT_LOCALE = Locale.parse(i18n.DEFAULT_LOCALE)
ROLE_WORDS = {  # a role named inside a sentence ("A mentor cannot take this step.")
    "coordinator": NP_("inside a sentence", "coordinator"),
    "sme": NP_("inside a sentence", "SME representative"),
    "mentor": NP_("inside a sentence", "mentor"),
    "company_admin": NP_("inside a sentence", "company admin"),
}
OUTCOME_WORDS = {
    "signed": N_("signed"),
    "expired": N_("expired"),
    "declined": N_("declined"),
    "voided": N_("voided"),
}


def reader_translations() -> NullTranslations:
    """The reader's catalog. A page asks for it a hundred times and more; Flask-Babel's own
    path walks the app context twice a string and spells the locale out each time, this one
    once (and so still follows ``force_locale`` and ``refresh``)."""
    return _catalog(reader_locale())


@cache
def _catalog(locale: Locale) -> NullTranslations:
    return i18n.translations(str(locale))


def reader_locale() -> Locale:
    """The reader's locale, as Babel's formatting functions take it."""
    return flask_babel.get_locale() or DEFAULT_LOCALE


class CatalogDomain(flask_babel.Domain):
    """Translations from our .po catalogs, compiled in memory once per language."""

    def get_translations(self) -> NullTranslations:
        return reader_translations()


class Babel(flask_babel.Babel):
    domain_instance = CatalogDomain()  # type: ignore[assignment]


def select_locale() -> str:
    if request.blueprint == "api":
        return i18n.DEFAULT_LOCALE
    user = g.get("user")
    if user is not None and user.locale in i18n.LOCALES:
        return str(user.locale)
    if session.get("locale") in i18n.LOCALES:
        return str(session["locale"])
    return request.accept_languages.best_match(list(i18n.LOCALES)) or i18n.DEFAULT_LOCALE


def translated(exc: DomainError) -> str:
    """A domain error's message in the reader's language, its values in their words."""
    gettext = flask_babel.gettext
    if isinstance(exc, Ineligible):
        return " ".join(
            gettext(message, **{k: flask_babel.format_number(v) for k, v in values.items()})
            for message, values in exc.reasons
        )
    return _sentence(exc.message, exc.params) if exc.message else str(exc)


def _sentence(message: str, params: dict[str, Any]) -> str:
    words: dict[str, Any] = dict(params)
    gettext = flask_babel.gettext
    if "stage" in words:
        words["stage"] = gettext(STAGES.get(words["stage"], words["stage"]))
    if "role" in words:
        words["role"] = role_word(words["role"])
    if "outcome" in words:
        words["outcome"] = gettext(OUTCOME_WORDS.get(words["outcome"], words["outcome"]))
    return gettext(message, **words) if words else gettext(message)


def role_word(role: str) -> str:
    """A role named inside a sentence, in the reader's language: "the SME representative"."""
    word = ROLE_WORDS.get(role)
    return flask_babel.pgettext(IN_A_SENTENCE, word) if word else role


def day(value: date | datetime | None) -> str:
    """A date as the reader's language writes it: "Nov 25, 2026", "25 nov. 2026", "25.11.2026"."""
    if value is None:
        return "—"
    on = _utc(value) if isinstance(value, datetime) else value
    return dates.format_date(on, "medium", locale=reader_locale())


def moment(value: datetime | None) -> str:
    """A date and time (UTC) as the reader's language writes them: "25.11.2026, 14:05"."""
    if value is None:
        return "—"
    locale = reader_locale()
    pattern = str(dates.get_datetime_format("medium", locale=locale))
    return pattern.replace("{1}", day(value)).replace(
        "{0}", dates.format_time(_utc(value), "short", tzinfo=UTC, locale=locale)
    )


def _utc(value: datetime) -> datetime:
    """Our datetimes are UTC, stored without a zone; the pages show them in UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def number(value: float | int | None, pattern: str | None = None) -> str:
    """A number as the reader's language writes it ("2.5", "2,5"); ``pattern`` as Babel's,
    e.g. "0.00" for a score or "+#,##0;-#,##0" for a signed change."""
    return flask_babel.format_decimal(value, pattern) if value is not None else "—"


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale)
    # Flask-Babel installs Jinja's gettext through its own lookup; ours keeps the catalog.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: reader_translations().ugettext(s),
        ngettext=lambda s, p, n: reader_translations().ungettext(s, p, n),
        pgettext=lambda c, s: reader_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: reader_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.filters.update(day=day, moment=moment, number=number, role_word=role_word)
    # {% trans %} blocks collapse their whitespace, as the extraction does (trimmed).
    app.jinja_env.policies["ext.i18n.trimmed"] = True

    @app.context_processor
    def languages() -> dict[str, Any]:
        return {"locale": str(flask_babel.get_locale()), "locales": i18n.LOCALES}
