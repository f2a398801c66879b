"""retention enforced: records hidden past their review date and grace, the owner's warnings, and the
extensions owners make (with a sealed reason)

Revision ID: 20261129_0011
Revises: 20261129_0010
Create Date: 2026-11-29 10:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.base import UTCDateTime

revision: str = "20261129_0011"
down_revision: str | None = "20261129_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retention_hidden_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("retention_warned", sa.Integer(), nullable=True))
    op.create_table(
        "retention_extensions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("previous", sa.Date(), nullable=False),
        sa.Column("review_by", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("agency_id", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["records.id"],
            name=op.f("fk_retention_extensions_record_id_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_extensions")),
    )
    with op.batch_alter_table("retention_extensions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_retention_extensions_record_id"), ["record_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("retention_extensions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retention_extensions_record_id"))
    op.drop_table("retention_extensions")
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_column("retention_warned")
        batch_op.drop_column("retention_hidden_at")
