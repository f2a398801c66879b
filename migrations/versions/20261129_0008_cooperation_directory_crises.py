"""cooperation requests, the directory of competent authorities and victim services, crisis rooms,
private partners (their designated FIU, lead intake), freeze-lapse warnings, and deadline warnings on
workflow items

Revision ID: 20261129_0008
Revises: 20261129_0007
Create Date: 2026-11-29 07:44:18.690133
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.base import UTCDateTime

revision: str = "20261129_0008"
down_revision: str | None = "20261129_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "victim_services",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("contact", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_victim_services")),
    )
    with op.batch_alter_table("victim_services", schema=None) as batch_op:
        batch_op.create_index("ix_victim_services_country", ["country"], unique=False)

    op.create_table(
        "cooperation_requests",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("requester_id", sa.String(length=64), nullable=False),
        sa.Column("addressee_id", sa.String(length=64), nullable=False),
        sa.Column("copied", sa.JSON(), nullable=False),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.Date(), nullable=True),
        sa.Column("legal_basis", sa.JSON(), nullable=False),
        sa.Column("linked_records", sa.JSON(), nullable=False),
        sa.Column("refusal_grounds", sa.JSON(), nullable=False),
        sa.Column("crisis_id", sa.String(length=36), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("data_key", sa.String(length=200), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("due_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("warned_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("overdue_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["addressee_id"], ["agencies.id"], name=op.f("fk_cooperation_requests_addressee_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"], ["agencies.id"], name=op.f("fk_cooperation_requests_requester_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cooperation_requests")),
    )
    with op.batch_alter_table("cooperation_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cooperation_requests_addressee", ["addressee_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_cooperation_requests_crisis", ["crisis_id"], unique=False)
        batch_op.create_index(
            "ix_cooperation_requests_requester", ["requester_id", "created_at"], unique=False
        )

    op.create_table(
        "directory_entries",
        sa.Column("agency_id", sa.String(length=64), nullable=False),
        sa.Column("accepts", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("legal_bases", sa.JSON(), nullable=False),
        sa.Column("central_authority_for", sa.JSON(), nullable=False),
        sa.Column("contact", sa.JSON(), nullable=False),
        sa.Column("notes", sa.String(length=2000), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_directory_entries_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("agency_id", name=op.f("pk_directory_entries")),
    )
    op.create_table(
        "crisis_rooms",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("alert_id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("concessions", sa.Text(), nullable=True),
        sa.Column("ransom_paid", sa.Boolean(), nullable=True),
        sa.Column("data_key", sa.String(length=200), nullable=False),
        sa.Column("opened_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["alert_id"], ["records.id"], name=op.f("fk_crisis_rooms_alert_id_records")),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["agencies.id"], name=op.f("fk_crisis_rooms_owner_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crisis_rooms")),
    )
    with op.batch_alter_table("crisis_rooms", schema=None) as batch_op:
        batch_op.create_index("ix_crisis_rooms_alert", ["alert_id"], unique=False)

    op.create_table(
        "lapse_warnings",
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("threshold", sa.String(length=8), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["records.id"],
            name=op.f("fk_lapse_warnings_record_id_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_id", "expires_on", "threshold", name=op.f("pk_lapse_warnings")),
    )
    op.create_table(
        "lead_intakes",
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("fiu_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["fiu_id"], ["agencies.id"], name=op.f("fk_lead_intakes_fiu_id_agencies")),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_lead_intakes_record_id_records")
        ),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_lead_intakes")),
    )
    op.create_table(
        "crisis_entries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("room_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("author_id", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["agencies.id"], name=op.f("fk_crisis_entries_author_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["crisis_rooms.id"],
            name=op.f("fk_crisis_entries_room_id_crisis_rooms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crisis_entries")),
    )
    with op.batch_alter_table("crisis_entries", schema=None) as batch_op:
        batch_op.create_index("ix_crisis_entries_room", ["room_id", "at"], unique=False)

    with op.batch_alter_table("access_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("warned_at", UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("designated_fiu", sa.String(length=64), nullable=True))

    with op.batch_alter_table("share_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("warned_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("share_requests", schema=None) as batch_op:
        batch_op.drop_column("warned_at")

    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.drop_column("designated_fiu")

    with op.batch_alter_table("access_requests", schema=None) as batch_op:
        batch_op.drop_column("warned_at")

    with op.batch_alter_table("crisis_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_crisis_entries_room")

    op.drop_table("crisis_entries")
    op.drop_table("lead_intakes")
    op.drop_table("lapse_warnings")
    with op.batch_alter_table("crisis_rooms", schema=None) as batch_op:
        batch_op.drop_index("ix_crisis_rooms_alert")

    op.drop_table("crisis_rooms")
    op.drop_table("directory_entries")
    with op.batch_alter_table("cooperation_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_cooperation_requests_requester")
        batch_op.drop_index("ix_cooperation_requests_crisis")
        batch_op.drop_index("ix_cooperation_requests_addressee")

    op.drop_table("cooperation_requests")
    with op.batch_alter_table("victim_services", schema=None) as batch_op:
        batch_op.drop_index("ix_victim_services_country")

    op.drop_table("victim_services")
