"""The script played over HTTP through the service's pages, as people in browsers play it:
each waits until their page shows the form of their step, then submits it.

``People`` are the five demo people signed in, one browser each, who may act in many
requests at once (bench.lifecycle runs a hundred); every page they load is timed.
``PageJourney`` is one request's mentorship, from the SME's intake to the pledge entry.
"""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any

from scripted.browser import Browser, Page, followed
from scripted.script import EMAILS, LIFECYCLE, Step, Texts

INTAKE: dict[str, str | list[str]] = {
    "challenge_areas": ["e_commerce"],
    "languages": ["en"],
    "description": "A benchmark need: an online shop for our bakery, with delivery.",
    "format": "remote",
    "employees": "14",
    "turnover_eur": "1800000",
    "balance_sheet_eur": "900000",
}
POLL_SECONDS = 0.5  # how often a waiting person's page asks whether the request moved on
# How long a person waits for their turn before giving up: 200 agreements rendered at once
# by the worker's two render processes keep the last SMEs waiting for minutes on a 2-core
# machine.
WAIT_SECONDS = 600
STEP_KINDS = sorted({step.kind for step in LIFECYCLE})  # each sends a step to a workflow


class People:
    """The script's people, signed in, and how long each page took them."""

    def __init__(self, url: str, **browser: Any) -> None:
        """``browser``: options of each person's Browser (a test CA, a local address)."""
        self.by_role: dict[str, Browser] = {}
        for role, email in EMAILS.items():
            self.by_role[role] = Browser(url, **browser)
            self.by_role[role].login(email)
        # Milliseconds from request to rendered page, by action: the intake, each step (by
        # its kind), "view", the pages people open and reload while waiting for their turn,
        # "check", their pages asking whether the request moved on, and "wait", each wait
        # for a turn.
        self.timings: dict[str, list[float]] = {
            name: [] for name in ("intake", *STEP_KINDS, "view", "check", "wait")
        }
        self.errors: list[str] = []
        self.missed_changes: list[str] = []  # pages whose version never moved, though they did
        self.lock = threading.Lock()

    def timed(self, name: str, began: float, status: int) -> None:
        elapsed = (time.perf_counter() - began) * 1000
        with self.lock:
            self.timings[name].append(elapsed)
            if status >= 400:
                self.errors.append(f"{name}: {status}")

    def wait_for(self, role: str, path: str, pattern: str, seconds: float = WAIT_SECONDS) -> Page:
        """Open ``path`` as ``role`` and wait until it shows ``pattern`` (a regular
        expression), as its script waits (web/static/follow.js): ask the request's version
        every POLL_SECONDS ("check") and reload the page ("view") once it moved on. How long
        the person waited is timed as "wait"."""
        waiting_since = time.perf_counter()
        deadline = time.monotonic() + seconds
        browser = self.by_role[role]
        while True:
            began = time.perf_counter()
            page = browser.get(path)
            self.timed("view", began, page.status)
            if re.search(pattern, page.text):
                self.timed("wait", waiting_since, page.status)
                return page
            url, shown = followed(page.text)
            version = shown
            while version == shown:
                if time.monotonic() > deadline:
                    self._gave_up(browser, role, path, pattern)
                time.sleep(POLL_SECONDS)
                began = time.perf_counter()
                answer = browser.get(url)
                self.timed("check", began, answer.status)
                version = json.loads(answer.text)["version"]

    def _gave_up(self, browser: Browser, role: str, path: str, pattern: str) -> None:
        """A person who waited too long gives up; if the page shows what they waited for
        after all, its version missed a change (a defect), which ``missed_changes`` counts."""
        if re.search(pattern, browser.get(path).text):
            with self.lock:
                self.missed_changes.append(path)
        raise AssertionError(f"{role} never saw {pattern} on {path}")

    def poll(self, role: str, path: str, action: str) -> Page:
        """Wait as ``role`` until ``path`` holds a form posting to an address that ends
        with ``action`` (a regular expression; a final ``$`` says the same)."""
        return self.wait_for(role, path, rf'action="[^"]*{action.removesuffix("$")}"')

    def submit(self, role: str, name: str, page: Page, action: str, **values: Any) -> Page:
        """Submit the form of ``page`` posting to ``action``, timed as ``name``."""
        began = time.perf_counter()
        answer = self.by_role[role].submit(page.form(action), **values)
        self.timed(name, began, answer.status)
        return answer


class PageJourney:
    """One request's mentorship through the pages: the SME's intake, then the script."""

    def __init__(
        self,
        people: People,
        texts: Texts = Texts(),  # noqa: B008  (frozen: one default serves every journey)
    ) -> None:
        self.people, self.texts = people, texts
        self.path = self.agreement = ""  # the request's page, the agreement's
        self.sessions_logged = 0

    def play(self, steps: tuple[Step, ...] = LIFECYCLE) -> None:
        if not self.path:
            self.ask_for_support()
        for step in steps:
            self.take(step)

    def take(self, step: Step) -> Page:
        """Wait for the step's form on the person's page, submit it, and return the page
        the answer shows."""
        return getattr(self, step.kind)(step)  # type: ignore[no-any-return]

    def ask_for_support(self, intake: dict[str, str | list[str]] = INTAKE) -> Page:
        sme = self.people.by_role["sme"]
        form = sme.get("/sme/requests/new").form(r"^$|/sme/requests/new")
        form.action = "/sme/requests/new"
        began = time.perf_counter()
        created = sme.submit(form, **intake)
        self.people.timed("intake", began, created.status)
        found = re.search(r"/requests/(\d+)$", created.url)
        assert found, f"the intake was not accepted: {created.status}"
        self.path = found.group(0)
        return created

    def finished(self) -> Page:
        """Wait until the coordinator's page shows the request completed: the pledge entry
        is recorded."""
        return self.people.wait_for("coordinator", self.path, "stage-completed")

    # The steps of the script, one method each, named as the updates they send.

    def _step(self, step: Step, path: str, action: str, **values: Any) -> Page:
        page = self.people.poll(step.role, path, action)
        return self.people.submit(step.role, step.kind, page, action, **values)

    def approve_intake(self, step: Step) -> Page:
        return self._step(step, self.path, "/intake/approve")

    def approve_match(self, step: Step) -> Page:
        return self._step(step, self.path, "/match/approve")

    def accept_offer(self, step: Step) -> Page:
        return self._step(step, self.path, "/accept")

    def sign(self, step: Step) -> Page:
        if not self.agreement:
            page = self.people.wait_for("sme", self.path, r'href="/agreements/\d+"')
            found = re.search(r'href="(/agreements/\d+)"', page.text)
            assert found, "no agreement link"
            self.agreement = found.group(1)
        typed = self.texts.typed_names[step.role]
        return self._step(step, self.agreement, "/sign", consent="yes", typed_name=typed)

    def propose_plan(self, step: Step) -> Page:
        ends_on = self.texts.plan_ends_on().isoformat()
        return self._step(
            step, self.path, "/plan$", sessions=str(len(self.texts.sessions)),
            hours=f"{self.texts.plan_hours:g}", cadence=self.texts.plan_cadence,
            ends_on=ends_on, goal=[self.texts.plan_goal, ""],
            measure=[self.texts.plan_measure, ""], target_on=[ends_on, ""],
        )  # fmt: skip

    def accept_plan(self, step: Step) -> Page:
        page = self.people.poll(step.role, self.path, "/plan/\\d+/accept")
        return self.people.submit(step.role, step.kind, page, "/accept$")

    def log_session(self, step: Step) -> Page:
        held = self.texts.sessions[self.sessions_logged]
        self.sessions_logged += 1
        return self._step(
            step, self.path, "/sessions$", held_on=held.held_on.isoformat(),
            hours=f"{held.hours:g}", topics=held.topics, skills=held.skills,
            participants=str(held.participants),
        )  # fmt: skip

    def confirm_session(self, step: Step) -> Page:
        return self._step(step, self.path, "/confirm")

    def give_feedback(self, step: Step) -> Page:
        page = self.people.poll(step.role, self.path, "/feedback")
        goal = re.search(r'name="(goal_\d+)"', page.text)
        assert goal, "no goal to rate"
        given = self.texts.feedback[step.role]
        return self.people.submit(
            step.role, step.kind, page, "/feedback", rating=str(given.rating), text=given.text,
            achieved=given.achieved, digital_intensity=list(given.digital_intensity),
            **{goal.group(1): given.goal},
        )  # fmt: skip

    def approve_completion(self, step: Step) -> Page:
        return self._step(step, self.path, "/completion/approve")
