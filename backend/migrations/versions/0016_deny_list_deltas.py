"""What a rule bundle's deny list holds (``rule_bundle.deny_through``: entries up to that id
in force at the bundle's ``created_at``), so that a device holding one can be sent only the
changes since, and an index on ``deny_entry.expires_at`` for the entries dropping off the list
between two bundles. Bundles made before carry no ``deny_through``: a device holding one gets
the full bundle once.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("rule_bundle", sa.Column("deny_through", sa.BigInteger(), nullable=True))
    op.create_index(op.f("ix_deny_entry_expires_at"), "deny_entry", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_deny_entry_expires_at"), table_name="deny_entry")
    with op.batch_alter_table("rule_bundle") as batch:
        batch.drop_column("deny_through")
