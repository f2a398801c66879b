"""list indexes: filters that come with their sort order, and urgency ranks that grow with urgency

Revision ID: 20261126_0005
Revises: 20261126_0004
Create Date: 2026-11-26 08:17:28.694653
"""

from collections.abc import Sequence

from alembic import op

revision: str = "20261126_0005"
down_revision: str | None = "20261126_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Urgency ranks now grow with urgency (critical 3 ... low 0), so the urgency sort is one descending order.
    op.execute("UPDATE records SET urgency_rank = 3 - urgency_rank WHERE urgency_rank IS NOT NULL")
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_records_kind_country"))
        batch_op.create_index(
            "ix_records_kind_country", ["kind", "country", "status", "created_at", "id"], unique=False
        )
        batch_op.drop_index(batch_op.f("ix_records_kind_status"))
        batch_op.create_index("ix_records_kind_status", ["kind", "status", "created_at", "id"], unique=False)


def downgrade() -> None:
    op.execute("UPDATE records SET urgency_rank = 3 - urgency_rank WHERE urgency_rank IS NOT NULL")
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_index("ix_records_kind_status")
        batch_op.create_index(batch_op.f("ix_records_kind_status"), ["kind", "status"], unique=False)
        batch_op.drop_index("ix_records_kind_country")
        batch_op.create_index(batch_op.f("ix_records_kind_country"), ["kind", "country"], unique=False)
