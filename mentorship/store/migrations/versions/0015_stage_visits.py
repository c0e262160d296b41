"""stage visits: when each request entered and left each stage, for the dashboard

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stage_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=24), nullable=False),
        sa.Column("entered_at", sa.DateTime(), nullable=False),
        sa.Column("left_at", sa.DateTime(), nullable=True),
        sa.Column("seconds", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["support_requests.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_stage_visits_request_id", "stage_visits", ["request_id"])
    op.create_index("ix_stage_visits_stage_seconds", "stage_visits", ["stage", "seconds"])
    op.create_index("ix_stage_visits_stage_left", "stage_visits", ["stage", "left_at"])
    _backfill()


def _backfill() -> None:
    """The visits of existing requests, read from their events (each carries its stage)."""
    bind = op.get_bind()
    table = sa.table(
        "events",
        sa.column("id", sa.Integer),
        sa.column("request_id", sa.Integer),
        sa.column("stage", sa.String),
        sa.column("at", sa.DateTime),  # typed, so SQLite's text comes back as datetimes
    )
    events = bind.execute(
        sa.select(table.c.request_id, table.c.stage, table.c.at).order_by(
            table.c.request_id, table.c.at, table.c.id
        )
    ).all()
    visits: list[dict[str, object]] = []
    current: dict[int, dict[str, object]] = {}
    for request_id, stage, at in events:
        open_visit = current.get(request_id)
        if open_visit is not None and open_visit["stage"] == stage:
            continue
        if open_visit is not None:
            open_visit["left_at"] = at
            open_visit["seconds"] = int((at - open_visit["entered_at"]).total_seconds())
        visit = {"request_id": request_id, "stage": stage, "entered_at": at, "left_at": None,
                 "seconds": None}  # fmt: skip
        visits.append(visit)
        current[request_id] = visit
    if visits:
        visits_table = sa.table(
            "stage_visits",
            sa.column("request_id"),
            sa.column("stage"),
            sa.column("entered_at"),
            sa.column("left_at"),
            sa.column("seconds"),
        )
        op.bulk_insert(visits_table, visits)


def downgrade() -> None:
    op.drop_index("ix_stage_visits_stage_left", table_name="stage_visits")
    op.drop_index("ix_stage_visits_stage_seconds", table_name="stage_visits")
    op.drop_index("ix_stage_visits_request_id", table_name="stage_visits")
    op.drop_table("stage_visits")
