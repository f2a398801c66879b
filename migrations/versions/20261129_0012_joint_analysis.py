"""joint analysis: joint cases (participants, records linked with the owner's recorded consent, typed
links with a confidence), the trends rollup and its facts, and the practices library with its full-text
index (FTS5 on SQLite, a GIN expression index on PostgreSQL; both outside the models, see
app.models.base.managed_by_models)

Existing databases start with an empty rollup: `kix admin stats rebuild` fills it from the records.

Revision ID: 20261129_0012
Revises: 20261129_0011
Create Date: 2026-11-29 11:59:47.668366
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.base import UTCDateTime

revision: str = "20261129_0012"
down_revision: str | None = "20261129_0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trend_counts",
        sa.Column("measure", sa.String(length=32), nullable=False),
        sa.Column("grain", sa.String(length=32), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("band", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "measure", "grain", "month", "country", "region", "category", "band", name=op.f("pk_trend_counts")
        ),
    )
    op.create_table(
        "joint_cases",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("data_key", sa.String(length=200), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["owner_id"], ["agencies.id"], name=op.f("fk_joint_cases_owner_id_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_joint_cases")),
    )
    with op.batch_alter_table("joint_cases", schema=None) as batch_op:
        batch_op.create_index("ix_joint_cases_owner_id", ["owner_id", "created_at"], unique=False)

    op.create_table(
        "practices",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("author_id", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("themes", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("lessons", sa.Text(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("cases", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["agencies.id"], name=op.f("fk_practices_author_id_agencies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practices")),
    )
    with op.batch_alter_table("practices", schema=None) as batch_op:
        batch_op.create_index("ix_practices_published_on", ["published_on", "id"], unique=False)

    op.create_table(
        "case_participants",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("agency_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("invited_by", sa.String(length=128), nullable=False),
        sa.Column("invited_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_case_participants_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["joint_cases.id"],
            name=op.f("fk_case_participants_case_id_joint_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", "agency_id", name=op.f("pk_case_participants")),
    )
    with op.batch_alter_table("case_participants", schema=None) as batch_op:
        batch_op.create_index("ix_case_participants_agency_id", ["agency_id", "status"], unique=False)

    op.create_table(
        "case_records",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("added_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("consented_by", sa.String(length=128), nullable=True),
        sa.Column("consented_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["added_by"], ["agencies.id"], name=op.f("fk_case_records_added_by_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["joint_cases.id"],
            name=op.f("fk_case_records_case_id_joint_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_case_records_record_id_records"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("case_id", "record_id", name=op.f("pk_case_records")),
    )
    with op.batch_alter_table("case_records", schema=None) as batch_op:
        batch_op.create_index("ix_case_records_record_id", ["record_id"], unique=False)

    op.create_table(
        "case_references",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.String(length=36), nullable=False),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("added_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by"], ["agencies.id"], name=op.f("fk_case_references_added_by_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["joint_cases.id"],
            name=op.f("fk_case_references_case_id_joint_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", "kind", "ref_id", name=op.f("pk_case_references")),
    )
    op.create_table(
        "practice_comments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("practice_id", sa.String(length=36), nullable=False),
        sa.Column("author_id", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["agencies.id"], name=op.f("fk_practice_comments_author_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practices.id"],
            name=op.f("fk_practice_comments_practice_id_practices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_comments")),
    )
    with op.batch_alter_table("practice_comments", schema=None) as batch_op:
        batch_op.create_index("ix_practice_comments_practice_id", ["practice_id", "created_at"], unique=False)

    op.create_table(
        "trend_facts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("measure", sa.String(length=32), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("band", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"], ["records.id"], name=op.f("fk_trend_facts_record_id_records"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trend_facts")),
    )
    with op.batch_alter_table("trend_facts", schema=None) as batch_op:
        batch_op.create_index("ix_trend_facts_record_id", ["record_id"], unique=False)

    with op.batch_alter_table("record_links", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confidence", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("case_id", sa.String(length=36), nullable=True))
    _create_search()


# Porter stemming on both sides, so "kidnappings" finds "kidnapping" in either database.
_SQLITE_SEARCH = (
    "CREATE VIRTUAL TABLE practices_fts USING fts5(practice_id UNINDEXED, title, summary, lessons, "
    "tokenize='porter unicode61 remove_diacritics 2')",
    # Keyed by the practice id, not the rowid, which VACUUM may renumber.
    "CREATE TRIGGER practices_fts_insert AFTER INSERT ON practices BEGIN "
    "INSERT INTO practices_fts (practice_id, title, summary, lessons) "
    "VALUES (new.id, new.title, new.summary, new.lessons); END",
    "CREATE TRIGGER practices_fts_delete AFTER DELETE ON practices BEGIN "
    "DELETE FROM practices_fts WHERE practice_id = old.id; END",
    "CREATE TRIGGER practices_fts_update AFTER UPDATE ON practices BEGIN "
    "DELETE FROM practices_fts WHERE practice_id = old.id; "
    "INSERT INTO practices_fts (practice_id, title, summary, lessons) "
    "VALUES (new.id, new.title, new.summary, new.lessons); END",
)
# The expression must be the one app/services/analysis/practices.py searches with.
_POSTGRES_SEARCH = (
    "CREATE INDEX ix_practices_search ON practices USING gin "
    "(to_tsvector('english', title || ' ' || summary || ' ' || lessons))",
)


def _create_search() -> None:
    statements = _SQLITE_SEARCH if op.get_bind().dialect.name == "sqlite" else _POSTGRES_SEARCH
    for statement in statements:
        op.execute(statement)


def _drop_search() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER practices_fts_{trigger}")
        op.execute("DROP TABLE practices_fts")
    else:
        op.execute("DROP INDEX ix_practices_search")


def downgrade() -> None:
    _drop_search()
    with op.batch_alter_table("record_links", schema=None) as batch_op:
        batch_op.drop_column("case_id")
        batch_op.drop_column("confidence")

    with op.batch_alter_table("trend_facts", schema=None) as batch_op:
        batch_op.drop_index("ix_trend_facts_record_id")

    op.drop_table("trend_facts")
    with op.batch_alter_table("practice_comments", schema=None) as batch_op:
        batch_op.drop_index("ix_practice_comments_practice_id")

    op.drop_table("practice_comments")
    op.drop_table("case_references")
    with op.batch_alter_table("case_records", schema=None) as batch_op:
        batch_op.drop_index("ix_case_records_record_id")

    op.drop_table("case_records")
    with op.batch_alter_table("case_participants", schema=None) as batch_op:
        batch_op.drop_index("ix_case_participants_agency_id")

    op.drop_table("case_participants")
    with op.batch_alter_table("practices", schema=None) as batch_op:
        batch_op.drop_index("ix_practices_published_on")

    op.drop_table("practices")
    with op.batch_alter_table("joint_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_joint_cases_owner_id")

    op.drop_table("joint_cases")
    op.drop_table("trend_counts")
