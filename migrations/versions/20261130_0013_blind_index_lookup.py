"""blind-index lookups answered from the index alone: the (term, digest) index becomes (term, digest,
record_id), so a match query's candidate lookups read no table rows (an index-only scan on PostgreSQL, a
covering index on SQLite). At a million suspects they read a table page for almost every row they
returned: some 300 pages for each common name token of a query.

Revision ID: 20261130_0013
Revises: 20261129_0012
Create Date: 2026-11-30 06:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "20261130_0013"
down_revision: str | None = "20261129_0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_blind_indexes_lookup", "blind_indexes", ["term", "digest", "record_id"])
    op.drop_index("ix_blind_indexes_term_digest", table_name="blind_indexes")


def downgrade() -> None:
    op.create_index("ix_blind_indexes_term_digest", "blind_indexes", ["term", "digest"])
    op.drop_index("ix_blind_indexes_lookup", table_name="blind_indexes")
