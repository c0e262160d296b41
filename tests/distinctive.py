"""A whole mentorship whose people type values distinctive enough to be looked for anywhere
(a workflow history, every column after an erasure): the privacy tests' journey."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import WorkflowEnvironment

from mentorship.config import Settings
from mentorship.rules.stages import Stage, Update
from mentorship.store.models import User
from scripted.journey import INTAKE, Journey, submit
from scripted.script import Feedback, Held, Texts, after, until

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

DISTINCTIVE = Texts(
    typed_names=TYPED_NAMES,
    ip_address=IP_ADDRESS,
    user_agent=USER_AGENT,
    plan_goal=PLAN_GOAL,
    plan_measure=PLAN_MEASURE,
    plan_note=PLAN_NOTE,
    sessions=tuple(
        Held(hours, TOPICS.format(n=n), SKILLS, 3, NEXT_STEPS, date(2026, 11, n))
        for n, hours in ((1, 1.5), (2, 2.0))
    ),
    feedback={role: Feedback(text, achieved=ACHIEVED) for role, text in FEEDBACK.items()},
)

# Everything typed into a form on the way, and the stems of what varies per session, side or
# month, so that a fragment is found too.
TYPED = [
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


async def whole_mentorship(
    env: WorkflowEnvironment,
    settings: Settings,
    sessions: sessionmaker[Session],
    people: dict[str, User],
) -> Journey:
    """Intake to the last follow-up survey, with a session on the calendar: every free text
    first written to the database as a pending record and sent to the workflow by its id."""
    journey = Journey(env.client, sessions, people, submit(sessions, people["sme"]), DISTINCTIVE)
    await journey.start(settings)
    await journey.play(until(Update.ACCEPT_PLAN))
    await journey.schedule_session(MEETING_PLACE, AGENDA)
    await journey.play(after(Update.ACCEPT_PLAN))
    await journey.wf.wait_for(stage=Stage.COMPLETED)
    for months in (3, 6):
        await env.sleep(91 * DAY)
        await journey.answer_survey(months, SURVEY_TEXT.format(months=months))
    assert await journey.wf.handle.result() == Stage.COMPLETED
    return journey
