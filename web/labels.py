"""Words people read for the enumerations the process uses."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import get_locale, gettext

from mentorship.i18n import N_
from mentorship.rules.intensity import LEVEL_LABELS
from mentorship.rules.stages import Stage, TaskKind
from mentorship.rules.taxonomy import CHALLENGE_AREAS, LANGUAGES

STAGES = {
    Stage.INTAKE_REVIEW: N_("Intake review"),
    Stage.REJECTED: N_("Not accepted"),
    Stage.MATCHING: N_("Matching"),
    Stage.AWAITING_MENTORS: N_("Waiting for a mentor"),
    Stage.UNMATCHED: N_("No mentor found"),
    Stage.NDA: N_("Confidentiality agreement"),
    Stage.SESSIONS: N_("Mentoring sessions"),
    Stage.PAUSED: N_("Paused"),
    Stage.COMPLETION_REVIEW: N_("Completion review"),
    Stage.PLEDGE: N_("Recording the pledge"),
    Stage.COMPLETED: N_("Completed"),
    Stage.TERMINATED: N_("Ended early"),
}

TASKS = {
    TaskKind.REVIEW_INTAKE: N_("Review the intake"),
    TaskKind.APPROVE_MATCH: N_("Approve a mentor"),
    TaskKind.ANSWER_OFFER: N_("Accept or decline the mentoring offer"),
    TaskKind.SIGN_AGREEMENT: N_("Sign the confidentiality agreement"),
    TaskKind.LOG_SESSION: N_("Log a mentoring session"),
    TaskKind.CONFIRM_SESSION: N_("Confirm a logged session"),
    TaskKind.FOLLOW_UP: N_("Follow up a stalled mentorship"),
    TaskKind.RESOLVE_DISPUTE: N_("Settle a disputed session"),
    TaskKind.GIVE_FEEDBACK: N_("Give your feedback on the mentorship"),
    TaskKind.ANSWER_SURVEY: N_("Tell us whether the changes lasted"),
    TaskKind.APPROVE_COMPLETION: N_("Approve the completion"),
    TaskKind.PROPOSE_PLAN: N_("Propose the mentoring plan"),
    TaskKind.ACCEPT_PLAN: N_("Accept the proposed mentoring plan"),
    TaskKind.FIX_REGISTRY_ENTRY: N_("The pledge registry refused an entry"),
}

EVENTS = {
    "submitted": N_("Request submitted"),
    "intake_approved": N_("Intake approved"),
    "intake_rejected": N_("Intake rejected"),
    "candidates_proposed": N_("Mentors proposed"),
    "conflict_overridden": N_("Conflict of interest overridden, with a reason"),
    "offer_approved": N_("Mentor approved by the coordinator"),
    "offer_accepted": N_("Mentor accepted"),
    "offer_declined": N_("Mentor declined"),
    "mentor_full": N_("Mentor has no room left for another mentorship"),
    "agreement_issued": N_("Confidentiality agreement issued"),
    "agreement_signed": N_("Agreement signed"),
    "agreement_expired": N_("Agreement expired unsigned"),
    "agreement_declined": N_("Agreement declined by a signer"),
    "agreement_voided": N_("Agreement voided by a coordinator"),
    "agreement_sealed": N_("Agreement sealed by the platform"),
    "nda_reminder": N_("Reminder to sign sent"),
    "session_logged": N_("Session logged"),
    "session_confirmed": N_("Session confirmed"),
    "end_early_agreed": N_("Agreed to end early"),
    "completion_approved": N_("Completion approved"),
    "pledge_recorded": N_("Pledge entry recorded"),
    "awaiting_mentors": N_("Waiting for a mentor to become available"),
    "paused": N_("Mentorship put on hold"),
    "resumed": N_("Mentorship resumed"),
    "terminated": N_("Mentorship ended early"),
    "nudged": N_("Reminder sent: the mentorship is stalling"),
    "session_scheduled": N_("Session scheduled"),
    "session_disputed": N_("Session disputed by the SME"),
    "session_refused": N_("Disputed session turned down by a coordinator"),
    "feedback_given": N_("Feedback given"),
    "certificates_issued": N_("Certificates of participation issued"),
    "survey_due": N_("Follow-up survey sent to the SME"),
    "survey_answered": N_("Follow-up survey answered"),
    "surveys_closed": N_("Follow-up surveys closed"),
    "escalated": N_("Handed to a coordinator to follow up"),
    "unmatched": N_("No mentor found in time"),
    "plan_proposed": N_("Mentoring plan proposed"),
    "plan_agreed": N_("Mentoring plan agreed"),
    "plan_extended": N_("Mentoring plan extended by a coordinator"),
    "session_moved": N_("Session moved"),
    "session_cancelled": N_("Session cancelled"),
}

# The parts of a candidate's score (mentorship.rules.matching.components), each from 0 to 1.
MATCH_PARTS = {
    "expertise": N_("Expertise in the challenge areas"),
    "sector": N_("Has worked in the SME's sector"),
    "proximity": N_("Works in the SME's country or a near time zone"),
    "load": N_("Room for another mentorship (the mentor's and the company's)"),
}

ROLES = {
    "coordinator": N_("Coordinator"),
    "sme": N_("SME representative"),
    "mentor": N_("Mentor"),
    "company_admin": N_("Company admin"),
}


# The status of a row (mentorship, agreement, offer, session log, plan, pledge, report) as
# shown in a table: one word each, whatever the table.
STATUSES = {
    "pending": N_("pending"),
    "active": N_("active"),
    "released": N_("released"),
    "completed": N_("completed"),
    "terminated": N_("ended early"),
    "draft": N_("draft"),
    "submitted": N_("submitted"),
    "approved": N_("approved"),
    "proposed": N_("proposed"),
    "accepted": N_("accepted"),
    "declined": N_("declined"),
    "withdrawn": N_("withdrawn"),
    "logged": N_("logged"),
    "confirmed": N_("confirmed"),
    "refused": N_("refused"),
    "disputed": N_("disputed"),
    "signed": N_("signed"),
    "sealed": N_("sealed"),
    "voided": N_("voided"),
    "expired": N_("expired"),
    "agreed": N_("agreed"),
    "superseded": N_("superseded"),
    "replaced": N_("replaced"),
    "scheduled": N_("scheduled"),
    "moved": N_("moved"),
    "cancelled": N_("cancelled"),
    "not_sent": N_("not sent"),
    "sent": N_("sent"),
    "retrying": N_("retrying"),
    "failed": N_("failed"),
}


def messages(value: Any) -> str:
    """marshmallow's messages for a field as one sentence in the reader's language: lists and
    per-item dicts flattened."""
    if isinstance(value, str):
        return gettext(value)
    if isinstance(value, dict):
        return " ".join(messages(v) for v in value.values())
    return " ".join(messages(v) for v in value)


def _label(words: dict[Any, str]) -> Any:
    """A filter: the code's words in the reader's language; an unknown code as it is."""
    return lambda value: gettext(words[value]) if value in words else value


def language_name(code: str) -> str:
    """A language's name in the reader's language, from the CLDR data Babel carries."""
    locale = get_locale()
    name = locale.languages.get(code) if locale is not None else None
    return name or LANGUAGES.get(code, code)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["messages"] = messages
    # Catalog text that comes from Python as it is (a criterion, a check's verdict): unlike
    # _() in a template, no %-formatting, so "1% of our turnover" stays as written.
    app.jinja_env.filters["catalog"] = lambda text: gettext(text)
    app.jinja_env.filters["stage_label"] = _label(STAGES)
    app.jinja_env.filters["task_label"] = _label(TASKS)
    app.jinja_env.filters["event_label"] = _label(EVENTS)
    app.jinja_env.filters["role_label"] = _label(ROLES)
    app.jinja_env.filters["status_label"] = _label(STATUSES)
    app.jinja_env.filters["match_part"] = _label(MATCH_PARTS)
    app.jinja_env.filters["area_label"] = _label(CHALLENGE_AREAS)
    app.jinja_env.filters["language_label"] = language_name
    app.jinja_env.filters["intensity_level"] = _label(LEVEL_LABELS)
