"""A request's pages keep up by themselves: they carry the request's version, their script asks
for it (a few bytes, no page), and it moves whenever what the page shows would."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from mentorship.rules.payloads import StepInput, TaskSpec
from mentorship.rules.stages import Effect, Role, Stage, TaskKind
from mentorship.services import projection
from mentorship.store.models import SignIn, SupportRequest, Task, User, utcnow
from scripted import browser
from scripted.journey import submit
from tests.web.conftest import login


def followed(client: FlaskClient, path: str) -> tuple[str, str]:
    """Where the page's script asks for the request's version, and the version it shows."""
    page = client.get(path).get_data(as_text=True)
    assert "/static/follow.js" in page
    return browser.followed(page)


def current(client: FlaskClient, url: str) -> str:
    answer = client.get(url)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    version: str = answer.get_json()["version"]
    return version


def step(
    sessions: sessionmaker[Session],
    request_id: int,
    key: str,
    stage: Stage = Stage.INTAKE_REVIEW,
    effect: Effect = Effect.ESCALATED,
    tasks: tuple[TaskSpec, ...] = (TaskSpec(TaskKind.REVIEW_INTAKE, Role.COORDINATOR),),
) -> None:
    """A step as the workflow's activity writes it."""
    with sessions.begin() as session:
        projection.apply_step(session, StepInput(key, request_id, stage, effect, list(tasks)))


def test_the_version_moves_with_each_step_and_each_task_and_not_otherwise(
    client: FlaskClient, sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    request_id = submit(sessions, people["sme"])
    login(client, "coordinator@demo.eu")
    url, shown = followed(client, f"/requests/{request_id}")
    assert url == f"/requests/{request_id}/version"
    assert current(client, url) == shown  # nothing happened since
    assert current(client, url) == shown  # and asking changes nothing

    step(sessions, request_id, "k-escalate")  # a step that leaves the same task open
    after_step = current(client, url)
    assert after_step != shown

    with sessions.begin() as session:  # a task closed outside a step (a registry fix)
        task = session.scalars(select(Task).where(Task.request_id == request_id)).one()
        task.closed_at = utcnow()
    after_close = current(client, url)
    assert after_close not in (shown, after_step)

    with sessions.begin() as session:  # the request row itself changed (each step stamps it)
        req = session.get(SupportRequest, request_id)
        assert req is not None
        req.updated_at += timedelta(seconds=1)
    assert current(client, url) not in (shown, after_step, after_close)

    step(sessions, request_id, "k-approve", stage=Stage.MATCHING, effect=Effect.INTAKE_APPROVED,
         tasks=())  # fmt: skip
    assert followed(client, f"/requests/{request_id}")[1] == current(client, url)


def test_only_the_requests_parties_learn_its_version(
    client: FlaskClient, sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    request_id = submit(sessions, people["sme"])
    url = f"/requests/{request_id}/version"
    assert client.get(url).status_code == 302  # not logged in: to the login page
    login(client, "mentor@demo.eu")  # no offer to her yet
    assert client.get(url).status_code == 404
    login(client, "sme@demo.eu")
    assert current(client, url)
    assert client.get("/requests/999999/version").status_code == 404


def test_a_page_asking_by_itself_does_not_keep_its_session_alive(
    client: FlaskClient, sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    request_id = submit(sessions, people["sme"])
    login(client, "sme@demo.eu")
    url, _ = followed(client, f"/requests/{request_id}")
    away_since = utcnow() - timedelta(minutes=20)  # twenty minutes without the person's touch
    with sessions() as session:
        session.execute(update(SignIn).values(seen_at=away_since))
        session.commit()
    answer = client.get(url)  # the tab still asks, and is answered
    assert answer.status_code == 200 and answer.get_json()["version"]
    assert "Set-Cookie" not in answer.headers  # no new cookie: the session did not change
    with sessions() as session:  # but that is not the person being there
        assert session.scalars(select(SignIn.seen_at)).one() == away_since
        session.execute(update(SignIn).values(seen_at=utcnow() - timedelta(minutes=31)))
        session.commit()
    ended = client.get(url)
    assert ended.status_code == 302 and "/login" in ended.headers["Location"]  # the script reloads
