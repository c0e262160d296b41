"""mentoring plans with goals, goal outcomes in feedback, moved sessions keep their identity

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mentoring_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("mentorship_id", sa.Integer(), nullable=False),
        sa.Column("proposed_by", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("cadence", sa.String(length=16), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("agreed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["mentorship_id"], ["mentorships.id"]),
        sa.ForeignKeyConstraint(["proposed_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("nonce"),
    )
    with op.batch_alter_table("mentoring_plans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mentoring_plans_mentorship_id"), ["mentorship_id"], unique=False
        )
    op.create_table(
        "plan_goals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("goal", sa.Text(), nullable=False),
        sa.Column("measure", sa.Text(), nullable=False),
        sa.Column("target_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["mentoring_plans.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("plan_goals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_goals_plan_id"), ["plan_id"], unique=False)
    op.create_table(
        "goal_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["feedback_id"], ["feedback.id"]),
        sa.ForeignKeyConstraint(["goal_id"], ["plan_goals.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("feedback_id", "goal_id"),
    )
    with op.batch_alter_table("goal_outcomes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_goal_outcomes_feedback_id"), ["feedback_id"], unique=False
        )
    with op.batch_alter_table("scheduled_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replaces_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("series_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("sequence", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_foreign_key(
            "fk_scheduled_sessions_replaces_id", "scheduled_sessions", ["replaces_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("scheduled_sessions", schema=None) as batch_op:
        batch_op.drop_constraint("fk_scheduled_sessions_replaces_id", type_="foreignkey")
        batch_op.drop_column("sequence")
        batch_op.drop_column("series_id")
        batch_op.drop_column("replaces_id")
    with op.batch_alter_table("goal_outcomes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goal_outcomes_feedback_id"))
    op.drop_table("goal_outcomes")
    with op.batch_alter_table("plan_goals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_goals_plan_id"))
    op.drop_table("plan_goals")
    with op.batch_alter_table("mentoring_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mentoring_plans_mentorship_id"))
    op.drop_table("mentoring_plans")
