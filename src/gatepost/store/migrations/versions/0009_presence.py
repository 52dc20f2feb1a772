"""presence: where the platform last placed each person (the muster list; the facts of
anti-passback and first-person-in).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 19:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gatepost.store.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "presence",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("zone_id", sa.String(length=32), nullable=False),
        sa.Column("since", gatepost.store.types.UTCDateTime(), nullable=False),
        sa.Column("access_point_id", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "person_id"],
            ["persons.tenant_id", "persons.id"],
            name=op.f("fk_presence_tenant_id_person_id_persons"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "zone_id"],
            ["zones.tenant_id", "zones.id"],
            name=op.f("fk_presence_tenant_id_zone_id_zones"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "person_id", name=op.f("pk_presence")),
    )
    with op.batch_alter_table("presence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_presence_tenant_id_zone_id"), ["tenant_id", "zone_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("presence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_presence_tenant_id_zone_id"))
    op.drop_table("presence")
