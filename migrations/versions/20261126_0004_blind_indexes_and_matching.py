"""blind indexes and matching

Revision ID: 20261126_0004
Revises: 20261126_0003
Create Date: 2026-11-26 08:14:58.908183
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.base import UTCDateTime

revision: str = "20261126_0004"
down_revision: str | None = "20261126_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "match_queries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("agency_id", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("criteria", sa.Integer(), nullable=False),
        sa.Column("asked_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_match_queries_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_queries")),
    )
    with op.batch_alter_table("match_queries", schema=None) as batch_op:
        batch_op.create_index("ix_match_queries_agency_at", ["agency_id", "asked_at"], unique=False)

    op.create_table(
        "blind_indexes",
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("term", sa.String(length=16), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_blind_indexes_record_id_records"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("record_id", "term", "digest", name=op.f("pk_blind_indexes")),
    )
    with op.batch_alter_table("blind_indexes", schema=None) as batch_op:
        batch_op.create_index("ix_blind_indexes_term_digest", ["term", "digest"], unique=False)

    op.create_table(
        "hits",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("query_id", sa.String(length=36), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("querier_id", sa.String(length=64), nullable=False),
        sa.Column("strength", sa.String(length=16), nullable=False),
        sa.Column("matched_on", sa.String(length=200), nullable=False),
        sa.Column("visible", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["agencies.id"], name=op.f("fk_hits_owner_id_agencies")),
        sa.ForeignKeyConstraint(["querier_id"], ["agencies.id"], name=op.f("fk_hits_querier_id_agencies")),
        sa.ForeignKeyConstraint(
            ["query_id"], ["match_queries.id"], name=op.f("fk_hits_query_id_match_queries")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_hits_record_id_records"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hits")),
    )
    with op.batch_alter_table("hits", schema=None) as batch_op:
        batch_op.create_index("ix_hits_querier", ["querier_id"], unique=False)
        batch_op.create_index("ix_hits_record_id", ["record_id"], unique=False)

    op.create_table(
        "access_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("hit_id", sa.String(length=36), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("requester_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("due_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["hit_id"], ["hits.id"], name=op.f("fk_access_requests_hit_id_hits")),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["agencies.id"], name=op.f("fk_access_requests_owner_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["records.id"],
            name=op.f("fk_access_requests_record_id_records"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"], ["agencies.id"], name=op.f("fk_access_requests_requester_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_requests")),
        sa.UniqueConstraint("hit_id", name=op.f("uq_access_requests_hit_id")),
    )
    with op.batch_alter_table("access_requests", schema=None) as batch_op:
        batch_op.create_index("ix_access_requests_owner", ["owner_id", "status"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("access_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_access_requests_owner")

    op.drop_table("access_requests")
    with op.batch_alter_table("hits", schema=None) as batch_op:
        batch_op.drop_index("ix_hits_record_id")
        batch_op.drop_index("ix_hits_querier")

    op.drop_table("hits")
    with op.batch_alter_table("blind_indexes", schema=None) as batch_op:
        batch_op.drop_index("ix_blind_indexes_term_digest")

    op.drop_table("blind_indexes")
    with op.batch_alter_table("match_queries", schema=None) as batch_op:
        batch_op.drop_index("ix_match_queries_agency_at")

    op.drop_table("match_queries")
