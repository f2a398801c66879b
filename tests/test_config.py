"""Production refuses to start without keys or with plaintext; development creates keys with a warning."""

import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from app.config import ConfigurationError, Settings
from app.crypto.keystore import KeyStoreError, load_server_keys
from app.crypto.storage_keys import StorageKeyError, load_storage_keys
from app.main import create_app


def test_production_refuses_without_server_keys(tmp_path: Path) -> None:
    settings = Settings(env="production", keys_dir=tmp_path / "none", database_url="sqlite://")
    with pytest.raises(KeyStoreError):
        create_app(settings)
    assert not (tmp_path / "none").exists()


def test_production_refuses_plaintext(tmp_path: Path) -> None:
    load_server_keys(tmp_path, create=True)
    load_storage_keys(tmp_path, create=True)
    settings = Settings(env="production", keys_dir=tmp_path, allow_plaintext=True, database_url="sqlite://")
    with pytest.raises(ConfigurationError):
        create_app(settings)


def test_production_starts_with_keys_made_beforehand(tmp_path: Path) -> None:
    key, created = load_server_keys(tmp_path, create=True)
    assert created
    with pytest.raises(StorageKeyError):  # the server key alone is not enough: storage keys too
        create_app(Settings(env="production", keys_dir=tmp_path, database_url="sqlite://"))
    load_storage_keys(tmp_path, create=True)
    app = create_app(Settings(env="production", keys_dir=tmp_path, database_url="sqlite://"))
    assert app.state.server_key.kid == key.kid


def test_development_creates_a_private_key_file(tmp_path: Path) -> None:
    app = create_app(Settings(env="development", keys_dir=tmp_path / "keys", database_url="sqlite://"))
    path = tmp_path / "keys" / "server.key.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # A second start reuses it.
    again = create_app(Settings(env="development", keys_dir=tmp_path / "keys", database_url="sqlite://"))
    assert again.state.server_key.kid == app.state.server_key.kid


def test_a_world_readable_key_file_is_refused(tmp_path: Path) -> None:
    load_server_keys(tmp_path, create=True)
    os.chmod(tmp_path / "server.key.json", 0o644)
    with pytest.raises(KeyStoreError, match="readable by others"):
        load_server_keys(tmp_path, create=False)


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KIX_ENV", "production")
    monkeypatch.setenv("KIX_DATABASE_URL", "postgresql+psycopg://db/kix")
    monkeypatch.setenv("KIX_KEYS_DIR", str(tmp_path))
    settings = Settings()
    assert (settings.env, settings.database_url, settings.keys_dir) == (
        "production",
        "postgresql+psycopg://db/kix",
        tmp_path,
    )


def test_finding_14_the_sqlite_files_are_private(tmp_path: Path) -> None:
    previous = os.umask(0o022)  # a permissive umask, as a shell usually has
    try:
        url = f"sqlite:///{tmp_path}/kix.db"
        app = create_app(Settings(env="development", keys_dir=tmp_path / "keys", database_url=url))
        with app.state.db.transaction() as session:  # a write: SQLite makes its WAL and shared-memory files
            session.execute(text("CREATE TABLE probe (x INTEGER)"))
        files = sorted(tmp_path.glob("kix.db*"))
        assert [path.name for path in files] == ["kix.db", "kix.db-shm", "kix.db-wal"]
        for path in files:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
        app.state.db.dispose()
    finally:
        os.umask(previous)


@pytest.mark.parametrize("name", ["kix.db", "kix.db-wal", "server.key.json"])
def test_finding_14_production_refuses_files_others_can_read(tmp_path: Path, name: str) -> None:
    keys = tmp_path / "keys"
    load_server_keys(keys, create=True)
    load_storage_keys(keys, create=True)
    url = f"sqlite:///{tmp_path}/kix.db"
    create_app(Settings(env="production", keys_dir=keys, database_url=url)).state.db.dispose()
    target = (keys if name.endswith(".json") else tmp_path) / name
    target.touch()
    os.chmod(target, 0o640)
    with pytest.raises((ConfigurationError, KeyStoreError), match="readable by others"):
        create_app(Settings(env="production", keys_dir=keys, database_url=url))
