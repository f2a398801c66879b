"""the audit log: an entry per authenticated request, the records each touched, the Merkle tree's
complete subtrees and the server's signed tree heads

Revision ID: 20261129_0010
Revises: 20261129_0009
Create Date: 2026-11-29 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.base import UTCDateTime

revision: str = "20261129_0010"
down_revision: str | None = "20261129_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENTRY_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("id", ENTRY_ID, autoincrement=True, nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("leaf", sa.LargeBinary(length=32), nullable=True),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("agency_id", sa.String(length=64), nullable=False),
        sa.Column("kid", sa.String(length=128), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("route", sa.String(length=200), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("records", sa.JSON(), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("signature_sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_entries_pending",
            ["txid", "id"],
            unique=False,
            postgresql_where=sa.text("seq IS NULL"),
            sqlite_where=sa.text("seq IS NULL"),
        )
        batch_op.create_index("ix_audit_entries_seq", ["seq"], unique=True)
        batch_op.create_index("ix_audit_entries_agency", ["agency_id", "at"], unique=False)
    op.create_table(
        "audit_entry_records",
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("entry_id", ENTRY_ID, nullable=False),
        sa.PrimaryKeyConstraint("record_id", "entry_id", name=op.f("pk_audit_entry_records")),
    )
    op.create_table(
        "audit_nodes",
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("index", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "index", name=op.f("pk_audit_nodes")),
    )
    op.create_table(
        "audit_tree_heads",
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("signed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("kid", sa.String(length=128), nullable=False),
        sa.Column("signature", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("size", name=op.f("pk_audit_tree_heads")),
    )


def downgrade() -> None:
    op.drop_table("audit_tree_heads")
    op.drop_table("audit_nodes")
    op.drop_table("audit_entry_records")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entries_agency")
        batch_op.drop_index("ix_audit_entries_seq")
        batch_op.drop_index("ix_audit_entries_pending")
    op.drop_table("audit_entries")
