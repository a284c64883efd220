"""Corrections keep the client's Idempotency-Key, so that a retried request is stored once.

Revision ID: 8f3a61c2d0b7
Revises: 36bf35b0f661
Create Date: 2026-12-02 02:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "8f3a61c2d0b7"
down_revision = "36bf35b0f661"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("corrections", sa.Column("idempotency_key", sa.String(length=128), nullable=True))
    op.create_index("ix_corrections_idempotency_key", "corrections", ["idempotency_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_corrections_idempotency_key", table_name="corrections")
    with op.batch_alter_table("corrections") as batch:  # SQLite rebuilds the table to drop a column
        batch.drop_column("idempotency_key")
