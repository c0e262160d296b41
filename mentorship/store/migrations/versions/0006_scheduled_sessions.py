"""scheduled sessions: date, time, format, place and agenda, for calendar invitations

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scheduled_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("mentorship_id", sa.Integer(), nullable=False),
        sa.Column("scheduled_by", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=False),
        sa.Column("agenda", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["mentorship_id"], ["mentorships.id"]),
        sa.ForeignKeyConstraint(["scheduled_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("nonce"),
    )
    with op.batch_alter_table("scheduled_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scheduled_sessions_mentorship_id"), ["mentorship_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("scheduled_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheduled_sessions_mentorship_id"))
    op.drop_table("scheduled_sessions")
