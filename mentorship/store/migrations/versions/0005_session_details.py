"""session details: skills transferred, SME employees who took part, next steps

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("session_logs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("skills", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("participants", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("next_steps", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("session_logs", schema=None) as batch_op:
        batch_op.drop_column("next_steps")
        batch_op.drop_column("participants")
        batch_op.drop_column("skills")
