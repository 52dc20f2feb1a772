"""tenants.suspended_at: set while a platform operator has suspended the tenant (its
users cannot sign in, its sessions, API keys and devices are refused, its invitations
cannot be accepted); cleared on resume. Data is untouched.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gatepost.store.types

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(
            sa.Column("suspended_at", gatepost.store.types.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("suspended_at")
