"""Fuzzing every form: hypothesis sends each POST route of the pages the fields of every
form schema (and strangers), with values of every shape, as the person allowed to use the
route. No answer is a 5xx, and a refused submission (4xx) writes no row anywhere. Every
page's GET route gets query strings made the same way: no answer is a 5xx."""

from __future__ import annotations

import inspect
import uuid
from typing import Any
from urllib.parse import parse_qsl

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mentorship.store.models import Base
from tests.fuzzing import examples
from tests.web.test_authorization_matrix import EXPECTED, ROLES, SIDE, Matrix
from tests.web.test_authorization_matrix import matrix as matrix  # the same world of objects
from web import forms

# Every field name any form knows, and a few no form knows.
FIELDS = sorted(
    {
        name
        for _, schema in inspect.getmembers(forms, inspect.isclass)
        if issubclass(schema, Schema) and schema.__module__.startswith(f"{forms.__name__}.")
        for name in schema().fields
    }
    | {"csrf_token_x", "goal_1", "goal_note_1", "__proto__", "role[]"}
)
# Written on purpose by a refused request: a failed login counts towards the lock-out.
KEPT_ON_REFUSAL = {"login_throttles"}

VALUES = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=3000),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.dates().map(str),
    st.sampled_from(["", "0", "1", "yes", "on", "remote", "e_commerce", "en", "2099-12-31"]),
    st.just("a" * 33),  # a nonce one character too long
    st.text(alphabet="0123456789abcdef", min_size=32, max_size=32),  # a well-formed nonce
)
# Where numbers and texts break a query: past the database's integers, a float's range, a
# NUL byte (PostgreSQL refuses one in text), a line break.
EXTREMES = st.sampled_from(
    [str(2**31), str(2**63), "9" * 40, str(-(2**63) - 1), "1e400", "NaN", "\x00", "a\r\nb"]
)
# The fields pages read from their query string (web.forms's query schemas), and strangers.
QUERY_FIELDS = sorted(
    {*forms.InboxQuerySchema().fields, *forms.ReportPeriodSchema().fields}
    | {"next", "page", "lang", "__proto__"}
)
FORMS = st.dictionaries(
    st.sampled_from(FIELDS), st.one_of(VALUES, st.lists(VALUES, max_size=4)), max_size=8
)


def routes(matrix: Matrix, method: str) -> list[tuple[str, str, str | None]]:
    """(endpoint, path to a real object, a role allowed on it) of every page route taking
    ``method``."""
    found = []
    for key, (verb, pattern, own, _other) in EXPECTED.items():
        if verb != method or key.startswith("api"):
            continue
        role = ROLES[own[0]]
        path = pattern.format(side=SIDE[role], **vars(matrix.own))
        found.append((key.split("#")[0], path, role))
    return sorted(found)


def rows(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
            if table.name not in KEPT_ON_REFUSAL
        }


def test_no_form_input_breaks_a_page_or_half_writes(matrix: Matrix) -> None:
    posts = routes(matrix, "POST")
    assert len(posts) >= 40
    sessions, clients, tokens = matrix.sessions, matrix.clients, matrix.tokens
    seen: dict[str, set[int]] = {}

    @settings(
        max_examples=examples(4),
        derandomize=True,  # the same inputs on every run: a failure here is reproducible
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(route=st.sampled_from(posts), form=FORMS)
    def submit(route: tuple[str, str, str | None], form: dict[str, Any]) -> None:
        endpoint, path, role = route
        if endpoint in ("auth.logout", "account.erase"):
            return  # would end the session the next examples need
        before = rows(sessions)
        data = {"nonce": uuid.uuid4().hex, **form, "csrf_token": tokens[role]}
        answer = clients[role].post(path, data=data)
        seen.setdefault(endpoint, set()).add(answer.status_code)
        assert answer.status_code < 500, (endpoint, form, answer.get_data(as_text=True)[:500])
        if answer.status_code >= 400:
            assert rows(sessions) == before, (endpoint, form)

    submit()
    assert len(seen) >= 30  # the examples reached most routes, not one
    accepted = [endpoint for endpoint, codes in seen.items() if codes & {200, 303}]
    assert len(accepted) >= 10, seen  # and some inputs got through to the use cases


def test_no_query_string_breaks_a_page(matrix: Matrix) -> None:
    """A 40-digit company id in /inbox's query once raised OverflowError: every number a
    query names has the database's bounds, every text is plain (web.forms)."""
    gets = routes(matrix, "GET")
    assert len(gets) >= 30
    clients, seen = matrix.clients, set()
    queries = st.dictionaries(
        st.sampled_from(QUERY_FIELDS), st.one_of(VALUES, EXTREMES), min_size=1, max_size=6
    )

    @settings(
        max_examples=examples(2),
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(route=st.sampled_from(gets), query=queries)
    def visit(route: tuple[str, str, str | None], query: dict[str, str]) -> None:
        endpoint, path, role = route
        path, _, given_query = path.partition("?")  # a route's own query comes first
        answer = clients[role].get(path, query_string=[*parse_qsl(given_query), *query.items()])
        seen.add(endpoint)
        assert answer.status_code < 500, (endpoint, query, answer.get_data(as_text=True)[:500])

    visit()
    assert len(seen) >= 20  # the examples reached most pages, not one
