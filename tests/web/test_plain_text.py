"""Every text a person types comes in as plain text (mentorship.rules.plaintext): a field of one
line refuses every control character, a field of several lines all but line breaks and tabs,
on every form. A name with a line break once stopped all e-mail (issue 26)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from marshmallow import Schema, ValidationError, fields
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mentorship.store.models import Organisation, User
from tests.web.test_account_pages import post, registration
from tests.web.test_form_messages_i18n import schemas
from web import forms

HEADER_INJECTION = "Ada\r\nBcc: attacker@evil.example"
HOSTILE = ["\r\n", "\n", "\t", "\x00", "\x1b[31m", "\x85", "\u202e"]  # C0, C1, a bidi override


def text_fields(schema: Schema) -> Iterator[tuple[str, fields.Field]]:
    for name, field in schema.fields.items():
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.String):
            yield f"{type(schema).__name__}.{name}", inner


def every_text_field() -> list[tuple[str, fields.Field]]:
    found = [pair for schema in schemas() for pair in text_fields(schema)]
    assert len(found) > 60
    return found


def test_every_text_field_of_every_form_is_plain_text() -> None:
    """No form takes marshmallow's own String, which lets anything through."""
    raw = [name for name, field in every_text_field()
           if not isinstance(field, (forms.String, forms.Email))]  # fmt: skip
    assert raw == []


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_field_of_one_line_refuses_every_control_character(hostile: str) -> None:
    let_through = []
    for name, field in every_text_field():
        if isinstance(field, forms.Text):
            continue
        try:
            field.deserialize(f"Ada{hostile}Lovelace")
        except ValidationError:
            continue
        let_through.append(name)
    assert let_through == []


def test_a_field_of_several_lines_keeps_line_breaks_and_refuses_other_control_characters() -> None:
    several = [(name, f) for name, f in every_text_field() if isinstance(f, forms.Text)]
    assert len(several) >= 13
    control = forms.Text().error_messages["control"]
    for name, field in several:
        lines = "A first line of plain text.\r\nAnd a second,\twith a tab."
        assert field.deserialize(lines) == lines, name
        for hostile in ("\x00", "\x1b[31m", "\x85", "\u202e", "\x0c"):
            with pytest.raises(ValidationError) as refused:
                field.deserialize(f"A first line of plain text{hostile} and more of it.")
            assert refused.value.messages == [control], name


def test_a_name_with_a_line_break_is_a_422_naming_the_field_and_writes_nothing(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    for field in ("name", "organisation"):
        response = post(client, "/register", registration(**{field: HEADER_INJECTION}))
        page = response.get_data(as_text=True)
        assert response.status_code == 422, field
        assert "Type plain text on one line, without control characters." in page
    with sessions() as session:
        assert session.scalar(select(func.count(User.id)).where(User.name.contains("Bcc"))) == 0
        assert session.scalar(select(func.count(Organisation.id)).where(
            Organisation.name.contains("Bcc"))) == 0  # fmt: skip
