"""Coverage reports: coverage-gap analyses of the stored notes, run from the admin page.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "coverage_reports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("requested_at", _TS, nullable=False, index=True),
        sa.Column("requested_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("finished_at", _TS, nullable=True),
        sa.Column("notes", sa.Integer(), nullable=True),
        sa.Column("gaps", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("report_html", sa.Text(), nullable=True),
        sa.Column("report_json", sa.Text(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("coverage_reports")
