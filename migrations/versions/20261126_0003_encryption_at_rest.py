"""encryption at rest

Revision ID: 20261126_0003
Revises: 20261126_0002
Create Date: 2026-11-26 08:05:38.626022
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261126_0003"
down_revision: str | None = "20261126_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Bodies written before this revision are plaintext; nothing was deployed with them, so refuse
    # rather than leave unencrypted records behind.
    if op.get_bind().execute(sa.text("SELECT count(*) FROM records")).scalar():
        raise RuntimeError("records exist from before encryption at rest: recreate this development database")
    op.execute("DELETE FROM idempotency_keys")  # short-lived retry cache, stored in clear until now
    op.create_table(
        "storage_key_checks",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sample", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_storage_key_checks")),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("data_key", sa.String(length=200), nullable=False))
        batch_op.alter_column("response", existing_type=sa.JSON(), type_=sa.Text(), existing_nullable=False)

    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.alter_column(
            "message", existing_type=sa.VARCHAR(length=1000), type_=sa.Text(), existing_nullable=False
        )

    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("data_key", sa.String(length=200), nullable=True))
        batch_op.alter_column(
            "withdrawal_reason",
            existing_type=sa.VARCHAR(length=1000),
            type_=sa.Text(),
            existing_nullable=True,
        )

    with op.batch_alter_table("share_requests", schema=None) as batch_op:
        batch_op.alter_column(
            "reason", existing_type=sa.VARCHAR(length=1000), type_=sa.Text(), existing_nullable=False
        )
        batch_op.alter_column(
            "decision_reason", existing_type=sa.VARCHAR(length=1000), type_=sa.Text(), existing_nullable=True
        )


def downgrade() -> None:
    op.execute("DELETE FROM idempotency_keys")  # sealed answers mean nothing without the new columns
    with op.batch_alter_table("share_requests", schema=None) as batch_op:
        batch_op.alter_column(
            "decision_reason", existing_type=sa.Text(), type_=sa.VARCHAR(length=1000), existing_nullable=True
        )
        batch_op.alter_column(
            "reason", existing_type=sa.Text(), type_=sa.VARCHAR(length=1000), existing_nullable=False
        )

    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.alter_column(
            "withdrawal_reason",
            existing_type=sa.Text(),
            type_=sa.VARCHAR(length=1000),
            existing_nullable=True,
        )
        batch_op.drop_column("data_key")

    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.alter_column(
            "message", existing_type=sa.Text(), type_=sa.VARCHAR(length=1000), existing_nullable=False
        )

    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.alter_column(
            "response",
            existing_type=sa.Text(),
            type_=sa.JSON(),
            existing_nullable=False,
            postgresql_using="response::json",
        )
        batch_op.drop_column("data_key")

    op.drop_table("storage_key_checks")
