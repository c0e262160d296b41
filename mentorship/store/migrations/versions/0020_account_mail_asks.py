"""account e-mails asked for by visitors, resolved by the mail outbox run

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-08

A reset, a new confirmation link or a registration now writes one row here, the same for
every address; the outbox run looks the address up, mails its owner or nobody, and deletes
the row (issue 27: the time of an answer told who has an account).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_mail_asks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("asked_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("account_mail_asks")
