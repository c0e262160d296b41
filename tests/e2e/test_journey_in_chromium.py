"""A person clicks one request from intake to a recorded pledge entry, in real Chromium."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from tests.e2e.audit import Audit
from tests.service import Service

pytestmark = pytest.mark.slow  # the whole service, or its parts, as processes

CHROMIUM = "/usr/bin/chromium"  # Debian's package; Playwright never downloads a browser here
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def audit() -> Audit:
    return Audit()


def person(browser: Browser, service: Service, email: str, audit: Audit | None = None) -> Page:
    # The page's CSP forbids inline scripts; axe is injected as one, by the test only.
    page = browser.new_context(base_url=service.url, bypass_csp=True).new_page()
    page.set_default_timeout(20_000)
    page.goto("/login")
    if audit is not None:
        audit.check(page, "login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("digivol-demo")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    return page


def wait_for_pdf_viewer(page: Page) -> None:
    """Let the inline PDF load first: while its viewer starts, it can swallow a click."""
    for _ in range(100):
        if any(frame.url.endswith(".pdf") for frame in page.frames):
            page.wait_for_timeout(200)
            return
        page.wait_for_timeout(100)
    raise AssertionError("the agreement's PDF never loaded in the page")


def reload_until(page: Page, text: str, seconds: float = 30) -> None:
    """Reload until ``text`` shows: the workflow finishes some steps just after a redirect."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            page.goto(page.url)
            expect(page.get_by_text(text).first).to_be_visible(timeout=1_000)
            return
        except (AssertionError, PlaywrightError):
            # Not there yet, or the page's own refresh raced our reload: try again.
            if time.monotonic() > deadline:
                raise


def test_a_request_is_taken_from_intake_to_a_pledge_entry_by_clicking(
    chromium: Browser, service: Service, audit: Audit
) -> None:
    sme = person(chromium, service, "sme@demo.eu", audit)
    audit.check(sme, "sme requests")
    sme.get_by_role("link", name="Ask for support").first.click()
    audit.check(sme, "sme intake form")
    sme.get_by_label("E-commerce").check()
    sme.get_by_role("checkbox", name="Italian").check()
    sme.get_by_label("Confidentiality agreement language").select_option("it")
    sme.get_by_label("Describe the challenge").fill("We want to sell our panettone online.")
    sme.get_by_role("button", name="Submit request").click()
    expect(sme.get_by_text("Your request was submitted.")).to_be_visible()
    audit.check(sme, "sme request submitted")
    request_url = sme.url

    coordinator = person(chromium, service, "coordinator@demo.eu")
    audit.check(coordinator, "coordinator inbox")
    coordinator.get_by_role("link", name="Review the intake").first.click()
    audit.check(coordinator, "coordinator intake review")
    coordinator.get_by_role("button", name="Approve intake").click()
    expect(coordinator.get_by_text("Intake approved: matching has started.")).to_be_visible()
    reload_until(coordinator, "Proposed mentors")
    audit.check(coordinator, "coordinator match approval")
    coordinator.get_by_role("button", name="Approve this mentor").first.click()
    expect(coordinator.get_by_text("Match approved")).to_be_visible()
    # The SME keeps the request open from now on: nobody reloads it (static/follow.js does).
    sme.goto(request_url)

    mentor = person(chromium, service, "mentor@demo.eu")
    audit.check(mentor, "mentor home")
    mentor.get_by_role("link", name="Accept or decline the mentoring offer").click()
    audit.check(mentor, "mentor offer")
    mentor.get_by_role("button", name="Accept this mentorship").click()
    expect(mentor.get_by_text("Thank you for accepting.")).to_be_visible()

    read_and_sign = "Read and sign the confidentiality agreement"
    expect(sme.get_by_role("link", name=read_and_sign)).to_be_visible(timeout=60_000)
    admin = person(chromium, service, "admin@demo.eu")  # Nordvik Cloud countersigns
    signers = ((sme, "Giulia Rossi"), (mentor, "Anna Lindqvist"), (admin, "Erik Holm"))
    for page, name in signers:
        if page is admin:  # she opened it before the mentor signed: it told her of the change
            expect(admin.get_by_text("This request has changed since the page was shown.")
                   ).to_be_visible(timeout=60_000)  # fmt: skip
            audit.check(admin, "agreement changed meanwhile")
            admin.get_by_role("link", name="Show the latest").click()
        else:
            if page is mentor:
                mentor.goto(request_url)
                reload_until(mentor, read_and_sign)
            page.get_by_role("link", name=read_and_sign).click()
        expect(page.locator("iframe.pdf")).to_be_visible()
        wait_for_pdf_viewer(page)
        audit.check(page, f"agreement signing by {name}")
        consent = page.get_by_label("I have read this confidentiality agreement")
        # The keyboard, not the mouse: while Chromium's PDF viewer starts it can swallow the
        # first click on the page, which would make this test flaky, not wrong.
        consent.focus()
        page.keyboard.press("Space")
        expect(consent).to_be_checked()
        page.get_by_role("textbox", name="Full name").fill(name)
        page.get_by_role("button", name="Sign the agreement").click()
        expect(page.get_by_text("Signed. Thank you.")).to_be_visible()
        if page is sme:  # the admin opens the agreement, waiting for her turn
            agreement_url = sme.get_by_role("link", name="DV-").first.get_attribute("href")
            admin.goto(agreement_url or "")
            expect(admin.get_by_role("button", name="Sign the agreement")).to_have_count(0)

    # Sealed once everyone signed: the SME downloads the sealed PDF.
    sme.goto(request_url)
    sme.get_by_role("link", name="DV-").click()
    reload_until(sme, "Download the sealed agreement")
    audit.check(sme, "sealed agreement")
    with sme.expect_download() as download:
        sme.get_by_role("link", name="Download the sealed agreement (PDF)").click()
    assert download.value.suggested_filename.endswith("-sealed.pdf")

    # The mentor proposes the plan: two sessions, one goal; the SME accepts it.
    mentor.goto(request_url)
    reload_until(mentor, "Propose the plan")
    audit.check(mentor, "mentor plan proposal")
    ends_on = (date.today() + timedelta(days=90)).isoformat()
    mentor.get_by_label("Sessions", exact=True).fill("2")
    mentor.get_by_label("Ends on").fill(ends_on)
    mentor.get_by_label("Goal 1", exact=True).fill("Sell online")
    mentor.get_by_label("Measurable result").first.fill("A web shop with 40 products")
    mentor.get_by_label("Target date").first.fill(ends_on)
    mentor.get_by_role("button", name="Propose", exact=True).click()
    expect(mentor.get_by_text("Plan proposed.")).to_be_visible()
    sme.goto(request_url)
    reload_until(sme, "Accept this plan")
    sme.get_by_role("button", name="Accept this plan").click()
    expect(sme.get_by_text("The plan is agreed and in force.")).to_be_visible()

    for topics in ("Shop platform", "Product photos"):
        mentor.goto(request_url)
        reload_until(mentor, "Log a session")
        audit.check(mentor, f"mentor session log {topics}")
        mentor.get_by_label("Date", exact=True).fill("2026-11-20")
        mentor.get_by_label("Hours", exact=True).fill("2")
        mentor.get_by_label("Topics", exact=True).fill(topics)
        mentor.get_by_label("Skills transferred").fill("Writing product pages")
        mentor.get_by_role("button", name="Log session").click()
        expect(mentor.get_by_text("Session logged; the SME will be asked")).to_be_visible()
        sme.goto(request_url)
        sme.get_by_role("button", name="Confirm", exact=True).click()
        expect(sme.get_by_text("Session confirmed. Thank you.")).to_be_visible()

    for page, text in ((mentor, "Patient and clear."), (sme, "Our shop is online now.")):
        page.goto(request_url)
        reload_until(page, "Your feedback on the mentorship")
        audit.check(page, f"feedback {text}")
        page.get_by_label("How was it?").fill(text)
        page.get_by_label("Achieved", exact=True).check()
        page.get_by_label("What was achieved, in your words").fill("A working web shop.")
        page.get_by_role("button", name="Send feedback").click()
        expect(page.get_by_text("Thank you for your feedback.")).to_be_visible()

    # Four eyes: a second coordinator approves the completion of the match the first approved.
    reviewer = person(chromium, service, "coordinator2@demo.eu")
    reviewer.goto(request_url)
    reload_until(reviewer, "Approve completion")
    audit.check(reviewer, "completion approval")
    reviewer.get_by_role("button", name="Approve completion and record the pledge entry").click()
    reload_until(reviewer, "Pledge entry recorded")

    coordinator.get_by_role("link", name="Pledges").click()
    audit.check(coordinator, "pledges")
    row = coordinator.get_by_role("row", name="Digital Volunteers: Nordvik Cloud")
    expect(row).to_contain_text("4 / 100")  # mentor hours against the target
    for path, name in (("/dashboard", "dashboard"), ("/account", "account"),
                       (request_url, "completed request")):  # fmt: skip
        coordinator.goto(path)
        audit.check(coordinator, name)

    # An EU public service meets WCAG 2.1 AA: no serious or critical finding on any page.
    assert audit.pages >= 20
    assert audit.violations == [], "\n".join(audit.violations)
