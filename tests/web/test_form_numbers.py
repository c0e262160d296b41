"""Every number a form or a query takes has the database's bounds (web.forms.Integer): a
40-digit turnover on the intake form and a 20-digit company in /inbox's query were
OverflowErrors, 500s (issue 26). Past the bounds is a field message, and nothing written."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from marshmallow import ValidationError, fields
from sqlalchemy.orm import Session, sessionmaker

from tests.web.conftest import login
from tests.web.test_form_messages_i18n import schemas
from tests.web.test_pages import requests_count, submit_intake
from web import forms

OUT_OF_RANGE = "The number is out of range."


def every_integer_field() -> list[tuple[str, fields.Integer]]:
    found = []
    for schema in schemas():
        for name, field in schema.fields.items():
            inner = field.inner if isinstance(field, fields.List) else field
            if isinstance(inner, fields.Integer):
                found.append((f"{type(schema).__name__}.{name}", inner))
    assert len(found) >= 20
    return found


def test_every_integer_of_every_form_is_bounded() -> None:
    unbounded = [name for name, field in every_integer_field()
                 if not isinstance(field, forms.Integer)]  # fmt: skip
    assert unbounded == []


@pytest.mark.parametrize("sign", [1, -1])
def test_past_the_bounds_of_its_column_a_number_is_a_field_message(sign: int) -> None:
    amounts = []
    for name, field in every_integer_field():
        assert isinstance(field, forms.Integer), name
        if field.bound == forms.INT64_MAX:
            amounts.append(name)
        just_past = field.bound + 1 if sign > 0 else -field.bound - 2  # INT is -bound-1 ..bound
        for past in (just_past, sign * 10**40):
            with pytest.raises(ValidationError) as refused:
                field.deserialize(str(past))
            assert refused.value.messages == [OUT_OF_RANGE], name
    assert sorted(amounts) == [
        "IntakeSchema.balance_sheet_eur", "IntakeSchema.turnover_eur",
        "RegisterSchema.balance_sheet_eur", "RegisterSchema.turnover_eur",
    ]  # fmt: skip


def test_a_forty_digit_turnover_is_a_field_message_and_no_request(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "sme@demo.eu")
    before = requests_count(sessions)
    status, page = submit_intake(client, turnover_eur="9" * 40)
    assert status == 422 and OUT_OF_RANGE in page
    status, _ = submit_intake(client, turnover_eur=str(forms.INT64_MAX))  # the largest held
    assert status in (200, 303) and requests_count(sessions) == before + 1


def test_a_company_id_past_the_bounds_in_the_inbox_query_is_a_client_error(
    client: FlaskClient,
) -> None:
    login(client, "coordinator@demo.eu")
    answer = client.get("/inbox?company_id=" + "9" * 20)
    assert answer.status_code == 422 and OUT_OF_RANGE in answer.get_data(as_text=True)
