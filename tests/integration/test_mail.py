"""E-mail on every task that needs someone: composed per role, sent through a real SMTP
server (aiosmtpd), once, with a link; refusals and outages recorded, never lost."""

from __future__ import annotations

import asyncio
import functools
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from temporalio.service import RPCError

from digivol.worker import build_worker
from mentorship.config import Settings
from mentorship.rules.stages import TaskKind
from mentorship.services import accounts, mail
from mentorship.services.inbox import ASSIGNED
from mentorship.services.mail import MailConfig
from mentorship.store.db import transaction
from mentorship.store.models import AccountMailAsk, Notification, User, utcnow
from scripted.driver import Driver
from scripted.journey import actor, submit
from scripted.servers import dev_server
from temporal_client.mail import MailWaker, wake_mail
from temporal_client.starts import start_mentorship
from tests.smtp import body, free_port, smtp_server
from workflows.mail_outbox import MAIL_OUTBOX_ID, MAIL_SCHEDULE_ID

BASE = "https://digivol.example.eu"
PROPOSED = "Mentors were proposed: approve one"


def config(smtp_url: str) -> MailConfig:
    return MailConfig(smtp_url, "Digital Volunteers <no-reply@digivol.example.eu>", BASE, "k")


def unsent(sessions: sessionmaker[Session]) -> list[Notification]:
    with sessions() as session:
        return mail.unsent(session, 100)


def both_lead(sessions: sessionmaker[Session], people: dict[str, User]) -> None:
    """Tomás leads too (Claire does in the demo): both are mailed of new inbox tasks."""
    with transaction(sessions) as session:
        session.execute(update(User).where(User.id == people["coordinator2"].id).values(lead=True))


def test_a_new_request_mails_each_lead_coordinator_once_with_a_link_to_it(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    both_lead(sessions, people)
    request_id = submit(sessions, people["sme"])
    with smtp_server() as (inbox, url):
        delivery = mail.deliver(sessions, config(url), limit=100)
        again = mail.deliver(sessions, config(url), limit=100)
    assert (delivery.sent, delivery.failed, delivery.more) == (2, 0, False)
    assert again.sent == 0 and len(inbox.messages) == 2  # sent once, however often it runs
    for key in ("coordinator", "coordinator2"):
        [message] = inbox.to(people[key].email)
        assert message["Subject"] == (
            f"[Digital Volunteers] DV-{request_id}: A new request waits for your review"
        )
        assert people[key].name in str(message["To"])
        assert message["Message-ID"].startswith("<notification-")
        text = body(message)
        assert f"Hello {people[key].name}," in text
        assert f"{BASE}/requests/{request_id}" in text
        assert "you coordinate the Digital Volunteers programme" in text
    with sessions() as session:
        rows = session.scalars(select(Notification)).all()
        assert {(r.channel, r.attempts) for r in rows} == {("smtp", 0)}
        assert all(r.sent_at is not None for r in rows)


def test_a_coordinator_who_does_not_lead_finds_new_tasks_in_the_inbox_not_the_mail(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    submit(sessions, people["sme"])
    with smtp_server() as (inbox, url):
        mail.deliver(sessions, config(url), limit=100)
    assert [m["To"] for m in inbox.messages] == [f"Claire Dubois <{people['coordinator'].email}>"]


def test_without_a_lead_every_coordinator_still_there_is_mailed(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    with transaction(sessions) as session:
        session.execute(update(User).where(User.id == people["coordinator"].id).values(lead=False))
        gone = User(email="gone@x.eu", name="Gone", role="coordinator", password_hash="",
                    erased_at=utcnow())  # fmt: skip
        session.add(gone)
    submit(sessions, people["sme"])
    with smtp_server() as (inbox, url):
        mail.deliver(sessions, config(url), limit=100)
    assert sorted(str(m["To"]) for m in inbox.messages) == [
        f"Claire Dubois <{people['coordinator'].email}>",
        f"Tomás Ferreira <{people['coordinator2'].email}>",
    ]


def test_each_role_reads_its_own_words_and_a_mentor_no_name_of_the_sme(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    request_id = submit(sessions, people["sme"])
    kinds = {
        "sme": TaskKind.SIGN_AGREEMENT,
        "mentor": TaskKind.ANSWER_OFFER,
        "admin": TaskKind.SIGN_AGREEMENT,
    }
    with transaction(sessions) as session:
        for key, kind in kinds.items():
            session.add(Notification(key=f"t-{key}", user_id=people[key].id, request_id=request_id,
                                     kind=kind))  # fmt: skip
    with smtp_server() as (inbox, url):
        mail.deliver(sessions, config(url), limit=100)
    sme_mail = body(inbox.to("sme@demo.eu")[0])
    assert "your request for a mentor" in sme_mail and "waits for your signature" in sme_mail
    mentor_mail = inbox.to("mentor@demo.eu")[0]
    assert "You are proposed as the mentor" in str(mentor_mail["Subject"])
    assert "lends you as a Digital Volunteers mentor" in body(mentor_mail)
    admin_mail = body(inbox.to("admin@demo.eu")[0])
    assert "a mentorship of one of your mentors" in admin_mail
    for message in (mentor_mail, inbox.to("admin@demo.eu")[0]):
        for secret in ("Panificio", "Rossi", "Giulia", "bread"):
            assert secret not in body(message) and secret not in str(message["Subject"])


def test_each_person_reads_their_emails_in_their_language(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    both_lead(sessions, people)
    with transaction(sessions) as session:
        for key, locale in (("coordinator", "fr"), ("coordinator2", "de")):
            session.execute(update(User).where(User.id == people[key].id).values(locale=locale))
    request_id = submit(sessions, people["sme"])
    with smtp_server() as (inbox, url):
        mail.deliver(sessions, config(url), limit=100)
    french = inbox.to("coordinator@demo.eu")[0]
    assert french["Subject"] == (
        f"[Digital Volunteers] DV-{request_id}: Une nouvelle demande attend votre examen"
    )
    assert "Bonjour Claire Dubois," in body(french)
    assert f"Ouvrez la demande : {BASE}/requests/{request_id}" in body(french)
    german = inbox.to("coordinator2@demo.eu")[0]
    assert "Eine neue Anfrage wartet auf Ihre Prüfung" in str(german["Subject"])
    assert "Guten Tag Tomás Ferreira," in body(german)


def test_a_coordinator_handed_a_task_is_told_so_in_their_language(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    request_id = submit(sessions, people["sme"])
    with transaction(sessions) as session:
        session.execute(
            update(User).where(User.id == people["coordinator2"].id).values(locale="de")
        )
        session.add(Notification(key="assigned-1-2", user_id=people["coordinator2"].id,
                                 request_id=request_id, kind=ASSIGNED))  # fmt: skip
    with smtp_server() as (inbox, url):
        mail.deliver(sessions, config(url), limit=100)
    [german] = inbox.to("coordinator2@demo.eu")
    assert german["Subject"] == (
        f"[Digital Volunteers] DV-{request_id}: Eine leitende Koordination hat Ihnen eine "
        "Aufgabe zugewiesen"
    )
    assert f"{BASE}/requests/{request_id}" in body(german)


def test_a_refused_address_keeps_its_error_and_the_others_are_sent(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    both_lead(sessions, people)
    submit(sessions, people["sme"])
    with smtp_server() as (inbox, url):
        inbox.refused.add(people["coordinator2"].email)
        delivery = mail.deliver(sessions, config(url), limit=100)
    assert (delivery.sent, delivery.failed) == (1, 1)
    assert [m["To"] for m in inbox.messages] == [f"Claire Dubois <{people['coordinator'].email}>"]
    [left] = unsent(sessions)
    assert left.user_id == people["coordinator2"].id and left.attempts == 1
    assert left.error is not None and left.error.startswith("refused: 550")
    assert "No such mailbox" in left.error


def test_a_message_that_cannot_be_built_fails_alone_and_the_others_go_out_once(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    """A name with a line break, written before the forms refused one, is in the middle of
    the batch: it cannot become a header, so that message fails with its error, and every
    other message is sent exactly once, however often delivery runs."""
    both_lead(sessions, people)
    poisoned = "Tomás\r\nBcc: attacker@evil.example"
    with transaction(sessions) as session:
        session.execute(
            update(User).where(User.id == people["coordinator2"].id).values(name=poisoned)
        )
    submit(sessions, people["sme"])
    submit(sessions, people["sme"])  # four messages: Claire, Tomás, Claire, Tomás
    with smtp_server() as (inbox, url):
        first = mail.deliver(sessions, config(url), limit=100)
        second = mail.deliver(sessions, config(url), limit=100)
    assert (first.sent, first.failed) == (2, 2)
    assert (second.sent, second.failed) == (0, 2)
    assert [str(m["To"]) for m in inbox.messages] == [
        f"Claire Dubois <{people['coordinator'].email}>"
    ] * 2
    assert all(m["Bcc"] is None for m in inbox.messages)
    left = unsent(sessions)
    assert [r.user_id for r in left] == [people["coordinator2"].id] * 2
    assert all(r.attempts == 2 and (r.error or "").startswith("cannot be built") for r in left)


def test_a_server_that_is_down_sends_nothing_and_the_next_run_sends_everything(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    both_lead(sessions, people)
    submit(sessions, people["sme"])
    port = free_port()
    with pytest.raises(mail.MailUnavailable, match=f"127.0.0.1:{port}"):
        mail.deliver(sessions, config(f"smtp://127.0.0.1:{port}"), limit=100)
    assert [r.attempts for r in unsent(sessions)] == [0, 0]  # an outage is not a refusal
    with smtp_server(port) as (inbox, url):
        assert mail.deliver(sessions, config(url), limit=100).sent == 2
    assert len(inbox.messages) == 2 and unsent(sessions) == []


def test_a_password_is_never_sent_to_a_server_without_starttls(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    both_lead(sessions, people)
    submit(sessions, people["sme"])
    with smtp_server(plain_auth=True) as (inbox, url):
        with_password = url.replace("smtp://", "smtp://mailer:s3cret@")
        with pytest.raises(mail.MailUnavailable, match="does not offer STARTTLS"):
            mail.deliver(sessions, config(with_password), limit=100)
        assert inbox.logins == [] and inbox.messages == []  # no AUTH, nothing sent
        assert [r.attempts for r in unsent(sessions)] == [0, 0]  # kept for a better server
        assert mail.deliver(sessions, config(url), limit=100).sent == 2  # no password: sent
    assert len(inbox.messages) == 2 and inbox.logins == []


def test_without_a_mail_server_messages_go_to_the_outbox(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    both_lead(sessions, people)
    submit(sessions, people["sme"])
    delivery = mail.deliver(sessions, config(""), limit=1)
    assert (delivery.sent, delivery.more) == (1, True)  # a full batch: more may wait
    assert mail.deliver(sessions, config(""), limit=1).sent == 1
    with sessions() as session:
        channels = session.scalars(select(Notification.channel)).all()
    assert channels == ["outbox", "outbox"]


def test_an_asked_for_reset_reaches_the_owner_with_a_working_link_and_nobody_else(
    sessions: sessionmaker[Session], people: dict[str, User]
) -> None:
    with transaction(sessions) as session:  # what two visitors' requests wrote: asks only
        for email in ("sme@demo.eu", "nobody@demo.eu"):
            accounts.request_reset(session, email, utcnow())
    with smtp_server() as (inbox, url):
        delivery = mail.deliver(sessions, config(url), limit=100)
    assert (delivery.sent, delivery.failed, len(inbox.messages)) == (1, 0, 1)
    [message] = inbox.to("sme@demo.eu")
    assert message["Subject"] == "[Digital Volunteers] Set a new password"
    found = re.search(rf"{BASE}/account/reset/(\S+)", body(message))
    assert found is not None
    with sessions() as session:
        token = accounts.open_link(session, "k", accounts.RESET, found.group(1), utcnow())
        assert token.user_id == people["sme"].id
        assert session.scalars(select(AccountMailAsk)).all() == []  # no address kept


def test_a_full_batch_of_asks_says_more_may_wait(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        for email in ("a@x.eu", "b@x.eu"):
            accounts.request_reset(session, email, utcnow())
    runs = [mail.deliver(sessions, config(""), limit=1).more for _ in range(3)]
    assert runs == [True, True, False]  # a batch full of asks may leave more behind


def test_a_bad_smtp_url_is_a_clear_configuration_error() -> None:
    for url, problem in (
        ("http://mail.example.eu", "use smtp://"),
        ("smtp://mail.example.eu:port", "not a number"),
    ):
        with pytest.raises(ValueError, match=problem):
            Settings(smtp_url=url).mail()
    assert mail.parse_smtp_url("smtps://u%40x:p@mail.example.eu") == mail.SmtpTarget(
        "mail.example.eu", 465, True, "u@x", "p"
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_step_that_queues_mail_is_delivered_within_seconds_with_no_schedule(
    sessions: sessionmaker[Session], people: dict[str, User], tmp_path: Path
) -> None:
    """On the dev server, with the worker's parts and no Schedule: the intake approval (the
    step activity proposes mentors and queues the lead's e-mail) wakes the outbox as it
    commits, and the e-mail reaches the SMTP server within seconds, not the safety hour."""
    request_id = submit(sessions, people["sme"])  # queues Claire's e-mail of the new request
    claire = people["coordinator"]
    with smtp_server() as (inbox, url):
        settings = Settings(
            data_dir=tmp_path,
            task_queue=f"q-{uuid.uuid4().hex}",
            smtp_url=url,
            base_url=BASE,
            mail_every_seconds=3600,  # the safety interval: only a wake sends in time
        )

        async def scenario() -> float:
            async with dev_server() as env:
                waker = MailWaker(
                    functools.partial(wake_mail, env.client, settings), asyncio.get_running_loop()
                )
                with ThreadPoolExecutor(8) as pool:
                    async with build_worker(
                        env.client, settings, sessions, pool, wake_mail_outbox=waker
                    ):
                        org_id = people["sme"].organisation_id or 0
                        await start_mentorship(env.client, settings, request_id, org_id, 2)
                        wf = Driver(env.client, request_id)
                        await wf.wait_for(TaskKind.REVIEW_INTAKE)
                        await wf.approve_intake(actor(claire))
                        approved = time.monotonic()
                        while not [m for m in inbox.to(claire.email) if PROPOSED in m["Subject"]]:
                            assert time.monotonic() - approved < 10, "no e-mail in 10 s"
                            await asyncio.sleep(0.02)
                        took = time.monotonic() - approved
                        with pytest.raises(RPCError):  # the step's wake did it, no Schedule
                            await env.client.get_schedule_handle(MAIL_SCHEDULE_ID).describe()
                        outbox = env.client.get_workflow_handle(MAIL_OUTBOX_ID)
                        history = (await outbox.fetch_history()).to_json()
                for secret in (claire.email, claire.name, people["sme"].email, "Panificio"):
                    assert secret not in history  # ids and counts only
                return took

        took = asyncio.run(scenario())
    assert took < 5
    [proposal] = [m for m in inbox.to(claire.email) if PROPOSED in m["Subject"]]
    assert proposal["Subject"] == f"[Digital Volunteers] DV-{request_id}: {PROPOSED}"
    assert f"{BASE}/requests/{request_id}" in body(proposal)
    assert unsent(sessions) == []
