"""the kind of subject an event or a task refers to, next to its id

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-08

One integer ``subject_id`` stood for an offer, a round, a mentor, an agreement, a signature, a
session log, a scheduled session, a plan, a feedback, a survey answer or month, or a pledge
entry, depending on the row's kind (issue 28). Existing rows get the kind their event's effect
or their task's kind carries: frozen copies of mentorship.rules.subjects' tables as they stand
at this revision.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENT_SUBJECTS = {
    "round": ["candidates_proposed"],
    "mentor": ["conflict_overridden"],
    "offer": ["offer_approved", "offer_accepted", "offer_declined", "mentor_full"],
    "agreement": [
        "agreement_issued",
        "agreement_expired",
        "agreement_declined",
        "agreement_voided",
        "agreement_sealed",
        "nda_reminder",
    ],
    "signature": ["agreement_signed"],
    "session_log": [
        "session_logged",
        "session_confirmed",
        "session_disputed",
        "session_refused",
    ],
    "scheduled_session": ["session_scheduled", "session_moved", "session_cancelled"],
    "plan": ["plan_proposed", "plan_agreed", "plan_extended"],
    "feedback": ["feedback_given"],
    "survey_month": ["survey_due"],
    "survey_answer": ["survey_answered"],
    "pledge_entry": ["pledge_recorded"],
}
TASK_SUBJECTS = {
    "offer": ["answer_offer"],
    "agreement": ["sign_agreement"],
    "session_log": ["confirm_session", "resolve_dispute"],
    "survey_month": ["answer_survey"],
    "plan": ["accept_plan"],
    "pledge_entry": ["fix_registry_entry"],
}


def upgrade() -> None:
    for table, subjects in (("events", EVENT_SUBJECTS), ("tasks", TASK_SUBJECTS)):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("subject_kind", sa.String(length=24), nullable=True))
        for subject_kind, kinds in subjects.items():
            listed = ", ".join(f"'{kind}'" for kind in kinds)
            op.execute(
                f"UPDATE {table} SET subject_kind = '{subject_kind}'"
                f" WHERE subject_id IS NOT NULL AND kind IN ({listed})"
            )


def downgrade() -> None:
    for table in ("tasks", "events"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("subject_kind")
