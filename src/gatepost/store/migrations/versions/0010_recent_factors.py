"""recent_factors: the first step of a two-step arrival (card now, face next), kept
for the access point's multi-factor window.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 19:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gatepost.store.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recent_factors",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("access_point_id", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("factor", sa.String(length=8), nullable=False),
        sa.Column("at", gatepost.store.types.UTCDateTime(), nullable=False),
        sa.Column("uncertain", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "person_id"],
            ["persons.tenant_id", "persons.id"],
            name=op.f("fk_recent_factors_tenant_id_person_id_persons"),
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "access_point_id", "person_id", "factor", name=op.f("pk_recent_factors")
        ),
    )
    with op.batch_alter_table("recent_factors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recent_factors_tenant_id_at"), ["tenant_id", "at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("recent_factors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recent_factors_tenant_id_at"))
    op.drop_table("recent_factors")
