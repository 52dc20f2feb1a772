"""access rules: zones, access points, schedules, access levels (with their points and
their holders), site holidays, credentials (blind indexes only), persons' access flags,
devices bound to access points and tenants.rules_version.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 18:47:03.305592
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import gatepost.store.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _times() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", gatepost.store.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", gatepost.store.types.UTCDateTime(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("week", sa.JSON(), nullable=False),
        sa.Column("holiday", sa.JSON(), nullable=False),
        *_times(),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_schedules_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_schedules")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_schedules_tenant_id_name")),
    )
    op.create_table(
        "access_levels",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("schedule_id", sa.String(length=32), nullable=False),
        *_times(),
        sa.ForeignKeyConstraint(
            ["tenant_id", "schedule_id"],
            ["schedules.tenant_id", "schedules.id"],
            name=op.f("fk_access_levels_tenant_id_schedule_id_schedules"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_access_levels")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_access_levels_tenant_id_name")),
    )
    op.create_table(
        "site_holidays",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("site_id", sa.String(length=32), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("created_at", gatepost.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "site_id"],
            ["sites.tenant_id", "sites.id"],
            name=op.f("fk_site_holidays_tenant_id_site_id_sites"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_site_holidays")),
        sa.UniqueConstraint(
            "tenant_id", "site_id", "date", name=op.f("uq_site_holidays_tenant_id_site_id_date")
        ),
    )
    op.create_table(
        "zones",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("site_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("parent_id", sa.String(length=32), nullable=True),
        *_times(),
        sa.ForeignKeyConstraint(
            ["tenant_id", "parent_id"],
            ["zones.tenant_id", "zones.id"],
            name=op.f("fk_zones_tenant_id_parent_id_zones"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "site_id"],
            ["sites.tenant_id", "sites.id"],
            name=op.f("fk_zones_tenant_id_site_id_sites"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_zones")),
        sa.UniqueConstraint(
            "tenant_id", "site_id", "name", name=op.f("uq_zones_tenant_id_site_id_name")
        ),
    )
    op.create_table(
        "access_points",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("site_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("into_zone_id", sa.String(length=32), nullable=True),
        sa.Column("out_of_zone_id", sa.String(length=32), nullable=True),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("door_mode", sa.String(length=24), nullable=False),
        sa.Column("unlock_schedule_id", sa.String(length=32), nullable=True),
        sa.Column("required_factors", sa.String(length=24), nullable=False),
        sa.Column("multi_factor_window_seconds", sa.Integer(), nullable=False),
        sa.Column("anti_passback", sa.String(length=8), nullable=False),
        sa.Column("anti_passback_reset_minutes", sa.Integer(), nullable=True),
        sa.Column("first_person_in", sa.Boolean(), nullable=False),
        sa.Column("barrier", sa.Boolean(), nullable=False),
        *_times(),
        sa.ForeignKeyConstraint(
            ["tenant_id", "into_zone_id"],
            ["zones.tenant_id", "zones.id"],
            name=op.f("fk_access_points_tenant_id_into_zone_id_zones"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "out_of_zone_id"],
            ["zones.tenant_id", "zones.id"],
            name=op.f("fk_access_points_tenant_id_out_of_zone_id_zones"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "site_id"],
            ["sites.tenant_id", "sites.id"],
            name=op.f("fk_access_points_tenant_id_site_id_sites"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "unlock_schedule_id"],
            ["schedules.tenant_id", "schedules.id"],
            name=op.f("fk_access_points_tenant_id_unlock_schedule_id_schedules"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_access_points")),
        sa.UniqueConstraint(
            "tenant_id", "site_id", "name", name=op.f("uq_access_points_tenant_id_site_id_name")
        ),
    )
    op.create_table(
        "credentials",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("value_index", sa.LargeBinary(length=32), nullable=False),
        sa.Column("active_index", sa.LargeBinary(length=32), nullable=True),
        sa.Column("label", sa.String(length=16), nullable=True),
        sa.Column("duress", sa.Boolean(), nullable=False),
        sa.Column("valid_from", gatepost.store.types.UTCDateTime(), nullable=True),
        sa.Column("valid_until", gatepost.store.types.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", gatepost.store.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", gatepost.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "person_id"],
            ["persons.tenant_id", "persons.id"],
            name=op.f("fk_credentials_tenant_id_person_id_persons"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_credentials")),
        sa.UniqueConstraint(
            "tenant_id", "active_index", name=op.f("uq_credentials_tenant_id_active_index")
        ),
    )
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credentials_tenant_id_person_id"), ["tenant_id", "person_id"]
        )
        batch_op.create_index(
            batch_op.f("ix_credentials_tenant_id_value_index"), ["tenant_id", "value_index"]
        )
    op.create_table(
        "person_access_levels",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.String(length=32), nullable=False),
        sa.Column("access_level_id", sa.String(length=32), nullable=False),
        sa.Column("valid_from", gatepost.store.types.UTCDateTime(), nullable=True),
        sa.Column("valid_until", gatepost.store.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", gatepost.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "access_level_id"],
            ["access_levels.tenant_id", "access_levels.id"],
            name=op.f("fk_person_access_levels_tenant_id_access_level_id_access_levels"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "person_id"],
            ["persons.tenant_id", "persons.id"],
            name=op.f("fk_person_access_levels_tenant_id_person_id_persons"),
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "person_id", "access_level_id", name=op.f("pk_person_access_levels")
        ),
    )
    with op.batch_alter_table("person_access_levels", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_person_access_levels_tenant_id_access_level_id"),
            ["tenant_id", "access_level_id"],
        )
    op.create_table(
        "access_level_points",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("access_level_id", sa.String(length=32), nullable=False),
        sa.Column("access_point_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "access_level_id"],
            ["access_levels.tenant_id", "access_levels.id"],
            name=op.f("fk_access_level_points_tenant_id_access_level_id_access_levels"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "access_point_id"],
            ["access_points.tenant_id", "access_points.id"],
            name=op.f("fk_access_level_points_tenant_id_access_point_id_access_points"),
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "access_level_id", "access_point_id", name=op.f("pk_access_level_points")
        ),
    )
    with op.batch_alter_table("access_level_points", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_access_level_points_tenant_id_access_point_id"),
            ["tenant_id", "access_point_id"],
        )

    # Added columns only (no table rebuild on SQLite, whose rebuild of a table that
    # other tables' rows refer to fails under foreign keys).
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("access_point_id", sa.String(length=32), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_devices_tenant_id_access_point_id"), ["tenant_id", "access_point_id"]
        )
    with op.batch_alter_table("persons", schema=None) as batch_op:
        for flag in ("blocked", "watchlisted", "first_in_privileged"):
            batch_op.add_column(
                sa.Column(flag, sa.Boolean(), server_default=sa.false(), nullable=False)
            )
        batch_op.add_column(
            sa.Column("valid_from", gatepost.store.types.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("valid_until", gatepost.store.types.UTCDateTime(), nullable=True)
        )
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rules_version", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("rules_version")
    with op.batch_alter_table("persons", schema=None) as batch_op:
        for column in ("valid_until", "valid_from", "first_in_privileged", "watchlisted"):
            batch_op.drop_column(column)
        batch_op.drop_column("blocked")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_devices_tenant_id_access_point_id"))
        batch_op.drop_column("access_point_id")
    for table, index in (
        ("access_level_points", "ix_access_level_points_tenant_id_access_point_id"),
        ("person_access_levels", "ix_person_access_levels_tenant_id_access_level_id"),
        ("credentials", "ix_credentials_tenant_id_value_index"),
        ("credentials", "ix_credentials_tenant_id_person_id"),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(index))
    for table in (
        "access_level_points",
        "person_access_levels",
        "credentials",
        "access_points",
        "zones",
        "site_holidays",
        "access_levels",
        "schedules",
    ):
        op.drop_table(table)
