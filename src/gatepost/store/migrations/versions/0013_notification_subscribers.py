"""notification subscribers (MQTT accounts that read one tenant's notification topics),
tenants.webhooks_version (the notifications' endpoint cache) and an index for the
outbox's retention purge.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gatepost.store.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_subscribers",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", gatepost.store.types.UTCDateTime(), nullable=False),
        sa.Column("rotated_at", gatepost.store.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_notification_subscribers_tenant_id_tenants"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_notification_subscribers")),
    )
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(
            sa.Column("webhooks_version", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_deliveries_tenant_id_status_created_at"),
            ["tenant_id", "status", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_deliveries_tenant_id_status_created_at"))
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("webhooks_version")
    op.drop_table("notification_subscribers")
