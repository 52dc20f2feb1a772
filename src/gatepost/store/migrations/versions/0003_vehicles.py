"""vehicles: known plates, sealed, with a blind index of the normalised text for lookup.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 15:00:41.843278
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gatepost.store.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vehicles",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=True),
        sa.Column("site_id", sa.String(length=32), nullable=True),
        sa.Column("plate_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("plate_index", sa.LargeBinary(length=32), nullable=False),
        sa.Column("region", sa.String(length=8), nullable=False),
        sa.Column("list", sa.String(length=8), nullable=False),
        sa.Column("valid_from", gatepost.store.types.UTCDateTime(), nullable=True),
        sa.Column("valid_until", gatepost.store.types.UTCDateTime(), nullable=True),
        sa.Column("description_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", gatepost.store.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", gatepost.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "person_id"],
            ["persons.tenant_id", "persons.id"],
            name=op.f("fk_vehicles_tenant_id_person_id_persons"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "site_id"],
            ["sites.tenant_id", "sites.id"],
            name=op.f("fk_vehicles_tenant_id_site_id_sites"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_vehicles_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_vehicles")),
        sa.UniqueConstraint(
            "tenant_id", "plate_index", name=op.f("uq_vehicles_tenant_id_plate_index")
        ),
    )
    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_vehicles_tenant_id_person_id"), ["tenant_id", "person_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vehicles_tenant_id_person_id"))

    op.drop_table("vehicles")
