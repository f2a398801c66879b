"""The OpenAPI document as a deterministic JSON string (what openapi/openapi.json must equal)."""

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import FastAPI

from app.config import Settings
from app.db import Database
from app.main import create_app


@contextmanager
def offline_app() -> Iterator[FastAPI]:
    """The app built on throwaway keys and an empty in-memory database: its routes and spec do not
    depend on keys or data."""
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(
            env="development", keys_dir=Path(scratch) / "keys", database_url="sqlite://", log_level="ERROR"
        )
        database = Database(settings.database_url)
        try:
            yield create_app(settings, database=database)
        finally:
            database.dispose()


def export_openapi() -> str:
    with offline_app() as app:
        schema = app.openapi()
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
