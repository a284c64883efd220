"""The corrections table: drawings people labelled, with the model's answer.

Revision ID: 36bf35b0f661
Revises:
Create Date: 2026-11-23 11:33:25
"""

import sqlalchemy as sa
from alembic import op

revision = "36bf35b0f661"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pixels", sa.LargeBinary(length=784), nullable=False),
        sa.Column("label", sa.SmallInteger(), nullable=False),
        sa.Column("answer", sa.SmallInteger(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("model", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("answer BETWEEN 0 AND 10", name="answer_range"),
        sa.CheckConstraint("label BETWEEN 0 AND 10", name="label_range"),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("corrections")
