"""pledge entries: employees upskilled, digital-intensity uplift, and their registry copy

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pledge_entries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("employees_upskilled", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("intensity_uplift", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "registry_status", sa.String(length=16), nullable=False, server_default="not_sent"
            )
        )
        batch_op.add_column(sa.Column("registry_id", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("registry_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("registry_error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("synced_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pledge_entries", schema=None) as batch_op:
        for column in (
            "synced_at",
            "registry_error",
            "registry_attempts",
            "registry_id",
            "registry_status",
            "intensity_uplift",
            "employees_upskilled",
        ):
            batch_op.drop_column(column)
