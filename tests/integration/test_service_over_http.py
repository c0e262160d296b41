"""`digivol up` in a temporary data dir: one request from intake to pledge entry over HTTP,
the first as production serves it: HTTPS through the proxy (Caddy, deploy/Caddyfile)."""

from __future__ import annotations

import asyncio
import hashlib
import html
import http.client
import re
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest
from temporalio.client import Client

from mentorship.rules.stages import Update
from scripted.browser import Browser, Page
from scripted.pages import PageJourney, People
from scripted.script import Feedback, Held, Step, Texts, after, until
from tests.pdf import pdf_text
from tests.proxy import CLIENT, Caddy
from tests.service import Service

pytestmark = pytest.mark.slow  # the whole service, or its parts, as processes

DESCRIPTION = "Our bakery wants an online shop for panettone orders from abroad, with delivery."
TOPICS = ["Choosing a shop platform", "Product photos and descriptions"]


def poll(browser: Browser, path: str, needle: str, seconds: float = 30) -> Page:
    """Reload a page until it shows ``needle``: some steps finish just after the redirect."""
    deadline = time.monotonic() + seconds
    while True:
        page = browser.get(path)
        if needle in page.text:
            return page
        assert time.monotonic() < deadline, f"{path} never showed {needle!r}:\n{page.text}"
        time.sleep(0.2)


# What the people type, where the test reads it back later: on pages, in PDFs.
PLAYED = Texts(
    plan_measure="A web shop with 40 products",
    plan_hours=3,
    sessions=tuple(
        Held(1.5, topics, "Product listings, shipping rules", 3, held_on=date(2026, 11, 20))
        for topics in TOPICS
    ),
    feedback={
        "sme": Feedback(
            "Practical help every session.", 4,
            "We sell online and post on social media weekly.", "partly",
            ("website", "social_media", "ecommerce_sales", "online_ads"),
        ),
        "mentor": Feedback(
            "A motivated team, quick to learn.", 5, "The web shop is live with 40 products."
        ),
    },
)  # fmt: skip


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[tuple[Service, Caddy]]:
    """The service as production runs it: behind its proxy over HTTPS, cookies over HTTPS only,
    the web believing the proxy alone about who the client is."""
    service = Service(
        tmp_path / "data",
        DIGIVOL_PLANNED_SESSIONS="2",
        DIGIVOL_TRUSTED_PROXIES="1",
        DIGIVOL_SECURE_COOKIES="1",
    )
    service.start()
    try:
        with Caddy(f"127.0.0.1:{service.web_port}", tmp_path / "caddy") as proxy:
            yield service, proxy
    finally:
        if service.proc is not None:
            service.stop()


def _rows(service: Service, query: str) -> set[str]:
    with closing(sqlite3.connect(service.data_dir / "digivol.sqlite3")) as database:
        return {row[0] for row in database.execute(query)}


def test_a_request_goes_from_intake_to_pledge_entry_over_https_and_survives_a_restart(
    proxied: tuple[Service, Caddy],
) -> None:
    service, proxy = proxied
    url, client = proxy.url, proxy.client()
    people = People(url, **client)
    sme, coordinator, mentor = (people.by_role[r] for r in ("sme", "coordinator", "mentor"))
    journey = PageJourney(people, PLAYED)

    # The proxy: HTTP is sent to HTTPS; /metrics stays inside; the client is who connected to
    # the proxy (127.0.0.2), whatever X-Forwarded-For it sends itself.
    plain = http.client.HTTPConnection("127.0.0.1", proxy.http_port, timeout=10)
    plain.request("GET", "/login")
    assert plain.getresponse().getheader("Location") == "https://127.0.0.1/login"
    stranger = Browser(url, **client)
    assert stranger.get("/metrics").status == 404 and stranger.get("/healthz").status == 200
    form = stranger.get("/login").form("/login")
    spoofed = {"X-Forwarded-For": "203.0.113.66"}
    wrong: dict[str, str | list[str]] = {**form.fields, "email": "x@demo.eu", "password": "no"}
    assert stranger.post("/login", wrong, headers=spoofed).status == 401
    assert _rows(service, "SELECT key FROM login_throttles WHERE key LIKE 'ip:%'") == {
        f"ip:{CLIENT}"
    }

    # The SME asks for support.
    page = journey.ask_for_support(
        {
            "challenge_areas": ["e_commerce", "digital_marketing"],
            "languages": ["it", "en"],
            "description": DESCRIPTION,
            "format": "remote",
            "employees": "14",
            "turnover_eur": "1800000",
            "balance_sheet_eur": "900000",
        }
    )
    assert page.status == 200 and "Request #" in page.text
    path = journey.path
    request_id = path.removeprefix("/requests/")
    poll(sme, path, "Review the intake")

    # The coordinator approves the intake, then the proposed mentor.
    page = coordinator.get("/inbox")
    assert "Review the intake" in page.text and "Panificio Rossi" in page.text
    page = journey.take(Step(Update.APPROVE_INTAKE, "coordinator"))
    assert "Intake approved" in page.text
    page = poll(coordinator, path, "Approve this mentor")
    proposals, why_not = page.text.split("Why other mentors were not proposed")
    assert "Anna Lindqvist" in proposals and "Marta Nowak" not in proposals
    assert "Conflict of interest" in why_not and "Marta Nowak" in why_not
    journey.take(Step(Update.APPROVE_MATCH, "coordinator"))

    # Stopped mid-way, started again: everything resumes where it was.
    assert service.stop() == 0
    service.start()
    for browser in (sme, coordinator, mentor):
        assert "Log out" in browser.get(path).text  # sessions survive too

    # The mentor accepts; all three sign the agreement they see, with its hash.
    page = poll(mentor, path, "Accept this mentorship")
    assert DESCRIPTION not in page.text  # confidential until the agreement is signed
    # A summary only: no name of the SME or of its people yet.
    assert "Panificio" not in page.text and "Giulia" not in page.text
    assert "An SME in IT" in page.text and "E-commerce" in page.text
    journey.take(Step(Update.ACCEPT_OFFER, "mentor"))
    page = poll(sme, path, "Read and sign")
    assert "Sign the confidentiality agreement" in sme.get("/sme/requests").text
    agreement_path = re.search(r'href="(/agreements/\d+)"', page.text)
    assert agreement_path
    doc = agreement_path.group(1)
    assert "/sign" not in str(mentor.get(doc).forms())  # the SME signs first
    assert mentor.get(doc + ".pdf").status == 200  # but the mentor may read it already
    for step in until(Update.SIGN, 3)[-3:]:  # Nordvik Cloud's admin countersigns, last
        browser = people.by_role[step.role]
        page = browser.get(doc)
        form = page.form("/sign")
        assert form.fields["sha256_seen"] in page.text
        assert form.fields["consent_version"] in page.text and "my signature" in page.text
        pdf = browser.get(doc + ".pdf")
        assert pdf.status == 200 and pdf.content_type == "application/pdf"
        assert "Anna Lindqvist" in pdf_text(pdf.body)
        assert "panettone" not in pdf_text(pdf.body)  # the SME's details wait for signatures
        assert (
            pdf.body.startswith(b"%PDF")
            and hashlib.sha256(pdf.body).hexdigest() == (form.fields["sha256_seen"])
        )
        page = journey.take(step)
        assert "Signed" in page.text, page.text

    # Each signature's evidence holds the client's address, not the proxy's.
    assert _rows(service, "SELECT ip_address FROM signatures") == {CLIENT}

    # Sealed: the parties and coordinators download it; it verifies; a changed copy does not.
    page = poll(sme, doc, "Download the sealed agreement")
    sealed = sme.get(doc + "/sealed.pdf")
    assert sealed.status == 200 and sealed.body.startswith(pdf.body)
    assert "Erik Holm" in pdf_text(sealed.body)  # the signature certificate page
    assert coordinator.get(doc + "/sealed.pdf").status == 200
    outsider = Browser(url, **client)
    outsider.login("mentor3@demo.eu")
    assert outsider.get(doc + "/sealed.pdf").status == 404  # not theirs: as if it did not exist
    assert outsider.get(doc + ".pdf").status == 404
    public = Browser(url, **client)
    verify = public.get("/verify").form("/verify")
    page = public.upload("/verify", verify.fields, "document", sealed.body)
    assert "Genuine" in page.text
    assert "Panificio Rossi" in page.text and "Nordvik Cloud" in page.text
    assert "Giulia" not in page.text and "Anna" not in page.text  # organisations only
    forged = bytearray(sealed.body)
    forged[len(forged) // 3] ^= 0x01
    page = public.upload("/verify", verify.fields, "document", bytes(forged))
    assert "Not verified" in page.text and "Genuine" not in page.text

    page = poll(mentor, path, "Propose the plan")
    assert DESCRIPTION in page.text and "Panificio Rossi" in page.text  # once signed

    # The mentor proposes the mentoring plan; the SME accepts it. A goal without its
    # measurable result is refused first.
    ends_on = PLAYED.plan_ends_on().isoformat()
    partial = mentor.submit(
        page.form("/plan$"), sessions="2", hours="3", cadence="fortnightly", ends_on=ends_on,
        goal=["Sell online", ""], measure=["", ""], target_on=[ends_on, ""],
    )  # fmt: skip
    assert partial.status == 422 and "Goal 1: name the goal" in partial.text
    page = journey.take(Step(Update.PROPOSE_PLAN, "mentor"))
    assert "Plan proposed" in page.text
    page = poll(sme, path, "Accept this plan")
    assert "A web shop with 40 products" in page.text
    page = journey.take(Step(Update.ACCEPT_PLAN, "sme"))
    assert "The plan is agreed" in page.text
    poll(mentor, path, "Log a session")

    # Two sessions, each logged by the mentor and confirmed by the SME.
    for step in after(Update.ACCEPT_PLAN)[:4]:
        page = journey.take(step)
        assert ("Session logged" if step.kind == Update.LOG_SESSION else "Session confirmed") in (
            page.text
        )

    # Both sides give feedback; the SME assesses its digital intensity again.
    page = poll(mentor, path, "Send feedback")
    assert re.search(r'name="(goal_\d+)"', page.text)  # the plan's goal, to say how far
    short = mentor.submit(page.form("/feedback"), rating="5", text="ok", achieved="ok")
    assert short.status == 422 and "Write 10 to 3000 characters" in short.text
    for step in until(Update.GIVE_FEEDBACK, 2)[-2:]:
        journey.take(step)
    page = poll(coordinator, path, "another coordinator approves its completion")
    assert "/completion/approve" not in page.text  # four eyes: not who approved the match
    page = poll(people.by_role["reviewer"], path, "Approve completion")
    assert "The web shop is live" in page.text and "We sell online" in page.text
    assert "Sell online: <strong>Partly achieved</strong>" in page.text
    journey.take(Step(Update.APPROVE_COMPLETION, "reviewer"))
    page = poll(sme, path, "Certificate of participation")
    assert "Digital intensity at completion" in page.text and "4/12" in page.text
    certificate = sme.get(f"{path}/certificates/sme.pdf")
    assert certificate.status == 200 and "Panificio Rossi" in pdf_text(certificate.body)
    assert "4/12 at completion" in pdf_text(certificate.body)
    assert sme.get(f"{path}/certificates/mentor.pdf").status == 403  # the other side's
    mentors = mentor.get(f"{path}/certificates/mentor.pdf")
    assert mentors.status == 200 and "Anna Lindqvist" in pdf_text(mentors.body)
    poll(coordinator, path, "Completed")
    page = Browser(url, **client).get("/pledges")
    assert 'aria-label="Mentor hours: 3 of 100"' in page.text  # against the company's target
    pledge = re.search(r'href="(/pledges/\d+)">Digital Volunteers: Nordvik Cloud<', page.text)
    assert pledge is not None
    assert f"DV-{request_id}" in Browser(url, **client).get(pledge.group(1)).text

    history = asyncio.run(_history_text(service, f"mentorship-{request_id}"))
    for personal in (
        "Giulia",
        "Lindqvist",
        "sme@demo.eu",
        "panettone",
        "shop platform",
        "Panificio",
        "127.0.0.1",
        CLIENT,
    ):
        assert personal not in history
    assert "approve_intake" in history  # the history is really there


async def _history_text(service: Service, workflow_id: str) -> str:
    client = await Client.connect(f"127.0.0.1:{service.temporal_port}")
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return history.to_json()


def test_a_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "digivol",
                "up",
                "--data-dir",
                str(tmp_path),
                "--port",
                str(port),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "Traceback" not in result.stderr


def _link(browser: Browser, email: str, subject: str, seconds: float = 30) -> str:
    """The link in the e-mail, once the worker's outbox run has delivered it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        page = browser.get("/dev/mail")
        for article in html.unescape(page.text).split("<article")[1:]:
            if subject in article and email in article and "delivered to the outbox" in article:
                match = re.search(r"http://127\.0\.0\.1:\d+(/account/[\w/.-]+)", article)
                assert match, article
                return match.group(1)
        time.sleep(0.2)
    raise AssertionError(f"no delivered e-mail '{subject}' to {email}")


def test_a_company_registers_confirms_by_email_and_invites_a_mentor_over_http(
    service: Service,
) -> None:
    password = "Fjord-lanterns-glow-77"
    admin = Browser(service.url)
    page = admin.submit(
        admin.get("/register").form("/register"),
        kind="company",
        organisation="Lisboa Systems",
        country="PT",
        nace="J62",
        employees="800",
        turnover_eur="90000000",
        balance_sheet_eur="60000000",
        name="Rui Almeida",
        email="rui@lisboa-systems.example.pt",
        password=password,
        confirm=password,
        privacy="true",
    )
    assert page.status == 200 and "Check your inbox" in page.text
    link = _link(admin, "rui@lisboa-systems.example.pt", "Confirm your e-mail address")
    page = admin.submit(admin.get(link).form("/account/verify/"))
    assert "Your e-mail address is confirmed" in page.text
    admin.login("rui@lisboa-systems.example.pt", password)
    # A pledger once confirmed: its pledge is a draft of its own until it submits it.
    assert "Lisboa Systems" not in admin.get("/pledges").text
    pledge = admin.get("/company/pledge")
    assert "Digital Volunteers: Lisboa Systems" in pledge.text
    admin.submit(pledge.form("/company/pledge/submit"))
    assert "Lisboa Systems" in admin.get("/pledges").text

    page = admin.submit(
        admin.get("/invitations").form("/invitations"),
        name="Marta Sousa",
        email="marta@lisboa-systems.example.pt",
        role="mentor",
    )
    assert "Invitation sent" in page.text
    mentor = Browser(service.url)
    link = _link(mentor, "marta@lisboa-systems.example.pt", "You are invited")
    page = mentor.submit(
        mentor.get(link).form("/account/invitation/"),
        password=password,
        confirm=password,
        expertise=["cloud", "e_commerce"],
        languages=["pt", "en"],
        capacity="2",
    )
    assert "Log in with your new password" in page.text
    page = mentor.login("marta@lisboa-systems.example.pt", password)
    assert "Marta Sousa" in page.text
