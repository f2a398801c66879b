"""shared records

Revision ID: 20261126_0002
Revises: 20261126_0001
Create Date: 2026-11-26 07:48:36.798450
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.base import UTCDateTime

revision: str = "20261126_0002"
down_revision: str | None = "20261126_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "idempotency_keys",
        sa.Column("agency_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_idempotency_keys_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("agency_id", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "records",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("urgency_rank", sa.Integer(), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("occurred_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("handling", sa.String(length=16), nullable=False),
        sa.Column("distribution", sa.String(length=16), nullable=False),
        sa.Column("discoverable", sa.Boolean(), nullable=False),
        sa.Column("review_by", sa.Date(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("withdrawal_reason", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(["owner_id"], ["agencies.id"], name=op.f("fk_records_owner_id_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_records")),
    )
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.create_index("ix_records_kind_category", ["kind", "category"], unique=False)
        batch_op.create_index("ix_records_kind_country", ["kind", "country"], unique=False)
        batch_op.create_index("ix_records_kind_created", ["kind", "created_at", "id"], unique=False)
        batch_op.create_index("ix_records_kind_status", ["kind", "status"], unique=False)
        batch_op.create_index("ix_records_kind_updated", ["kind", "updated_at"], unique=False)
        batch_op.create_index(
            "ix_records_kind_urgency", ["kind", "urgency_rank", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_records_owner_id", ["owner_id"], unique=False)

    op.create_table(
        "contributions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("author_id", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["agencies.id"], name=op.f("fk_contributions_author_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_contributions_record_id_records"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contributions")),
    )
    with op.batch_alter_table("contributions", schema=None) as batch_op:
        batch_op.create_index("ix_contributions_record_id", ["record_id", "created_at"], unique=False)

    op.create_table(
        "notices",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(length=1000), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_notices_record_id_records"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
    )
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.create_index("ix_notices_record_id", ["record_id"], unique=False)

    op.create_table(
        "record_grants",
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("grantee_type", sa.String(length=8), nullable=False),
        sa.Column("grantee_id", sa.String(length=64), nullable=False),
        sa.Column("granted_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_record_grants_record_id_records"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("record_id", "grantee_type", "grantee_id", name=op.f("pk_record_grants")),
    )
    with op.batch_alter_table("record_grants", schema=None) as batch_op:
        batch_op.create_index("ix_record_grants_grantee", ["grantee_type", "grantee_id"], unique=False)

    op.create_table(
        "record_links",
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("linked_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["linked_id"], ["records.id"], name=op.f("fk_record_links_linked_id_records"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_record_links_record_id_records"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("record_id", "linked_id", name=op.f("pk_record_links")),
    )
    with op.batch_alter_table("record_links", schema=None) as batch_op:
        batch_op.create_index("ix_record_links_linked_id", ["linked_id"], unique=False)

    op.create_table(
        "record_revisions",
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("changed_by", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("changed_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["records.id"],
            name=op.f("fk_record_revisions_record_id_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_id", "version", name=op.f("pk_record_revisions")),
    )
    op.create_table(
        "record_views",
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("agency_id", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_record_views_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_record_views_record_id_records"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("record_id", "agency_id", name=op.f("pk_record_views")),
    )
    with op.batch_alter_table("record_views", schema=None) as batch_op:
        batch_op.create_index("ix_record_views_agency_id", ["agency_id"], unique=False)

    op.create_table(
        "share_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("requester_id", sa.String(length=64), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decision_reason", sa.String(length=1000), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["records.id"],
            name=op.f("fk_share_requests_record_id_records"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"], ["agencies.id"], name=op.f("fk_share_requests_requester_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["agencies.id"], name=op.f("fk_share_requests_target_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_requests")),
    )
    with op.batch_alter_table("share_requests", schema=None) as batch_op:
        batch_op.create_index("ix_share_requests_record_id", ["record_id"], unique=False)

    op.create_table(
        "notice_receipts",
        sa.Column("notice_id", sa.String(length=36), nullable=False),
        sa.Column("agency_id", sa.String(length=64), nullable=False),
        sa.Column("acknowledged_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_notice_receipts_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notices.id"],
            name=op.f("fk_notice_receipts_notice_id_notices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("notice_id", "agency_id", name=op.f("pk_notice_receipts")),
    )
    with op.batch_alter_table("notice_receipts", schema=None) as batch_op:
        batch_op.create_index("ix_notice_receipts_agency_id", ["agency_id", "acknowledged_at"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("notice_receipts", schema=None) as batch_op:
        batch_op.drop_index("ix_notice_receipts_agency_id")

    op.drop_table("notice_receipts")
    with op.batch_alter_table("share_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_share_requests_record_id")

    op.drop_table("share_requests")
    with op.batch_alter_table("record_views", schema=None) as batch_op:
        batch_op.drop_index("ix_record_views_agency_id")

    op.drop_table("record_views")
    op.drop_table("record_revisions")
    with op.batch_alter_table("record_links", schema=None) as batch_op:
        batch_op.drop_index("ix_record_links_linked_id")

    op.drop_table("record_links")
    with op.batch_alter_table("record_grants", schema=None) as batch_op:
        batch_op.drop_index("ix_record_grants_grantee")

    op.drop_table("record_grants")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index("ix_notices_record_id")

    op.drop_table("notices")
    with op.batch_alter_table("contributions", schema=None) as batch_op:
        batch_op.drop_index("ix_contributions_record_id")

    op.drop_table("contributions")
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_index("ix_records_owner_id")
        batch_op.drop_index("ix_records_kind_urgency")
        batch_op.drop_index("ix_records_kind_updated")
        batch_op.drop_index("ix_records_kind_status")
        batch_op.drop_index("ix_records_kind_created")
        batch_op.drop_index("ix_records_kind_country")
        batch_op.drop_index("ix_records_kind_category")

    op.drop_table("records")
    op.drop_table("idempotency_keys")
