"""e-mail outbox delivery and account tokens; verified addresses

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_account_tokens_user_id", "account_tokens", ["user_id"])
    with op.batch_alter_table("notifications") as batch:
        batch.alter_column("request_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("token_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("channel", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("error", sa.Text(), nullable=True))
        batch.create_foreign_key(
            "fk_notifications_token_id", "account_tokens", ["token_id"], ["id"]
        )
        batch.create_index("ix_notifications_unsent", ["sent_at", "id"])
    # What was queued before e-mail existed is history, not news: it is not sent now.
    op.execute("UPDATE notifications SET sent_at = created_at, channel = 'none'")
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email_verified_at", sa.DateTime(), nullable=True))
    # Accounts made before verification existed were made by hand or by the demo: trusted.
    op.execute("UPDATE users SET email_verified_at = CURRENT_TIMESTAMP")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email_verified_at")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_index("ix_notifications_unsent")
        batch.drop_constraint("fk_notifications_token_id", type_="foreignkey")
        batch.drop_column("error")
        batch.drop_column("attempts")
        batch.drop_column("channel")
        batch.drop_column("token_id")
        batch.alter_column("request_id", existing_type=sa.Integer(), nullable=False)
    op.drop_index("ix_account_tokens_user_id", table_name="account_tokens")
    op.drop_table("account_tokens")
