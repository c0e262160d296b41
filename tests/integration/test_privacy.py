"""The GDPR on a whole mentorship run with its real activities: a person's export holds all
their data; erasure and the retention rule leave no personal value in the database outside
the signed agreements; the retention Schedule and the history retention are set up."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, String, select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.worker import Worker

from activities.privacy import PrivacyActivities
from digivol.demo import ORGANISATIONS
from digivol.schedules import ensure_history_retention, ensure_schedules
from digivol.worker import build_worker
from mentorship.config import Settings
from mentorship.errors import Refused
from mentorship.rules.stages import Stage
from mentorship.services import privacy
from mentorship.store.db import transaction
from mentorship.store.models import AuditEntry, Base, SupportRequest, User, utcnow
from scripted.journey import INTAKE, submit
from scripted.servers import dev_server
from tests.distinctive import (
    ACHIEVED,
    AGENDA,
    FEEDBACK,
    IP_ADDRESS,
    MEETING_PLACE,
    NEXT_STEPS,
    PLAN_GOAL,
    SKILLS,
    SURVEY_TEXT,
    TOPICS,
    TYPED_NAMES,
    USER_AGENT,
    whole_mentorship,
)
from tests.temporal import time_skipping
from workflows.retention import RETENTION_SCHEDULE_ID, RetentionWorkflow

# Where personal values may stay after erasure: the agreements as signed (legal claims).
KEPT_AS_EVIDENCE = {"agreements", "signatures"}
SME = ORGANISATIONS["Panificio Rossi"]


def completed_mentorship(
    sessions: sessionmaker[Session], people: dict[str, User], data_dir: Path
) -> int:
    """Intake to the last survey, with the real activities; the request's id."""

    async def go() -> int:
        settings = Settings(
            data_dir=data_dir, task_queue=f"q-{uuid.uuid4().hex}", planned_sessions=2
        )
        async with time_skipping() as env:
            with ThreadPoolExecutor(8) as pool:
                async with build_worker(env.client, settings, sessions, pool):
                    journey = await whole_mentorship(env, settings, sessions, people)
        return journey.request_id

    return asyncio.run(go())


def texts(session: Session) -> Iterator[tuple[str, str, str]]:
    """Every text and JSON value in the database: (table, column, value)."""
    for mapper in Base.registry.mappers:
        table = mapper.class_.__tablename__
        columns = [c for c in mapper.columns if isinstance(c.type, String | JSON)]
        for row in session.execute(select(*columns)):
            for column, value in zip(columns, row, strict=True):
                if value is not None:
                    yield table, column.key, str(value)


def places(session: Session, values: list[str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for table, column, text in texts(session):
        for value in values:
            if value.casefold() in text.casefold():
                found.setdefault(value, set()).add(f"{table}.{column}")
    return found


def sme_values(people: dict[str, User]) -> list[str]:
    """What is the SME's: its people, its name and details, everything it wrote."""
    return [
        people["sme"].name,
        people["sme"].email,
        "Panificio Rossi",
        str(SME["address"]),
        str(SME["registration_number"]),
        INTAKE.description,
        TYPED_NAMES["sme"],
        FEEDBACK["sme"],
        SURVEY_TEXT.format(months=3),
    ]


def mentorship_texts() -> list[str]:
    """The words of the mentorship, whoever wrote them."""
    return [
        INTAKE.description,
        PLAN_GOAL,
        MEETING_PLACE,
        AGENDA,
        TOPICS.format(n=1),
        SKILLS,
        NEXT_STEPS,
        *FEEDBACK.values(),
        ACHIEVED,
        SURVEY_TEXT.format(months=6),
    ]


def test_every_table_that_points_at_a_person_is_in_the_export() -> None:
    pointing = {
        (table.name, column.name)
        for table in Base.metadata.tables.values()
        for column in table.columns
        for fk in column.foreign_keys
        if fk.column.table.name == "users" and table.name != "users"
    }
    exported = {(model.__tablename__, column) for model, column in privacy.PERSONAL_ROWS}
    assert pointing - exported == set()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_persons_export_holds_their_data_and_erasure_leaves_it_only_in_agreements(
    sessions: sessionmaker[Session], people: dict[str, User], tmp_path: Path
) -> None:
    request_id = completed_mentorship(sessions, people, tmp_path)
    with sessions() as session:
        export: dict[str, Any] = privacy.export_person(session, session.merge(people["sme"]))
    text = str(export)
    for value in (*sme_values(people), IP_ADDRESS, USER_AGENT, SURVEY_TEXT.format(months=6)):
        assert value in text, value
    assert export["account"]["email"] == "sme@demo.eu" and "password_hash" not in export["account"]
    assert [r["id"] for r in export["support_requests.created_by"]] == [request_id]
    assert len(export["survey_answers.author_id"]) == 2
    assert {r["kind"] for r in export["notifications.user_id"]} >= {"sign_agreement"}
    with sessions() as session:
        mentor_export = str(privacy.export_person(session, session.merge(people["mentor"])))
    for value in (PLAN_GOAL, AGENDA, TOPICS.format(n=2), SKILLS, TYPED_NAMES["mentor"]):
        assert value in mentor_export, value

    with sessions() as session:
        before = places(session, sme_values(people))
    assert set(before) == set(sme_values(people))  # the scan finds them while they are there
    with transaction(sessions) as session:
        privacy.erase_person(session, session.merge(people["sme"]), people["sme"].id, utcnow(), "t")
    with sessions() as session:
        after = places(session, [*sme_values(people), *mentorship_texts()])
        erased = session.get(User, people["sme"].id)
        assert erased is not None and erased.erased_at is not None
        assert erased.email == f"erased-{erased.id}@erased.invalid"
        logged = session.scalar(select(AuditEntry).where(AuditEntry.kind == "person_erased"))
        assert logged is not None and logged.data == {"user_id": erased.id, "why": "t"}
    outside = {
        value: {w for w in where if w.split(".")[0] not in KEPT_AS_EVIDENCE}
        for value, where in after.items()
    }
    assert {v: w for v, w in outside.items() if w} == {}
    assert after[TYPED_NAMES["sme"]] == {"signatures.typed_name"}  # the signature is kept
    # The mentor keeps their account; what they wrote in the SME's mentorship is gone.
    with sessions() as session:
        mentor = session.get(User, people["mentor"].id)
        assert mentor is not None and mentor.erased_at is None


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_erasure_waits_while_a_mentorship_runs(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    submit(sessions, people["sme"])  # at intake review: still open
    with transaction(sessions) as session, pytest.raises(Refused, match="still running"):
        privacy.erase_person(session, session.merge(people["sme"]), 1, utcnow(), "t")
    with sessions() as session:
        assert session.get(User, people["sme"].id).erased_at is None  # type: ignore[union-attr]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_retention_erases_a_mentorships_words_once_its_period_has_passed(
    sessions: sessionmaker[Session], people: dict[str, User], tmp_path: Path
) -> None:
    request_id = completed_mentorship(sessions, people, tmp_path)
    open_request = submit(sessions, people["sme"])
    year = timedelta(days=365)
    with transaction(sessions) as session:
        assert privacy.erase_closed_mentorships(session, year, utcnow(), 100) == []
        later = utcnow() + timedelta(days=400)
        assert privacy.erase_closed_mentorships(session, year, later, 100) == [request_id]
        assert privacy.erase_closed_mentorships(session, year, later, 100) == []  # once
    with sessions() as session:
        left = places(session, mentorship_texts())
        assert left == {INTAKE.description: {"support_requests.description"}}  # the open one
        erased = session.get(SupportRequest, request_id)
        still = session.get(SupportRequest, open_request)
        assert erased is not None and erased.erased_at is not None
        assert still is not None and still.erased_at is None
        logged = session.scalar(select(AuditEntry).where(AuditEntry.kind == "request_data_erased"))
        assert logged is not None and logged.request_id == request_id


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_retention_schedule_runs_the_erasure_and_histories_are_kept_30_days(
    sessions: sessionmaker[Session], people: dict[str, User], tmp_path: Path
) -> None:
    request_id = submit(sessions, people["sme"])
    with transaction(sessions) as session:
        request = session.get(SupportRequest, request_id)
        assert request is not None
        request.stage, request.updated_at = Stage.REJECTED, utcnow() - timedelta(days=2)
    settings = Settings(data_dir=tmp_path, task_queue=f"q-{uuid.uuid4().hex}")

    async def scenario() -> None:
        async with dev_server() as env:
            await ensure_schedules(env.client, settings)
            await ensure_history_retention(env.client, settings)
            described = await env.client.workflow_service.describe_namespace(
                DescribeNamespaceRequest(namespace=env.client.namespace)
            )
            ttl = described.config.workflow_execution_retention_ttl
            assert ttl.seconds == 30 * 24 * 3600
            acts = PrivacyActivities(sessions, timedelta(days=1))
            with ThreadPoolExecutor(2) as pool:
                async with Worker(
                    env.client,
                    task_queue=settings.task_queue,
                    workflows=[RetentionWorkflow],
                    activities=[acts.erase_closed_mentorships],
                    activity_executor=pool,
                ):
                    await env.client.get_schedule_handle(RETENTION_SCHEDULE_ID).trigger()
                    for _ in range(300):
                        with sessions() as session:
                            row = session.get(SupportRequest, request_id)
                            if row is not None and row.erased_at is not None:
                                return
                        await asyncio.sleep(0.1)
            raise AssertionError("the retention schedule did not erase the rejected request")

    asyncio.run(scenario())
    with sessions() as session:
        row = session.get(SupportRequest, request_id)
        assert row is not None and row.description == privacy.ERASED
