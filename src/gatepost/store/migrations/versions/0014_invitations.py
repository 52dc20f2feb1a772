"""invitations: one-time, expiring links to join a tenant with a role (the token is
kept only as its SHA-256, like sessions and setup tokens).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gatepost.store.types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invitations",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", gatepost.store.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", gatepost.store.types.UTCDateTime(), nullable=False),
        sa.Column("used_at", gatepost.store.types.UTCDateTime(), nullable=True),
        sa.Column("used_by_user_id", sa.String(length=32), nullable=True),
        sa.Column("revoked_at", gatepost.store.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_invitations_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_invitations")),
        sa.UniqueConstraint(
            "tenant_id", "token_hash", name=op.f("uq_invitations_tenant_id_token_hash")
        ),
    )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invitations_tenant_id_created_at"),
            ["tenant_id", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitations_tenant_id_created_at"))
    op.drop_table("invitations")
