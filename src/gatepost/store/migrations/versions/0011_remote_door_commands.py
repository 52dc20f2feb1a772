"""remote door commands and the live event feed: the door mode a remote lockdown
replaced (restored by its release), and events indexed by arrival time (the live feed
reads what arrived since its last look).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("access_points", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mode_before_lockdown", sa.String(length=24), nullable=True))
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_events_tenant_id_received_at"),
            ["tenant_id", "received_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_tenant_id_received_at"))
    with op.batch_alter_table("access_points", schema=None) as batch_op:
        batch_op.drop_column("mode_before_lockdown")
