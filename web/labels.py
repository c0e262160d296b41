"""Words people read for the enumerations the process uses."""

from __future__ import annotations

from typing import Any

from flask import Flask

from mentorship.intensity import LEVEL_LABELS
from mentorship.stages import Stage, TaskKind
from mentorship.taxonomy import CHALLENGE_AREAS, LANGUAGES

STAGES = {
    Stage.INTAKE_REVIEW: "Intake review",
    Stage.REJECTED: "Not accepted",
    Stage.MATCHING: "Matching",
    Stage.AWAITING_MENTORS: "Waiting for a mentor",
    Stage.UNMATCHED: "No mentor found",
    Stage.NDA: "Confidentiality agreement",
    Stage.SESSIONS: "Mentoring sessions",
    Stage.PAUSED: "Paused",
    Stage.COMPLETION_REVIEW: "Completion review",
    Stage.PLEDGE: "Recording the pledge",
    Stage.COMPLETED: "Completed",
    Stage.TERMINATED: "Ended early",
}

TASKS = {
    TaskKind.REVIEW_INTAKE: "Review the intake",
    TaskKind.APPROVE_MATCH: "Approve a mentor",
    TaskKind.ANSWER_OFFER: "Accept or decline the mentoring offer",
    TaskKind.SIGN_AGREEMENT: "Sign the confidentiality agreement",
    TaskKind.LOG_SESSION: "Log a mentoring session",
    TaskKind.CONFIRM_SESSION: "Confirm a logged session",
    TaskKind.FOLLOW_UP: "Follow up a stalled mentorship",
    TaskKind.RESOLVE_DISPUTE: "Settle a disputed session",
    TaskKind.GIVE_FEEDBACK: "Give your feedback on the mentorship",
    TaskKind.ANSWER_SURVEY: "Tell us whether the changes lasted",
    TaskKind.APPROVE_COMPLETION: "Approve the completion",
    TaskKind.PROPOSE_PLAN: "Propose the mentoring plan",
    TaskKind.ACCEPT_PLAN: "Accept the proposed mentoring plan",
    TaskKind.FIX_REGISTRY_ENTRY: "The pledge registry refused an entry",
}

EVENTS = {
    "submitted": "Request submitted",
    "intake_approved": "Intake approved",
    "intake_rejected": "Intake rejected",
    "candidates_proposed": "Mentors proposed",
    "conflict_overridden": "Conflict of interest overridden, with a reason",
    "offer_approved": "Mentor approved by the coordinator",
    "offer_accepted": "Mentor accepted",
    "offer_declined": "Mentor declined",
    "mentor_full": "Mentor has no room left for another mentorship",
    "agreement_issued": "Confidentiality agreement issued",
    "agreement_signed": "Agreement signed",
    "agreement_expired": "Agreement expired unsigned",
    "agreement_declined": "Agreement declined by a signer",
    "agreement_voided": "Agreement voided by a coordinator",
    "agreement_sealed": "Agreement sealed by the platform",
    "nda_reminder": "Reminder to sign sent",
    "session_logged": "Session logged",
    "session_confirmed": "Session confirmed",
    "end_early_agreed": "Agreed to end early",
    "completion_approved": "Completion approved",
    "pledge_recorded": "Pledge entry recorded",
    "awaiting_mentors": "Waiting for a mentor to become available",
    "paused": "Mentorship put on hold",
    "resumed": "Mentorship resumed",
    "terminated": "Mentorship ended early",
    "nudged": "Reminder sent: the mentorship is stalling",
    "session_scheduled": "Session scheduled",
    "session_disputed": "Session disputed by the SME",
    "session_refused": "Disputed session turned down by a coordinator",
    "feedback_given": "Feedback given",
    "certificates_issued": "Certificates of participation issued",
    "survey_due": "Follow-up survey sent to the SME",
    "survey_answered": "Follow-up survey answered",
    "surveys_closed": "Follow-up surveys closed",
    "escalated": "Handed to a coordinator to follow up",
    "unmatched": "No mentor found in time",
    "plan_proposed": "Mentoring plan proposed",
    "plan_agreed": "Mentoring plan agreed",
    "plan_extended": "Mentoring plan extended by a coordinator",
    "session_moved": "Session moved",
    "session_cancelled": "Session cancelled",
}

# The parts of a candidate's score (mentorship.matching.components), each from 0 to 1.
MATCH_PARTS = {
    "expertise": "Expertise in the challenge areas",
    "sector": "Has worked in the SME's sector",
    "proximity": "Works in the SME's country or a near time zone",
    "load": "Room for another mentorship (the mentor's and the company's)",
}

ROLES = {
    "coordinator": "Coordinator",
    "sme": "SME representative",
    "mentor": "Mentor",
    "company_admin": "Company admin",
}


def messages(value: Any) -> str:
    """marshmallow's messages for a field as one sentence: lists and per-item dicts flattened."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return " ".join(messages(v) for v in value.values())
    return " ".join(messages(v) for v in value)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["messages"] = messages
    app.jinja_env.filters["stage_label"] = lambda v: STAGES.get(v, v)
    app.jinja_env.filters["task_label"] = lambda v: TASKS.get(v, v)
    app.jinja_env.filters["event_label"] = lambda v: EVENTS.get(v, v)
    app.jinja_env.filters["role_label"] = lambda v: ROLES.get(v, v)
    app.jinja_env.filters["match_part"] = lambda v: MATCH_PARTS.get(v, v)
    app.jinja_env.filters["area_label"] = lambda v: CHALLENGE_AREAS.get(v, v)
    app.jinja_env.filters["language_label"] = lambda v: LANGUAGES.get(v, v)
    app.jinja_env.filters["intensity_level"] = lambda v: LEVEL_LABELS.get(v, v)
