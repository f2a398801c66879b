"""Alembic environment. Run through app.migrate (kix admin migrate, kix serve) or the alembic CLI."""

import os

from alembic import context
from sqlalchemy import Connection, create_engine

from app.config import DEFAULT_SQLITE_URL
from app.models import Base
from app.models.base import managed_by_models

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        include_object=managed_by_models,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("KIX_DATABASE_URL", DEFAULT_SQLITE_URL)
    engine = create_engine(url)
    with engine.connect() as new_connection:
        _configure(new_connection)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run against a database")
run()
