"""face templates (protected: rotated and sealed embeddings) and tenants' face policy.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 13:23:46.871012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gatepost.store.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "face_templates",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("model", sa.String(length=40), nullable=False),
        sa.Column("key_generation", sa.Integer(), nullable=False),
        sa.Column("template_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("quality", sa.Float(), nullable=False),
        sa.Column("face_width", sa.Integer(), nullable=False),
        sa.Column("photo_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", gatepost.store.types.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "person_id"],
            ["persons.tenant_id", "persons.id"],
            name=op.f("fk_face_templates_tenant_id_person_id_persons"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "photo_id"],
            ["media_objects.tenant_id", "media_objects.id"],
            name=op.f("fk_face_templates_tenant_id_photo_id_media_objects"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_face_templates")),
    )
    with op.batch_alter_table("face_templates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_face_templates_tenant_id_person_id"),
            ["tenant_id", "person_id"],
            unique=False,
        )

    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("face_target_fmr", sa.Float(), server_default="0.0001", nullable=False)
        )
        batch_op.add_column(
            sa.Column("face_max_fpir", sa.Float(), server_default="0.05", nullable=False)
        )
        batch_op.add_column(
            sa.Column("face_photo_days", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("face_gallery_version", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("face_gallery_version")
        batch_op.drop_column("face_photo_days")
        batch_op.drop_column("face_max_fpir")
        batch_op.drop_column("face_target_fmr")

    with op.batch_alter_table("face_templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_face_templates_tenant_id_person_id"))

    op.drop_table("face_templates")
