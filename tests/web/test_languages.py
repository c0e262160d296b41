"""The pages speak each reader's language: the browser's at first, then the one chosen in the
header, remembered in the session for a visitor and on the account for a person who signs in;
dates and numbers written as that language writes them."""

from __future__ import annotations

from datetime import date, datetime
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from mentorship import i18n
from mentorship.store.models import User
from tests.web.conftest import csrf, login
from web.i18n import day, moment, number, role_word
from web.labels import ROLES


def words(locale: str, english: str) -> str:
    """``english`` as the catalog of ``locale`` has it (the test does not fix the wording)."""
    translated = i18n.translations(locale).gettext(english)
    assert locale == "en" or translated != english, f"{english!r} has no {locale} translation"
    return translated


def text(response: TestResponse) -> str:
    """A page's text as a reader sees it (entities such as &#39; resolved)."""
    return unescape(response.get_data(as_text=True))


def choose(client: FlaskClient, locale: str, page: str = "/login") -> str:
    token = csrf(client, page)
    chosen = client.post(
        "/account/language",
        data={"csrf_token": token, "locale": locale},
        headers={"Referer": f"http://localhost{page}"},
    )
    assert chosen.status_code == 303 and chosen.headers["Location"] == page
    return text(client.get(page))


def test_a_visitor_reads_the_browsers_language_until_choosing_another(
    client: FlaskClient,
) -> None:
    german = client.get("/login", headers={"Accept-Language": "de-AT,de;q=0.9,en;q=0.5"})
    page = text(german)
    assert '<html lang="de">' in page and words("de", "Log in") in page
    assert "Digital Volunteers" in page  # the programme's name is not translated

    page = choose(client, "fr")
    assert '<html lang="fr">' in page
    assert words("fr", "Log in") in page and words("fr", "Register") in page
    assert words("fr", "Pledges") in page
    assert 'aria-current="true" disabled>Français</button>' in page  # the switcher shows it


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_person_s_choice_is_kept_on_their_account_for_every_device(
    app: Flask, sessions: sessionmaker[Session]
) -> None:
    laptop = app.test_client()
    login(laptop, "sme@demo.eu")
    page = choose(laptop, "de", "/sme/requests")
    assert words("de", "My requests") in page and words("de", "Log out") in page
    with sessions() as session:
        sme = session.query(User).filter_by(email="sme@demo.eu").one()
        assert sme.locale == "de"  # the e-mails and certificates follow the same choice

    phone = app.test_client()  # another device, an English browser: the account decides
    login(phone, "sme@demo.eu")
    page = text(phone.get("/sme/requests", headers={"Accept-Language": "en"}))
    assert '<html lang="de">' in page and words("de", "Ask for support") in page


def test_a_language_that_is_not_offered_changes_nothing(client: FlaskClient) -> None:
    token = csrf(client)
    refused = client.post("/account/language", data={"csrf_token": token, "locale": "xx"})
    assert refused.status_code == 303
    page = text(client.get("/login"))
    assert '<html lang="en">' in page and "Choose one of the listed languages." in page


def test_the_switch_returns_only_to_a_page_of_this_site(client: FlaskClient) -> None:
    token = csrf(client)
    elsewhere = client.post(
        "/account/language",
        data={"csrf_token": token, "locale": "fr"},
        headers={"Referer": "https://evil.example/phish"},
    )
    assert elsewhere.status_code == 303 and elsewhere.headers["Location"] == "/"


def test_the_switch_needs_the_forms_token(client: FlaskClient) -> None:
    forged = client.post("/account/language", data={"locale": "fr"})
    assert forged.status_code == 400
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)


def test_an_error_page_speaks_the_readers_language(client: FlaskClient) -> None:
    missing = client.get("/no-such-page", headers={"Accept-Language": "fr"})
    assert missing.status_code == 404
    page = text(missing)
    assert words("fr", "Not found") in page
    assert words("fr", "There is no page at this address.") in page


@pytest.mark.parametrize(
    ("locale", "a_day", "a_moment", "hours", "thousands", "score"),
    [
        ("en", "Nov 25, 2026", "Nov 25, 2026, 2:05\u202fPM", "2.5", "12,345", "0.76"),
        ("fr", "25 nov. 2026", "25 nov. 2026, 14:05", "2,5", "12\u202f345", "0,76"),
        ("de", "25.11.2026", "25.11.2026, 14:05", "2,5", "12.345", "0,76"),
    ],
)
def test_dates_and_numbers_are_written_as_each_language_writes_them(
    app: Flask,
    locale: str,
    a_day: str,
    a_moment: str,
    hours: str,
    thousands: str,
    score: str,
) -> None:
    with app.test_request_context("/"), force_locale(locale):
        assert day(date(2026, 11, 25)) == a_day
        assert moment(datetime(2026, 11, 25, 14, 5)) == a_moment
        assert number(2.5) == hours and number(12345) == thousands
        assert number(0.756, "0.00") == score and number(3, "+#,##0;-#,##0") == "+3"
        assert day(None) == moment(None) == "—"


def test_a_role_is_a_capitalised_label_and_a_lower_case_word_inside_a_sentence(
    app: Flask,
) -> None:
    """The same English words, two French translations: told apart by the catalog's context."""
    with app.test_request_context("/"), force_locale("fr"):
        label = app.jinja_env.filters["role_label"]("sme")
        assert label == words("fr", ROLES["sme"]) and label[0].isupper()
        assert role_word("sme") == i18n.translations("fr").pgettext(
            "inside a sentence", "SME representative"
        )
        assert role_word("sme")[0].islower() and role_word("coordinator")[0].islower()


def test_the_readers_language_follows_a_forced_locale_after_the_first_use(app: Flask) -> None:
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        render = app.jinja_env.from_string("{{ _('Set a new password') }} {{ when|day }}").render
        german = render(when=date(2026, 11, 25))
        assert german == f"{words('de', 'Set a new password')} 25.11.2026"
        with force_locale("fr"):
            assert render(when=date(2026, 11, 25)) == (
                f"{words('fr', 'Set a new password')} 25 nov. 2026"
            )
        assert render(when=date(2026, 11, 25)) == german
