"""arrival_marks: what each device decided on within the repeat window (keyed hashes of
the subject and outcome), so a car or person waiting at a device is one arrival.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 19:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gatepost.store.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "arrival_marks",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("device_id", sa.String(length=32), nullable=False),
        sa.Column("mark", sa.LargeBinary(length=32), nullable=False),
        sa.Column("at", gatepost.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "device_id"],
            ["devices.tenant_id", "devices.id"],
            name=op.f("fk_arrival_marks_tenant_id_device_id_devices"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "device_id", "mark", name=op.f("pk_arrival_marks")),
    )
    with op.batch_alter_table("arrival_marks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_arrival_marks_tenant_id_at"), ["tenant_id", "at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("arrival_marks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_arrival_marks_tenant_id_at"))
    op.drop_table("arrival_marks")
