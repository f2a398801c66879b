"""Alembic is the only way the schema changes: the migrations build exactly the models' schema."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from app.db import Database
from app.migrate import alembic_config, downgrade, is_current, upgrade
from app.models import Base
from app.models.base import managed_by_models


def test_one_head() -> None:
    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1


def test_migrations_match_the_models(db: Database) -> None:
    # `db` was built by `alembic upgrade head` (see conftest), on SQLite and on PostgreSQL.
    assert is_current(db.engine)
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": managed_by_models}
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_latest_revision_downgrades_and_upgrades_again(db: Database) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    assert head is not None
    previous = script.get_revision(head).down_revision or "base"
    downgrade(db.engine, str(previous))
    assert not is_current(db.engine)
    upgrade(db.engine)
    assert is_current(db.engine)
