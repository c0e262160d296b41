"""One mentorship as a script: who takes which step, in which order, typing what.

The script is data. Each way of playing it takes its steps in its own medium: the workflow's
updates after the records a person's form writes (``scripted.journey``), or the forms of the
pages over HTTP (``scripted.pages``). Tests and benchmarks play the same script, and a test
checks what it needs between steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from mentorship.rules.stages import Update


@dataclass(frozen=True)
class Step:
    """One step a person takes: ``kind`` is the workflow update it sends."""

    kind: Update
    role: str  # sme, coordinator, reviewer (a second coordinator), mentor, admin


LIFECYCLE: tuple[Step, ...] = (
    Step(Update.APPROVE_INTAKE, "coordinator"),
    Step(Update.APPROVE_MATCH, "coordinator"),
    Step(Update.ACCEPT_OFFER, "mentor"),
    # Nordvik Cloud, the demo mentors' company, countersigns after the SME and the mentor.
    Step(Update.SIGN, "sme"),
    Step(Update.SIGN, "mentor"),
    Step(Update.SIGN, "admin"),
    Step(Update.PROPOSE_PLAN, "mentor"),
    Step(Update.ACCEPT_PLAN, "sme"),
    Step(Update.LOG_SESSION, "mentor"),
    Step(Update.CONFIRM_SESSION, "sme"),
    Step(Update.LOG_SESSION, "mentor"),
    Step(Update.CONFIRM_SESSION, "sme"),
    Step(Update.GIVE_FEEDBACK, "sme"),
    Step(Update.GIVE_FEEDBACK, "mentor"),
    # Four eyes: another coordinator than the one who approved the match.
    Step(Update.APPROVE_COMPLETION, "reviewer"),
)


def until(kind: Update, occurrence: int = 1) -> tuple[Step, ...]:
    """The script up to and including the ``occurrence``-th step of ``kind``."""
    seen = 0
    for i, step in enumerate(LIFECYCLE):
        seen += step.kind == kind
        if seen == occurrence:
            return LIFECYCLE[: i + 1]
    raise ValueError(f"the script has no {occurrence} step(s) of {kind}")


def after(kind: Update, occurrence: int = 1) -> tuple[Step, ...]:
    """The rest of the script after ``until(kind, occurrence)``."""
    return LIFECYCLE[len(until(kind, occurrence)) :]


EMAILS = {
    "sme": "sme@demo.eu",
    "coordinator": "coordinator@demo.eu",
    "reviewer": "coordinator2@demo.eu",
    "mentor": "mentor@demo.eu",
    "admin": "admin@demo.eu",
}


@dataclass(frozen=True)
class Held:
    """A mentoring session as the mentor logs it once held."""

    hours: float = 1.5
    topics: str = "Shop setup"
    skills: str = "Product listings"
    participants: int = 3
    next_steps: str = ""
    held_on: date = date(2026, 11, 1)


@dataclass(frozen=True)
class Feedback:
    """One side's feedback at the end of the mentorship."""

    text: str
    rating: int = 5
    achieved: str = "The web shop is live."
    goal: str = "achieved"  # how far the plan's goal was reached: achieved, partly, not
    digital_intensity: tuple[str, ...] = ()  # the SME's self-assessment, asked again


@dataclass(frozen=True)
class Texts:
    """What the people type on the way, by default the demo people's words; a test that
    looks for typed words elsewhere (a workflow history, say) gives its own."""

    typed_names: dict[str, str] = field(
        default_factory=lambda: {
            "sme": "Giulia Rossi",
            "mentor": "Anna Lindqvist",
            "admin": "Erik Holm",
        }
    )
    ip_address: str = "127.0.0.1"
    user_agent: str = "t"
    plan_goal: str = "Sell online"
    plan_measure: str = "10 web orders a month"
    plan_note: str = ""
    plan_hours: float = 4.0
    plan_cadence: str = "fortnightly"
    sessions: tuple[Held, ...] = (Held(1.5), Held(2.0))
    feedback: dict[str, Feedback] = field(
        default_factory=lambda: {
            "sme": Feedback("Useful sessions, every time."),
            "mentor": Feedback("A motivated team, quick to learn."),
        }
    )

    def plan_ends_on(self) -> date:
        return date.today() + timedelta(days=120)
