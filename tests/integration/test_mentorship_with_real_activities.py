"""MentorshipWorkflow with its real activities, on the time-skipping server and SQLite."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from digivol.worker import build_worker
from mentorship.adapters.seal import verify_sealed_async
from mentorship.config import Settings
from mentorship.rules.choices import Decision
from mentorship.rules.payloads import RankInput
from mentorship.rules.stages import Stage, TaskKind, Update
from mentorship.rules.state import Durations
from mentorship.services import completion, pending_records, ranking
from mentorship.services.audit import verify_chain
from mentorship.store.db import transaction
from mentorship.store.models import (
    Agreement,
    Event,
    MatchOffer,
    Mentorship,
    Notification,
    PledgeEntry,
    ScheduledSession,
    SupportRequest,
    Task,
    User,
)
from scripted.journey import Journey, actor, submit
from scripted.script import Feedback, Held, Texts, after, until
from tests.pdf import pdf_text
from tests.temporal import time_skipping
from workflows.mentorship import COMPANY_ATTRIBUTE, COUNTRY_ATTRIBUTE, STAGE_ATTRIBUTE


def test_a_request_walks_from_intake_to_a_pledge_entry(
    sessions: sessionmaker[Session], people: dict[str, User], tmp_path: Path
) -> None:
    asyncio.run(_full_journey(sessions, people, tmp_path))


async def _full_journey(
    sessions: sessionmaker[Session], people: dict[str, User], data_dir: Path
) -> None:
    settings = Settings(data_dir=data_dir, task_queue=f"q-{uuid.uuid4().hex}", planned_sessions=2)
    request_id = submit(sessions, people["sme"])
    people["sme"].locale = "fr"  # Giulia reads her documents in French
    with transaction(sessions) as session:
        session.merge(people["sme"])
    texts = Texts(
        sessions=(Held(1.5, participants=3), Held(2.0, participants=5)),
        feedback={
            role: Feedback("<b>Great</b> work & thanks", achieved="Shop online.")
            for role in ("sme", "mentor")
        },
    )
    async with time_skipping() as env:
        with ThreadPoolExecutor(8) as pool:
            async with build_worker(env.client, settings, sessions, pool):
                journey = Journey(env.client, sessions, people, request_id, texts)
                await journey.start(settings)
                await journey.play(until(Update.ACCEPT_PLAN))
                with sessions() as session:  # the ranking of round 1, as it was recorded
                    offers = ranking.rank_candidates(session, RankInput(request_id, 1, []))
                # Anna covers both areas; Jonas one; Marta's company sells to bakeries.
                assert [o.mentor_id for o in offers] == [people["mentor"].id, people["mentor2"].id]
                scheduled_id = await journey.schedule_session("https://meet.example/x", "Web shop")
                await journey.play(after(Update.ACCEPT_PLAN))
                await env.sleep(8 * 30 * 24 * 3600)  # past both follow-up surveys
                assert await journey.wf.handle.result() == Stage.COMPLETED

    with sessions() as session:
        request = session.get(SupportRequest, request_id)
        assert request is not None and request.stage == Stage.COMPLETED
        entry = session.scalar(select(PledgeEntry))
        assert entry is not None
        assert (entry.smes_supported, entry.mentor_hours) == (1, 3.5)
        assert entry.employees_upskilled == 5  # the most present at one session
        # No registry is configured here: the sync ran and left the entry local.
        assert entry.registry_status == "not_configured"
        assert entry.pledge.organisation.name == "Nordvik Cloud"
        open_tasks = session.scalar(select(func.count(Task.id)).where(Task.closed_at.is_(None)))
        assert open_tasks == 0
        kinds = session.scalars(select(Event.kind).order_by(Event.id)).all()
        assert kinds[0] == "submitted" and "pledge_recorded" in kinds
        assert kinds.count("agreement_signed") == 3
        assert kinds.index("agreement_sealed") < kinds.index("session_logged")
        doc = session.scalars(select(Agreement)).one()
        assert doc.status == "sealed" and doc.sealed_pdf is not None
        assert doc.sealed_pdf.startswith(doc.pdf)  # what the signers saw is kept byte for byte
        check = await verify_sealed_async(doc.sealed_pdf, settings.seal_identity().trust_root_pem)
        assert check.sealed_by_platform, check.problem
        signature_page = pdf_text(doc.sealed_pdf)
        assert all(n in signature_page for n in ("Giulia Rossi", "Anna Lindqvist", "Erik Holm"))
        assert doc.sha256 in signature_page.replace(" ", "")
        report = verify_chain(session)
        assert report.intact and report.entries == 5  # issued, signed three times, sealed
        given = completion.feedback_for(session, request_id)
        assert [(f.role, f.status) for f in given] == [("sme", "applied"), ("mentor", "applied")]
        for role, who, title in (
            ("sme", "Panificio Rossi", "Certificat de participation"),  # in the SME's language
            ("mentor", "Anna Lindqvist", "Certificate of participation"),
        ):
            participation = completion.find_certificate(session, entry.mentorship_id, role)
            assert participation is not None and who in pdf_text(participation.pdf)
            assert title in pdf_text(participation.pdf)
        assert kinds[-4:] == ["certificates_issued", "survey_due", "survey_due", "surveys_closed"]
        scheduled = session.get(ScheduledSession, scheduled_id)
        assert scheduled is not None and scheduled.status == "scheduled"
        told = select(Notification.user_id).where(Notification.kind == "session_scheduled")
        assert sorted(session.scalars(told)) == sorted([people["sme"].id, people["mentor"].id])


def test_an_unsigned_agreement_expires_releases_the_mentor_and_matching_starts_again(
    sessions: sessionmaker[Session], people: dict[str, User], tmp_path: Path
) -> None:
    asyncio.run(_expiry(sessions, people, tmp_path))


async def _expiry(sessions: sessionmaker[Session], people: dict[str, User], data_dir: Path) -> None:
    day = 24 * 3600
    settings = Settings(
        data_dir=data_dir,
        task_queue=f"q-{uuid.uuid4().hex}",
        planned_sessions=2,
        durations=Durations(nda_reminder=3 * day, nda_expiry=14 * day),
    )
    request_id = submit(sessions, people["sme"])
    async with time_skipping() as env:
        with ThreadPoolExecutor(8) as pool:
            async with build_worker(env.client, settings, sessions, pool):
                journey = Journey(env.client, sessions, people, request_id)
                await journey.start(settings)
                await journey.play(until(Update.SIGN))  # the SME signs; nobody else does
                expired_id = journey.agreement_id
                await env.sleep(15 * day)
                await journey.wf.wait_for(TaskKind.APPROVE_MATCH, Stage.MATCHING)

    with sessions() as session:
        doc = session.get(Agreement, expired_id)
        assert doc is not None and doc.status == "expired"
        assert doc.mentorship.status == "released" and doc.mentorship.ended_at is not None
        reminded = session.scalars(
            select(Notification.user_id).where(Notification.kind == "nda_reminder")
        ).all()
        # Every three days until day 14, each time to the mentor: the SME had signed already.
        assert reminded == [people["mentor"].id] * 4
        second_round = session.scalars(
            select(MatchOffer.mentor_id).where(MatchOffer.round == 2)
        ).all()
        assert second_round == [people["mentor2"].id]  # Anna is not offered again
        kinds = session.scalars(select(Event.kind).order_by(Event.id)).all()
        assert kinds[-3:] == ["nda_reminder", "agreement_expired", "candidates_proposed"]


def test_an_early_end_keeps_its_reason_and_frees_the_mentor(
    sessions: sessionmaker[Session], people: dict[str, User], tmp_path: Path
) -> None:
    asyncio.run(_early_end(sessions, people, tmp_path))


async def _early_end(
    sessions: sessionmaker[Session], people: dict[str, User], data_dir: Path
) -> None:
    settings = Settings(data_dir=data_dir, task_queue=f"q-{uuid.uuid4().hex}", planned_sessions=2)
    sme = actor(people["sme"])
    request_id = submit(sessions, people["sme"])
    async with time_skipping() as env:
        with ThreadPoolExecutor(8) as pool:
            async with build_worker(env.client, settings, sessions, pool):
                journey = Journey(env.client, sessions, people, request_id)
                await journey.start(settings)
                await journey.play(until(Update.ACCEPT_PLAN))
                wf = journey.wf
                # The Temporal UI filters by stage, the SME's country and the mentor's company.
                shown = (await wf.handle.describe()).typed_search_attributes
                assert shown.get(STAGE_ATTRIBUTE) == Stage.SESSIONS
                assert shown.get(COUNTRY_ATTRIBUTE) == "IT"
                assert shown.get(COMPANY_ATTRIBUTE) == people["mentor"].organisation_id
                # Country and company are told with a stage change, in its upsert.
                told = [
                    set(e.upsert_workflow_search_attributes_event_attributes.search_attributes
                        .indexed_fields)
                    for e in (await wf.handle.fetch_history()).events
                    if e.HasField("upsert_workflow_search_attributes_event_attributes")
                ]  # fmt: skip
                assert {"DigivolStage", "DigivolCountry"} in told, told
                assert {"DigivolStage", "DigivolCompany"} in told, told
                assert all("DigivolStage" in fields for fields in told[1:]), told
                with transaction(sessions) as session:
                    reason = pending_records.write_reason(
                        session,
                        uuid.uuid4().hex,
                        request_id,
                        sme.user_id,
                        "terminate",
                        "We are closing the shop for the winter.",
                    )
                await wf.update(Update.TERMINATE, Decision(sme, reason.id))
                assert await wf.handle.result() == Stage.TERMINATED

    with sessions() as session:
        mentorship = session.get(Mentorship, journey.mentorship_id)
        assert mentorship is not None
        assert mentorship.status == "terminated" and mentorship.ended_at is not None
        request = session.get(SupportRequest, request_id)
        assert request is not None and request.stage == Stage.TERMINATED
        kept = pending_records.reasons_for(session, request_id, ["terminate"])
        assert [r.text for r in kept] == ["We are closing the shop for the winter."]
        assert session.scalar(select(func.count(Task.id)).where(Task.closed_at.is_(None))) == 0
        still_running = select(func.count(Mentorship.id)).where(
            Mentorship.mentor_id == people["mentor"].id, Mentorship.status == "active"
        )
        assert session.scalar(still_running) == 0  # Anna's capacity is free again


def test_a_stalling_mentorship_reminds_both_sides_then_asks_a_coordinator(
    sessions: sessionmaker[Session], people: dict[str, User], tmp_path: Path
) -> None:
    asyncio.run(_stalling(sessions, people, tmp_path))


async def _stalling(
    sessions: sessionmaker[Session], people: dict[str, User], data_dir: Path
) -> None:
    day = 24 * 3600
    settings = Settings(data_dir=data_dir, task_queue=f"q-{uuid.uuid4().hex}", planned_sessions=2)
    request_id = submit(sessions, people["sme"])
    async with time_skipping() as env:
        with ThreadPoolExecutor(8) as pool:
            async with build_worker(env.client, settings, sessions, pool):
                journey = Journey(env.client, sessions, people, request_id)
                await journey.start(settings)
                await journey.play(until(Update.ACCEPT_PLAN))
                wf = journey.wf
                await env.sleep(14 * day + 60)  # nothing on the calendar for two weeks
                await wf.wait_for(stage=Stage.SESSIONS)
                await env.sleep(7 * day + 60)  # and nobody reacts to the reminder
                await wf.wait_for(TaskKind.FOLLOW_UP)

    with sessions() as session:
        reminded = session.scalars(
            select(Notification.user_id).where(Notification.kind == "nudged")
        ).all()
        assert sorted(reminded) == sorted([people["sme"].id, people["mentor"].id])
        follow_up = session.scalars(
            select(Task).where(Task.kind == TaskKind.FOLLOW_UP, Task.closed_at.is_(None))
        ).one()
        assert follow_up.role == "coordinator" and follow_up.request_id == request_id
