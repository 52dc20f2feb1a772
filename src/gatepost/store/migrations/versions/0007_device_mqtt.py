"""devices.mqtt_password_hash and devices.mac_key_sealed: a device's MQTT broker
password (its Mosquitto "$7$" hash only) and its message MAC key (sealed with the
tenant's data key). Both stay empty for devices registered before, until their
credential is rotated.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Added columns only (no table rebuild on SQLite, see 0006).
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mqtt_password_hash", sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column("mac_key_sealed", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_column("mac_key_sealed")
        batch_op.drop_column("mqtt_password_hash")
