"""The script played in real Chromium (Debian's, driven by Playwright): each person signs in
in a browser context of their own and clicks through the service's pages, finding every
control by its accessible name, and sees each step's outcome told on the page.

``ChromiumPeople`` are the demo people, signed in on first use; ``ChromiumJourney`` is one
request's mentorship, from the SME's intake to the pledge entry. ``look`` is called with
every page a person sees before acting on it (tests/e2e audits each one).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from mentorship.rules.stages import Update
from mentorship.services.plans import GOAL_RESULTS
from scripted.script import EMAILS, LIFECYCLE, Step, Texts, until

CHROMIUM = "/usr/bin/chromium"  # Debian's package; Playwright never downloads a browser here
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
READ_AND_SIGN = "Read and sign the confidentiality agreement"
Look = Callable[[Page, str], object]
Shown = Callable[[Page], Locator]


@contextmanager
def chromium() -> Iterator[Browser]:
    """Headless Chromium, closed afterwards."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _nothing(page: Page, name: str) -> None:
    return None


def reload_until(
    page: Page, shown: str | Shown, seconds: float = 30, url: str | None = None
) -> None:
    """Open ``url`` (or reload the page) until it shows ``shown``, a text or a control: the
    workflow finishes some steps just after a redirect. A navigation that the page's own
    reload (static/follow.js) interrupts is tried again too."""
    find = shown if callable(shown) else lambda page: page.get_by_text(shown).first
    deadline = time.monotonic() + seconds
    while True:
        try:
            page.goto(url or page.url)
            expect(find(page)).to_be_visible(timeout=1_000)
            return
        except (AssertionError, PlaywrightError):
            # Not there yet, or the page's own refresh raced our reload: try again.
            if time.monotonic() > deadline:
                raise


def wait_for_pdf_viewer(page: Page) -> None:
    """Let the inline PDF load first: while its viewer starts, it can swallow a click."""
    for _ in range(100):
        if any(frame.url.endswith(".pdf") for frame in page.frames):
            page.wait_for_timeout(200)
            return
        page.wait_for_timeout(100)
    raise AssertionError("the agreement's PDF never loaded in the page")


class ChromiumPeople:
    """The script's people (``scripted.script.EMAILS``), each signed in on first use in a
    browser context of their own, and where signing in took them."""

    def __init__(self, browser: Browser, base_url: str, look: Look = _nothing) -> None:
        self.browser, self.base_url, self.look = browser, base_url, look
        self.pages: dict[str, Page] = {}
        self.homes: dict[str, str] = {}

    def page(self, role: str) -> Page:
        if role not in self.pages:
            self.pages[role] = self._signed_in(role)
        return self.pages[role]

    def _signed_in(self, role: str) -> Page:
        # The page's CSP forbids inline scripts; a test may inject one (axe), so it is bypassed.
        context = self.browser.new_context(base_url=self.base_url, bypass_csp=True)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto("/login")
        if not self.pages:
            self.look(page, "login")
        page.get_by_label("E-mail").fill(EMAILS[role])
        page.get_by_label("Password").fill("digivol-demo")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        self.homes[role] = page.url
        return page


class ChromiumJourney:
    """One request's mentorship clicked through the pages: the SME's intake, then the script,
    from where it stands to a step a test names (``play_to``), so a test can look between
    steps."""

    def __init__(
        self,
        people: ChromiumPeople,
        texts: Texts = Texts(),  # noqa: B008  (frozen: one default serves every journey)
    ) -> None:
        self.people, self.texts, self.look = people, texts, people.look
        self.request_url = self.agreement_url = ""
        self.taken = 0  # steps of the script taken
        self.sessions_logged = 0

    def play_to(self, kind: Update | None = None, occurrence: int = 1) -> None:
        """Take the script's steps from where it stands up to and including its
        ``occurrence``-th step of ``kind``; to the end without a kind."""
        end = len(until(kind, occurrence)) if kind else len(LIFECYCLE)
        while self.taken < end:
            self.take(LIFECYCLE[self.taken])
            self.taken += 1

    def take(self, step: Step) -> None:
        getattr(self, step.kind)(step)

    def ask_for_support(
        self,
        description: str = "We want to sell our bakery's bread online.",
        language: str = "English",
        agreement_language: str = "en",
    ) -> None:
        sme = self.people.page("sme")
        self.look(sme, "sme requests")
        sme.get_by_role("link", name="Ask for support").first.click()
        self.look(sme, "sme intake form")
        sme.get_by_label("E-commerce").check()
        sme.get_by_role("checkbox", name=language).check()
        sme.get_by_label("Confidentiality agreement language").select_option(agreement_language)
        sme.get_by_label("Describe the challenge").fill(description)
        sme.get_by_role("button", name="Submit request").click()
        expect(sme.get_by_text("Your request was submitted.")).to_be_visible()
        self.look(sme, "sme request submitted")
        self.request_url = sme.url

    def _request(self, role: str, shows: str | Shown, name: str) -> Page:
        """The person's page of the request once it shows ``shows``, looked at as ``name``."""
        page = self.people.page(role)
        reload_until(page, shows, url=self.request_url)
        self.look(page, name)
        return page

    # The steps of the script, one method each, named as the updates they send.

    def approve_intake(self, step: Step) -> None:
        page = self.people.page(step.role)
        page.goto(self.people.homes[step.role])
        self.look(page, "coordinator inbox")
        path = self.request_url.removeprefix(self.people.base_url)
        page.locator(f'a[href$="{path}"]', has_text="Review the intake").first.click()
        self.look(page, "coordinator intake review")
        page.get_by_role("button", name="Approve intake").click()
        expect(page.get_by_text("Intake approved: matching has started.")).to_be_visible()

    def approve_match(self, step: Step) -> None:
        page = self._request(step.role, "Proposed mentors", "coordinator match approval")
        page.get_by_role("button", name="Approve this mentor").first.click()
        expect(page.get_by_text("Match approved")).to_be_visible()

    def accept_offer(self, step: Step) -> None:
        page = self.people.page(step.role)
        page.goto(self.people.homes[step.role])
        self.look(page, "mentor home")
        page.get_by_role("link", name="Accept or decline the mentoring offer").click()
        self.look(page, "mentor offer")
        page.get_by_role("button", name="Accept this mentorship").click()
        expect(page.get_by_text("Thank you for accepting.")).to_be_visible()

    def sign(self, step: Step) -> None:
        """Sign from the request's link; a signer already on the agreement with its button
        shown (the test brought them there) signs where they are."""
        page = self.people.page(step.role)
        if not page.get_by_role("button", name="Sign the agreement").is_visible():
            page = self._request(step.role, READ_AND_SIGN, f"{step.role} request to sign")
            page.get_by_role("link", name=READ_AND_SIGN).click()
        expect(page.locator("iframe.pdf")).to_be_visible()
        wait_for_pdf_viewer(page)
        self.agreement_url = self.agreement_url or page.url
        typed = self.texts.typed_names[step.role]
        self.look(page, f"agreement signing by {typed}")
        consent = page.get_by_label("I have read this confidentiality agreement")
        # The keyboard, not the mouse: while Chromium's PDF viewer starts it can swallow the
        # first click on the page, which would make a test flaky, not wrong.
        consent.focus()
        page.keyboard.press("Space")
        expect(consent).to_be_checked()
        page.get_by_role("textbox", name="Full name").fill(typed)
        page.get_by_role("button", name="Sign the agreement").click()
        expect(page.get_by_text("Signed. Thank you.")).to_be_visible()

    def propose_plan(self, step: Step) -> None:
        page = self._request(step.role, "Propose the plan", "mentor plan proposal")
        ends_on = self.texts.plan_ends_on().isoformat()
        page.get_by_label("Sessions", exact=True).fill(str(len(self.texts.sessions)))
        page.get_by_label("Ends on").fill(ends_on)
        page.get_by_label("Goal 1", exact=True).fill(self.texts.plan_goal)
        page.get_by_label("Measurable result").first.fill(self.texts.plan_measure)
        page.get_by_label("Target date").first.fill(ends_on)
        page.get_by_role("button", name="Propose", exact=True).click()
        expect(page.get_by_text("Plan proposed.")).to_be_visible()

    def accept_plan(self, step: Step) -> None:
        page = self._request(step.role, "Accept this plan", "sme plan acceptance")
        page.get_by_role("button", name="Accept this plan").click()
        expect(page.get_by_text("The plan is agreed and in force.")).to_be_visible()

    def log_session(self, step: Step) -> None:
        held = self.texts.sessions[self.sessions_logged]
        self.sessions_logged += 1
        page = self._request(step.role, "Log a session", f"mentor session log {held.topics}")
        page.get_by_label("Date", exact=True).fill(held.held_on.isoformat())
        page.get_by_label("Hours", exact=True).fill(f"{held.hours:g}")
        page.get_by_label("Topics", exact=True).fill(held.topics)
        page.get_by_label("Skills transferred").fill(held.skills)
        page.get_by_role("button", name="Log session").click()
        expect(page.get_by_text("Session logged; the SME will be asked")).to_be_visible()

    def confirm_session(self, step: Step) -> None:
        def confirm(page: Page) -> Locator:
            return page.get_by_role("button", name="Confirm", exact=True)

        page = self._request(step.role, confirm, "sme session confirmation")
        confirm(page).click()
        expect(page.get_by_text("Session confirmed. Thank you.")).to_be_visible()

    def give_feedback(self, step: Step) -> None:
        given = self.texts.feedback[step.role]
        page = self._request(step.role, "Your feedback on the mentorship", f"{step.role} feedback")
        page.get_by_label("How was it?").fill(given.text)
        page.get_by_label(GOAL_RESULTS[given.goal], exact=True).check()
        page.get_by_label("What was achieved, in your words").fill(given.achieved)
        page.get_by_role("button", name="Send feedback").click()
        expect(page.get_by_text("Thank you for your feedback.")).to_be_visible()

    def approve_completion(self, step: Step) -> None:
        page = self._request(step.role, "Approve completion", "completion approval")
        page.get_by_role("button", name="Approve completion and record the pledge entry").click()
        reload_until(page, "Pledge entry recorded")
