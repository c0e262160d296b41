"""pledges like the Coalition's: details, status, initiatives and indicators with targets

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Targets every existing pledge starts with; its company admin sets its own.
DEFAULT_TARGETS = {"smes_supported": 5.0, "mentor_hours": 100.0, "employees_upskilled": 20.0}


def upgrade() -> None:
    with op.batch_alter_table("pledges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("pillars", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("countries", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("starts_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("ends_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("public_funding", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), nullable=False, server_default="draft")
        )
        batch_op.add_column(sa.Column("submitted_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("approved_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("approved_by", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_pledges_approved_by", "users", ["approved_by"], ["id"])
    op.create_table(
        "initiatives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("action_type", sa.String(length=32), nullable=False),
        sa.Column("beneficiary_type", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["pledge_id"], ["pledges.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("initiatives", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_initiatives_pledge_id"), ["pledge_id"], unique=False)
    op.create_table(
        "indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("initiative_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["initiative_id"], ["initiatives.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("initiative_id", "key"),
    )
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_indicators_initiative_id"), ["initiative_id"], unique=False
        )
    _give_each_pledge_its_initiative()


def _give_each_pledge_its_initiative() -> None:
    connection = op.get_bind()
    pledges = sa.table("pledges", sa.column("id", sa.Integer), sa.column("pillars", sa.JSON))
    initiatives = sa.table(
        "initiatives",
        sa.column("id", sa.Integer),
        sa.column("pledge_id", sa.Integer),
        sa.column("title", sa.String),
        sa.column("action_type", sa.String),
        sa.column("beneficiary_type", sa.String),
    )
    indicators = sa.table(
        "indicators",
        sa.column("initiative_id", sa.Integer),
        sa.column("key", sa.String),
        sa.column("target", sa.Float),
    )
    for (pledge_id,) in connection.execute(sa.select(pledges.c.id)).all():
        connection.execute(
            pledges.update().where(pledges.c.id == pledge_id).values(pillars=["labour_force"])
        )
        result = connection.execute(
            initiatives.insert().values(
                pledge_id=pledge_id,
                title="Digital Volunteers mentoring",
                action_type="mentoring",
                beneficiary_type="smes",
            )
        )
        initiative_id = result.inserted_primary_key[0]  # type: ignore[index]
        connection.execute(
            indicators.insert(),
            [
                {"initiative_id": initiative_id, "key": key, "target": target}
                for key, target in DEFAULT_TARGETS.items()
            ],
        )


def downgrade() -> None:
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicators_initiative_id"))
    op.drop_table("indicators")
    with op.batch_alter_table("initiatives", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_initiatives_pledge_id"))
    op.drop_table("initiatives")
    with op.batch_alter_table("pledges", schema=None) as batch_op:
        batch_op.drop_constraint("fk_pledges_approved_by", type_="foreignkey")
        for column in (
            "approved_by",
            "approved_at",
            "submitted_at",
            "status",
            "public_funding",
            "ends_on",
            "starts_on",
            "countries",
            "pillars",
            "description",
        ):
            batch_op.drop_column(column)
