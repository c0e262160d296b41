"""Workflow histories carry ids only: one whole mentorship, run with its real activities,
leaves no personal data or free text in its history nor in the histories of its children.

Every personal value the people of the journey type or own (signature names, IP address and
user agent, plan goals, session places, agendas and topics, feedback, survey answers, the
demo people's names and e-mail addresses, the SME's name, address and request description)
is looked for in the JSON of each history and in every payload, decoded from base64.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client, WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from digivol.demo import ORGANISATIONS
from digivol.worker import build_worker
from mentorship import completion, plans, services, signing
from mentorship.config import Settings
from mentorship.db import transaction
from mentorship.models import Agreement, Mentorship, ScheduledSession, User
from mentorship.stages import RankInput, Stage, TaskKind
from tests.driver import Driver
from tests.factories import INTAKE, actor, submit
from tests.temporal import time_skipping
from workflows.starter import start_mentorship

DAY = 24 * 3600

# What each signer types as their name, distinct from their account's name.
TYPED_NAMES = {
    "sme": "Zorya Quellington-Marsh",
    "mentor": "Bartholomew Ystradgynlais",
    "admin": "Xiomara Pfefferkorn-Vale",
}
IP_ADDRESS = "203.0.113.177"
USER_AGENT = "Mozilla/5.0 (X11; Linux) Zorya-Kestrel-Browser/42.7"
PLAN_GOAL = "Gooseberry-Harbour-Goal: sell sourdough to hotels"
PLAN_MEASURE = "Tangerine-Ledger-Measure of 25 orders"
PLAN_NOTE = "Velvet-Abacus-Note about the baker's schedule"
MEETING_PLACE = "https://meet.example/Heliotrope-Room-Link"
AGENDA = "Cobalt-Walrus-Agenda: the web shop's first products"
TOPICS = "Quokka-Lantern-Topic number {n}"
SKILLS = "Saffron-Kettle-Skills in product photography"
NEXT_STEPS = "Juniper-Mosaic-Next: photograph the focaccia"
FEEDBACK = {
    "sme": "Marzipan-Orbit-Feedback from the bakery <b>thanks</b>",
    "mentor": "Marzipan-Orbit-Feedback from the mentor & more",
}
ACHIEVED = "Obsidian-Tulip-Achieved: the shop is online"
SURVEY_TEXT = "Pistachio-Comet-Survey: orders doubled after {months} months"


def _free_text() -> list[str]:
    """Everything typed into a form on the way."""
    return [
        *TYPED_NAMES.values(),
        IP_ADDRESS,
        USER_AGENT,
        PLAN_GOAL,
        PLAN_MEASURE,
        PLAN_NOTE,
        MEETING_PLACE,
        AGENDA,
        *(TOPICS.format(n=n) for n in (1, 2)),
        "Quokka-Lantern-Topic",
        SKILLS,
        NEXT_STEPS,
        *FEEDBACK.values(),
        "Marzipan-Orbit-Feedback",
        ACHIEVED,
        *(SURVEY_TEXT.format(months=m) for m in (3, 6)),
        "Pistachio-Comet-Survey",
        INTAKE.description,
    ]


def _owned(people: dict[str, User]) -> list[str]:
    """The demo people's names and e-mail addresses, and what identifies the SME."""
    sme = ORGANISATIONS["Panificio Rossi"]
    return [
        *(u.name for u in people.values()),
        *(u.email for u in people.values()),
        "Panificio Rossi",
        str(sme["address"]),
        str(sme["registration_number"]),
    ]


@dataclass
class Ids:
    """The ids the journey sends to the workflow: the scan must find these."""

    request_id: int = 0
    sha256_seen: str = ""  # the agreement's fingerprint, a string the signers send
    signature_ids: list[int] = field(default_factory=list)
    plan_id: int = 0
    scheduled_id: int = 0
    session_log_ids: list[int] = field(default_factory=list)
    feedback_ids: list[int] = field(default_factory=list)
    survey_answer_ids: list[int] = field(default_factory=list)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_no_personal_data_or_free_text_reaches_any_workflow_history(
    sessions: sessionmaker[Session], people: dict[str, User], tmp_path: Path
) -> None:
    histories, ids = asyncio.run(_journey_and_histories(sessions, people, tmp_path))

    parent = f"mentorship-{ids.request_id}"
    assert parent in histories
    children = [wid for wid in histories if wid != parent]
    assert children and all(wid.startswith("pledge-entry-") for wid in children), children

    # The scan is not vacuous: the decoded payloads hold the ids the journey sent.
    sent = _ints_by_key(histories[parent].decoded)
    assert ids.request_id in sent["request_id"]
    assert set(ids.signature_ids) <= sent["signature_id"] and len(ids.signature_ids) == 3
    assert ids.plan_id in sent["plan_id"]
    assert ids.scheduled_id in sent["scheduled_id"]
    assert set(ids.session_log_ids) <= sent["session_log_id"] and len(ids.session_log_ids) == 2
    assert set(ids.feedback_ids) <= sent["feedback_id"] and len(ids.feedback_ids) == 2
    assert set(ids.survey_answer_ids) <= sent["answer_id"] and len(ids.survey_answer_ids) == 2
    assert ids.sha256_seen and histories[parent].places(ids.sha256_seen)  # strings are found
    for wid in children:
        entry_id = int(wid.removeprefix("pledge-entry-"))
        assert entry_id in _ints_by_key(histories[wid].decoded)["entry_id"]

    # And none of the personal values is anywhere in any history.
    wanted = [*_free_text(), *_owned(people)]
    found = [
        f"{value!r} in {wid}: {where}"
        for wid, scanned in histories.items()
        for value in wanted
        for where in scanned.places(value)
    ]
    # PRIVACY ASSERTION: a failure here is personal data in a Temporal history (fix the
    # source, not this test); the message names the value, the history and the event.
    assert not found, "personal data in workflow history:\n" + "\n".join(found)


@dataclass
class Scanned:
    """One history as JSON text, and each payload in it decoded, with the event it is in."""

    raw: str
    decoded: list[tuple[str, str]]  # (event id and type, the payload's text)

    def places(self, value: str) -> list[str]:
        needle = value.casefold()
        where = [f"{event}: {text[:300]}" for event, text in self.decoded if needle in text]
        if not where and needle in self.raw:
            where.append("the history's JSON outside any payload")
        return where


async def _journey_and_histories(
    sessions: sessionmaker[Session], people: dict[str, User], data_dir: Path
) -> tuple[dict[str, Scanned], Ids]:
    settings = Settings(data_dir=data_dir, task_queue=f"q-{uuid.uuid4().hex}", planned_sessions=2)
    async with time_skipping() as env:
        with ThreadPoolExecutor(8) as pool:
            async with build_worker(env.client, settings, sessions, pool):
                ids = await _journey(env, settings, sessions, people)
                histories = await _histories(env.client, f"mentorship-{ids.request_id}")
    return histories, ids


async def _journey(
    env: WorkflowEnvironment,
    settings: Settings,
    sessions: sessionmaker[Session],
    people: dict[str, User],
) -> Ids:
    """Intake to the last follow-up survey, each free text first written to the database as
    a pending record and sent to the workflow by its id."""
    sme, mentor = actor(people["sme"]), actor(people["mentor"])
    coordinator, reviewer = actor(people["coordinator"]), actor(people["coordinator2"])
    ids = Ids(request_id=submit(sessions, people["sme"]))
    await start_mentorship(
        env.client, settings, ids.request_id, people["sme"].organisation_id or 0, 2
    )
    wf = Driver(env.client, ids.request_id)

    await wf.approve_intake(coordinator)
    await wf.wait_for(TaskKind.APPROVE_MATCH)
    with sessions() as session:
        offers = services.rank_candidates(session, RankInput(ids.request_id, 1, []))
    await wf.approve_match(offers[0].offer_id, coordinator)
    await wf.accept(mentor, offers[0].offer_id)

    status = await wf.wait_for(TaskKind.SIGN_AGREEMENT)
    for key, typed in TYPED_NAMES.items():
        with transaction(sessions) as session:
            doc = session.get(Agreement, status.agreement_id)
            assert doc is not None
            sig = signing.write_signature(
                session,
                uuid.uuid4().hex,
                doc,
                session.merge(people[key]),
                typed,
                doc.sha256,
                IP_ADDRESS,
                USER_AGENT,
            )
        ids.signature_ids.append(sig.id)
        ids.sha256_seen = doc.sha256
        await wf.sign(actor(people[key]), sig.id, doc.id, doc.sha256)

    status = await wf.wait_for(TaskKind.PROPOSE_PLAN, Stage.SESSIONS)
    mentorship_id = status.mentorship_id or 0
    ends_on = date.today() + timedelta(days=120)
    draft = plans.PlanDraft(
        2,
        4.0,
        "fortnightly",
        ends_on,
        [plans.GoalDraft(PLAN_GOAL, PLAN_MEASURE, ends_on)],
        note=PLAN_NOTE,
    )
    with transaction(sessions) as session:
        mentorship = session.get(Mentorship, mentorship_id)
        assert mentorship is not None
        plan = plans.write_plan(
            session, uuid.uuid4().hex, mentorship, session.merge(people["mentor"]), draft
        )
    ids.plan_id = plan.id
    await wf.propose_plan(mentor, plan.id, 2, ends_on.isoformat())
    await wf.accept_plan(sme, plan.id)

    await wf.wait_for(TaskKind.LOG_SESSION, Stage.SESSIONS)
    starts_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0) + timedelta(7)
    with transaction(sessions) as session:
        row = services.write_once(
            session,
            ScheduledSession,
            uuid.uuid4().hex,
            mentorship_id=mentorship_id,
            scheduled_by=people["mentor"].id,
            starts_at=starts_at,
            minutes=60,
            format="remote",
            place=MEETING_PLACE,
            agenda=AGENDA,
        )
    ids.scheduled_id = row.id
    await wf.schedule(mentor, row.id, starts_at.isoformat())

    for n, hours in ((1, 1.5), (2, 2.0)):
        with transaction(sessions) as session:
            log = services.write_session_log(
                session,
                uuid.uuid4().hex,
                mentorship_id,
                session.merge(people["mentor"]),
                date(2026, 11, n),
                hours,
                TOPICS.format(n=n),
                skills=SKILLS,
                participants=3,
                next_steps=NEXT_STEPS,
            )
        ids.session_log_ids.append(log.id)
        await wf.log_session(mentor, log.id)
        await wf.confirm_session(sme, log.id)

    await wf.wait_for(TaskKind.GIVE_FEEDBACK, Stage.COMPLETION_REVIEW)
    for key, author in (("sme", sme), ("mentor", mentor)):
        with transaction(sessions) as session:
            feedback = completion.write_feedback(
                session,
                uuid.uuid4().hex,
                ids.request_id,
                session.merge(people[key]),
                5,
                FEEDBACK[key],
                ACHIEVED,
            )
        ids.feedback_ids.append(feedback.id)
        await wf.give_feedback(author, feedback.id)

    await wf.wait_for(TaskKind.APPROVE_COMPLETION)
    await wf.approve_completion(reviewer)  # four eyes: not the coordinator of the match
    await wf.wait_for(stage=Stage.COMPLETED)

    for months in (3, 6):
        await env.sleep(91 * DAY)
        await wf.wait_for(TaskKind.ANSWER_SURVEY)
        with transaction(sessions) as session:
            answer = completion.write_survey_answer(
                session,
                uuid.uuid4().hex,
                ids.request_id,
                session.merge(people["sme"]),
                months,
                "yes",
                SURVEY_TEXT.format(months=months),
            )
        ids.survey_answer_ids.append(answer.id)
        await wf.answer_survey(sme, answer.id, months)
    assert await wf.handle.result() == Stage.COMPLETED
    return ids


async def _histories(client: Client, root: str) -> dict[str, Scanned]:
    """The history of ``root`` and of every child workflow it started, at any depth."""
    found: dict[str, Scanned] = {}
    todo = [root]
    while todo:
        wid = todo.pop()
        if wid in found:
            continue
        handle = client.get_workflow_handle(wid)
        if wid != root:  # a child left running on its own: let it finish first
            await asyncio.wait_for(handle.result(), timeout=60)
        history = await handle.fetch_history()
        found[wid] = _scan(history)
        todo.extend(_children(history))
    return found


def _children(history: WorkflowHistory) -> list[str]:
    return [
        e.start_child_workflow_execution_initiated_event_attributes.workflow_id
        for e in history.events
        if e.HasField("start_child_workflow_execution_initiated_event_attributes")
    ]


def _scan(history: WorkflowHistory) -> Scanned:
    data = json.loads(history.to_json())
    decoded: list[tuple[str, str]] = []
    for event in data["events"]:
        label = f"event {event.get('eventId')} {event.get('eventType')}"
        decoded.extend((label, text) for text in _payload_texts(event))
    # Re-dumped without escapes, so that "Tomás" is found as typed.
    raw = json.dumps(data, ensure_ascii=False).casefold()
    return Scanned(raw, decoded)


def _payload_texts(node: Any) -> Iterator[str]:
    """The decoded, case-folded text of every payload (a dict with metadata and data) in
    ``node``; JSON payloads are re-dumped without escapes."""
    if isinstance(node, dict):
        if isinstance(node.get("metadata"), dict) and "data" in node:
            text = base64.b64decode(node["data"]).decode("utf-8", errors="replace")
            with contextlib.suppress(ValueError):  # not JSON: scanned as it is
                text = json.dumps(json.loads(text), ensure_ascii=False)
            yield text.casefold()
        for value in node.values():
            yield from _payload_texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from _payload_texts(value)


def _ints_by_key(decoded: list[tuple[str, str]]) -> dict[str, set[int]]:
    """Every integer in the decoded JSON payloads, by the key it is under."""
    out: dict[str, set[int]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, int) and not isinstance(value, bool):
                    out.setdefault(key, set()).add(value)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for _, text in decoded:
        try:
            walk(json.loads(text))
        except ValueError:
            continue
    return out
