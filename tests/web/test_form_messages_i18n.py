"""A form's messages are catalog text, in the reader's language: marshmallow's own messages
(which the catalog does not hold) never reach a page, and none carries a value in it."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from typing import Any

from flask.testing import FlaskClient
from markupsafe import escape
from marshmallow import Schema, ValidationError, fields, validate

from mentorship import i18n
from tests.web.conftest import csrf
from web import forms

# Where a validator keeps the messages it may raise (marshmallow's names).
VALIDATOR_MESSAGES = (
    "error",
    "default_message",
    "message_min",
    "message_max",
    "message_all",
    "message_equal",
)


def schemas() -> list[Schema]:
    """Every form's schema, one of each."""
    classes = [
        cls
        for cls in vars(forms).values()
        if inspect.isclass(cls)
        and issubclass(cls, Schema)
        and cls.__module__.startswith(f"{forms.__name__}.")  # ours, in web.forms' modules
    ]
    assert len(classes) >= 25
    return [cls() for cls in classes] + [forms.goal_outcome_schema([1, 2])]


def field_messages(field: fields.Field) -> Iterator[str]:
    yield from (m for m in field.error_messages.values() if isinstance(m, str))
    for validator in field.validators:
        if isinstance(validator, validate.Validator):
            for name in VALIDATOR_MESSAGES:
                message = getattr(validator, name, None)
                if isinstance(message, str):
                    yield message
    if isinstance(field, fields.List):
        yield from field_messages(field.inner)


def declared_messages() -> set[str]:
    """Every message the forms' fields, validators and schemas declare."""
    found: set[str] = set()
    for schema in schemas():
        found.update(schema.error_messages.values())
        for field in schema.fields.values():
            found.update(field_messages(field))
    return found


def catalog() -> set[str]:
    return {str(m.id) for m in i18n.extract() if m.id}


def test_every_message_a_form_declares_is_in_the_catalog() -> None:
    declared = declared_messages()
    # marshmallow's messages, ours now, and ones the forms name themselves
    assert {
        "Missing data for required field.",
        "Not a valid integer.",
        "Not a valid date.",
        "Choose one of the options offered.",
        "Reload the page and submit the form again.",
        "Write 10 to 3000 characters.",
    } <= declared
    assert sorted(declared - catalog()) == []
    # A value marshmallow writes in ("{max}", "{choices}") would make the message not catalog
    # text any more.
    assert [m for m in declared if "{" in m] == []


def test_every_message_a_form_raises_itself_is_marked() -> None:
    """A validation method's message is N_("...") or gettext("...", values), or a constant."""
    tree = ast.parse(inspect.getsource(forms))
    unmarked = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "ValidationError":
            message = node.args[0]
            marked = isinstance(message, ast.Call) and getattr(message.func, "id", "") in (
                "N_",
                "gettext",
            )
            if not marked and not isinstance(message, ast.Name):
                unmarked.append(ast.unparse(message))
    assert unmarked == []


def shown(page: str, locale: str, message: str) -> bool:
    return str(escape(i18n.translations(locale).gettext(message))) in page


def messages_of(errors: Any) -> Iterator[str]:
    if isinstance(errors, str):
        yield errors
    elif isinstance(errors, dict):
        for value in errors.values():
            yield from messages_of(value)
    else:
        for value in errors:
            yield from messages_of(value)


def test_a_french_visitor_reads_a_forms_messages_from_the_catalog(client: FlaskClient) -> None:
    bad = {
        "kind": "bank",
        "organisation": "Cantina Verde",
        "country": "XX",
        "nace": "bakery",
        "employees": "many",
        "turnover_eur": "-5",
        "balance_sheet_eur": "300000",
        "name": "I",
        "email": "not an address",
        "password": "Harbour-lights-at-dusk-42",
        "confirm": "Harbour-lights-at-dusk-42",
    }
    try:
        forms.RegisterSchema().load(bad)
    except ValidationError as exc:
        errors = exc.messages_dict
    else:
        raise AssertionError("the registration should not validate")
    expected = sorted(set(messages_of(errors)))
    assert "Not a valid integer." in expected and "Choose an EU country." in expected
    assert sorted(set(expected) - catalog()) == []

    french = {"Accept-Language": "fr-FR,fr;q=0.9"}
    token = csrf(client, "/register")
    response = client.post("/register", data={**bad, "csrf_token": token}, headers=french)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and '<html lang="fr">' in page
    assert [m for m in expected if not shown(page, "fr", m)] == []
