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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client, WorkflowHistory

from digivol.demo import ORGANISATIONS
from digivol.worker import build_worker
from mentorship.config import Settings
from mentorship.store.models import User
from scripted.journey import Journey
from tests.distinctive import TYPED, whole_mentorship
from tests.temporal import time_skipping


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


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_no_personal_data_or_free_text_reaches_any_workflow_history(
    sessions: sessionmaker[Session], people: dict[str, User], tmp_path: Path
) -> None:
    histories, journey = asyncio.run(_journey_and_histories(sessions, people, tmp_path))

    parent = f"mentorship-{journey.request_id}"
    assert parent in histories
    children = [wid for wid in histories if wid != parent]
    assert children and all(wid.startswith("pledge-entry-") for wid in children), children

    # The scan is not vacuous: the decoded payloads hold the ids the journey sent.
    sent, ids = _ints_by_key(histories[parent].decoded), journey.records
    assert journey.request_id in sent["request_id"]
    assert set(ids.signature_ids) <= sent["signature_id"] and len(ids.signature_ids) == 3
    assert ids.plan_id in sent["plan_id"]
    assert set(ids.scheduled_ids) <= sent["scheduled_id"] and len(ids.scheduled_ids) == 1
    assert set(ids.session_log_ids) <= sent["session_log_id"] and len(ids.session_log_ids) == 2
    assert set(ids.feedback_ids) <= sent["feedback_id"] and len(ids.feedback_ids) == 2
    assert set(ids.survey_answer_ids) <= sent["answer_id"] and len(ids.survey_answer_ids) == 2
    assert journey.sha256_seen and histories[parent].places(journey.sha256_seen)  # strings too
    for wid in children:
        entry_id = int(wid.removeprefix("pledge-entry-"))
        assert entry_id in _ints_by_key(histories[wid].decoded)["entry_id"]

    # And none of the personal values is anywhere in any history.
    wanted = [*TYPED, *_owned(people)]
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
) -> tuple[dict[str, Scanned], Journey]:
    settings = Settings(data_dir=data_dir, task_queue=f"q-{uuid.uuid4().hex}", planned_sessions=2)
    async with time_skipping() as env:
        with ThreadPoolExecutor(8) as pool:
            async with build_worker(env.client, settings, sessions, pool):
                journey = await whole_mentorship(env, settings, sessions, people)
                histories = await _histories(env.client, f"mentorship-{journey.request_id}")
    return histories, journey


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
