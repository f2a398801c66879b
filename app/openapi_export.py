"""The OpenAPI document as a deterministic JSON string (what openapi/openapi.json must equal)."""

import json
import tempfile
from pathlib import Path

from app.config import Settings
from app.db import Database
from app.main import create_app


def export_openapi() -> str:
    # The spec does not depend on keys or data: build the app on throwaway ones.
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(
            env="development", keys_dir=Path(scratch) / "keys", database_url="sqlite://", log_level="ERROR"
        )
        database = Database(settings.database_url)
        try:
            schema = create_app(settings, database=database).openapi()
        finally:
            database.dispose()
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
