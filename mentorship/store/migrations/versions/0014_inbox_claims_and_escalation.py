"""the coordinators' inbox: claims, escalation, lead coordinators

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("claimed_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("claimed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("escalated_at", sa.DateTime(), nullable=True))
        batch.create_foreign_key("fk_tasks_claimed_by", "users", ["claimed_by"], ["id"])
        batch.create_index("ix_tasks_open_due", ["closed_at", "role", "due_at"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("lead", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("lead")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_index("ix_tasks_open_due")
        batch.drop_constraint("fk_tasks_claimed_by", type_="foreignkey")
        batch.drop_column("escalated_at")
        batch.drop_column("claimed_at")
        batch.drop_column("claimed_by")
