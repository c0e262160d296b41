"""A person clicks one request from intake to a recorded pledge entry, in real Chromium: the
shared script (scripted.script) in its browser medium (scripted.chromium), with what only a
browser shows checked between steps, and every page audited."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date

import pyotp
import pytest
from playwright.sync_api import Browser, expect

from mentorship.rules.stages import Update
from scripted.chromium import (
    READ_AND_SIGN,
    ChromiumJourney,
    ChromiumPeople,
    chromium,
    reload_until,
)
from scripted.script import EMAILS, Feedback, Held, Texts
from tests.e2e.audit import Audit
from tests.service import Service

pytestmark = pytest.mark.slow  # the whole service, or its parts, as processes

# Two sessions of two hours: four hours against the pledge's target of a hundred.
TEXTS = Texts(
    sessions=(
        Held(2.0, "Shop platform", "Writing product pages", held_on=date(2026, 11, 20)),
        Held(2.0, "Product photos", "Writing product pages", held_on=date(2026, 11, 20)),
    ),
    feedback={
        "sme": Feedback("Our shop is online now.", achieved="A working web shop."),
        "mentor": Feedback("Patient and clear.", achieved="A working web shop."),
    },
)


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


def test_a_request_is_taken_from_intake_to_a_pledge_entry_by_clicking(
    browser: Browser, service: Service
) -> None:
    audit = Audit()
    people = ChromiumPeople(browser, service.url, look=audit.check)
    journey = ChromiumJourney(people, TEXTS)
    journey.ask_for_support("We want to sell our panettone online.", "Italian", "it")
    journey.play_to(Update.APPROVE_MATCH)

    # The SME keeps the request open from now on: nobody reloads it (static/follow.js does).
    sme = people.page("sme")
    sme.goto(journey.request_url)
    journey.play_to(Update.ACCEPT_OFFER)
    expect(sme.get_by_role("link", name=READ_AND_SIGN)).to_be_visible(timeout=60_000)
    journey.play_to(Update.SIGN, 1)

    # Nordvik Cloud's admin opens the agreement before her turn: no button to sign yet.
    admin = people.page("admin")
    admin.goto(journey.agreement_url)
    expect(admin.get_by_role("button", name="Sign the agreement")).to_have_count(0)
    journey.play_to(Update.SIGN, 2)  # the mentor signs; the admin's open page is told
    expect(admin.get_by_text("This request has changed since the page was shown.")).to_be_visible(
        timeout=60_000
    )
    audit.check(admin, "agreement changed meanwhile")
    admin.get_by_role("link", name="Show the latest").click()
    journey.play_to(Update.SIGN, 3)  # she countersigns on the page she has

    # Sealed once everyone signed: the SME downloads the sealed PDF.
    sme.goto(journey.agreement_url)
    reload_until(sme, "Download the sealed agreement")
    audit.check(sme, "sealed agreement")
    with sme.expect_download() as download:
        sme.get_by_role("link", name="Download the sealed agreement (PDF)").click()
    assert download.value.suggested_filename.endswith("-sealed.pdf")

    # The plan, both sessions logged and confirmed, both sides' feedback, and the completion
    # approved by a second coordinator (four eyes) record the pledge entry.
    journey.play_to()

    coordinator = people.page("coordinator")
    coordinator.get_by_role("link", name="Pledges").click()
    audit.check(coordinator, "pledges")
    row = coordinator.get_by_role("row", name="Digital Volunteers: Nordvik Cloud")
    expect(row).to_contain_text("4 / 100")  # mentor hours against the target
    for path, name in (("/dashboard", "dashboard"), ("/account", "account"),
                       (journey.request_url, "completed request")):  # fmt: skip
        coordinator.goto(path)
        audit.check(coordinator, name)

    # The coordinator turns on two-step login (the QR code, the recovery codes) and signs in
    # with a code from her app.
    coordinator.goto("/account")
    coordinator.get_by_role("button", name="Set up two-step login").click()
    expect(coordinator.locator("figure.qr svg")).to_be_visible()
    audit.check(coordinator, "two-step enrolment")
    secret = coordinator.locator("code.totp-key").inner_text()
    coordinator.get_by_label("Code from your app").fill(pyotp.TOTP(secret).now())
    coordinator.get_by_role("button", name="Turn two-step login on").click()
    expect(coordinator.get_by_role("region", name="Recovery codes").locator("li")).to_have_count(10)
    audit.check(coordinator, "recovery codes")
    coordinator.get_by_role("button", name="Log out").click()
    coordinator.get_by_label("E-mail").fill(EMAILS["coordinator"])
    coordinator.get_by_label("Password").fill("digivol-demo")
    coordinator.get_by_role("button", name="Log in").click()
    audit.check(coordinator, "login code")
    next_code = pyotp.TOTP(secret).at(time.time() + 30)  # the one that turned it on is spent
    coordinator.get_by_label("Code from your authenticator app").fill(next_code)
    coordinator.get_by_role("button", name="Log in").click()
    expect(coordinator.get_by_role("button", name="Log out")).to_be_visible()

    # An EU public service meets WCAG 2.1 AA: no serious or critical finding on any page.
    assert audit.pages >= 20
    assert audit.violations == [], "\n".join(audit.violations)
