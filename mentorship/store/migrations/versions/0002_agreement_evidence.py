"""agreement evidence: signing order, consent wording, sealed PDFs, the audit chain

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("agreement_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hash"),
        sa.UniqueConstraint("prev_hash"),
        sa.UniqueConstraint("seq"),
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_entries_agreement_id"), ["agreement_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_audit_entries_request_id"), ["request_id"], unique=False
        )

    audit_head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # The chain starts from a fixed genesis link.
    op.bulk_insert(audit_head, [{"id": 1, "seq": 0, "hash": "0" * 64}])
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("second_language", sa.String(length=8), nullable=True))
        batch_op.add_column(
            sa.Column("signer_roles", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(sa.Column("ended_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("reason_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("sealed_pdf", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("sealed_sha256", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_agreements_sealed_sha256", ["sealed_sha256"])
        batch_op.create_foreign_key("fk_agreements_reason_id", "reasons", ["reason_id"], ["id"])

    # Agreements issued before this revision were signed by the SME and the mentor.
    op.execute("""UPDATE agreements SET signer_roles = '["sme", "mentor"]'""")

    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("registration_number", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("address", sa.String(length=500), nullable=True))
        batch_op.add_column(
            sa.Column(
                "countersigns_agreements", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )

    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("consent_version", sa.String(length=16), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("consent_text", sa.Text(), nullable=False, server_default=""))

    with op.batch_alter_table("support_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agreement_language", sa.String(length=8), nullable=True))

    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_tasks_organisation_id", "organisations", ["organisation_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_constraint("fk_tasks_organisation_id", type_="foreignkey")
        batch_op.drop_column("organisation_id")

    with op.batch_alter_table("support_requests", schema=None) as batch_op:
        batch_op.drop_column("agreement_language")

    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_column("consent_text")
        batch_op.drop_column("consent_version")

    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("countersigns_agreements")
        batch_op.drop_column("address")
        batch_op.drop_column("registration_number")

    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_constraint("fk_agreements_reason_id", type_="foreignkey")
        batch_op.drop_constraint("uq_agreements_sealed_sha256", type_="unique")
        batch_op.drop_column("sealed_sha256")
        batch_op.drop_column("sealed_pdf")
        batch_op.drop_column("reason_id")
        batch_op.drop_column("ended_at")
        batch_op.drop_column("signer_roles")
        batch_op.drop_column("second_language")

    op.drop_table("audit_head")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entries_request_id"))
        batch_op.drop_index(batch_op.f("ix_audit_entries_agreement_id"))

    op.drop_table("audit_entries")
