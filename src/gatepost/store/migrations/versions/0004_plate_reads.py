"""plate reads (the gate log, plates sealed with a blind index), per-site plate formats
and tenants' plate retention.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 10:12:03.518204
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gatepost.store.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plate_reads",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("site_id", sa.String(length=32), nullable=False),
        sa.Column("device_id", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", gatepost.store.types.UTCDateTime(), nullable=False),
        sa.Column("plate_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("plate_index", sa.LargeBinary(length=32), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("color", sa.String(length=8), nullable=False),
        sa.Column("region", sa.String(length=8), nullable=False),
        sa.Column("decision", sa.String(length=8), nullable=False),
        sa.Column("vehicle_id", sa.String(length=32), nullable=True),
        sa.Column("frame_id", sa.String(length=32), nullable=True),
        sa.Column("expires_at", gatepost.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "device_id"],
            ["devices.tenant_id", "devices.id"],
            name=op.f("fk_plate_reads_tenant_id_device_id_devices"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "frame_id"],
            ["media_objects.tenant_id", "media_objects.id"],
            name=op.f("fk_plate_reads_tenant_id_frame_id_media_objects"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "site_id"],
            ["sites.tenant_id", "sites.id"],
            name=op.f("fk_plate_reads_tenant_id_site_id_sites"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_plate_reads")),
    )
    with op.batch_alter_table("plate_reads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plate_reads_tenant_id_occurred_at"),
            ["tenant_id", "occurred_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_plate_reads_tenant_id_device_id_occurred_at"),
            ["tenant_id", "device_id", "occurred_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_plate_reads_tenant_id_plate_index"),
            ["tenant_id", "plate_index"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_plate_reads_tenant_id_vehicle_id"),
            ["tenant_id", "vehicle_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_plate_reads_tenant_id_expires_at"),
            ["tenant_id", "expires_at"],
            unique=False,
        )

    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plate_regions", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("plate_patterns", sa.JSON(), nullable=True))

    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("plate_read_days", sa.Integer(), server_default="90", nullable=False)
        )
        batch_op.add_column(
            sa.Column("plate_stranger_days", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("plate_image_days", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("plate_image_days")
        batch_op.drop_column("plate_stranger_days")
        batch_op.drop_column("plate_read_days")

    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("plate_patterns")
        batch_op.drop_column("plate_regions")

    with op.batch_alter_table("plate_reads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plate_reads_tenant_id_expires_at"))
        batch_op.drop_index(batch_op.f("ix_plate_reads_tenant_id_vehicle_id"))
        batch_op.drop_index(batch_op.f("ix_plate_reads_tenant_id_plate_index"))
        batch_op.drop_index(batch_op.f("ix_plate_reads_tenant_id_device_id_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_plate_reads_tenant_id_occurred_at"))

    op.drop_table("plate_reads")
