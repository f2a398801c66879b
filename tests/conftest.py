"""Fixtures: a fresh database per test (SQLite always, PostgreSQL too when KIX_TEST_POSTGRES_URL is set),
built by the Alembic migrations, and the real app reached through the SDK."""

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.bootstrap import bootstrap_operator
from app.client import KixClient
from app.clock import ShiftedClock
from app.config import Settings
from app.crypto.keys import KeyPair
from app.db import Database
from app.main import create_app
from app.migrate import upgrade
from app.models import Base
from app.services.vault import Vault
from tests.asgi import in_process_client

BASE_URL = "http://kix.test"
POSTGRES_URL = os.environ.get("KIX_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked one_database (TLS, process signals: nothing the database takes part in) run once, on
    SQLite; their PostgreSQL variants are deselected, not skipped, so the summary's skips stay meaningful."""
    deselected = [
        item
        for item in items
        if isinstance(item, pytest.Function)
        and item.get_closest_marker("one_database")
        and getattr(item, "callspec", None) is not None
        and item.callspec.params.get("database_url") == "postgresql"
    ]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        dropped = {id(item) for item in deselected}
        items[:] = [item for item in items if id(item) not in dropped]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    database = Database(f"sqlite:///{path}")
    upgrade(database.engine)
    database.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database(worker_id: str) -> Iterator[str]:
    """A database of this test worker's own on the PostgreSQL server, migrated to head.

    The name carries the process id so that two test sessions on one server (a developer's and a CI
    clone's) never drop or truncate each other's tables."""
    assert POSTGRES_URL
    name = f"kix_test_{os.getpid()}_{worker_id}"
    admin_engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    database = Database(url)
    upgrade(database.engine)
    database.dispose()
    yield url
    with admin_engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin_engine.dispose()


def sqlite_copy(tmp_path: Path, sqlite_template: Path) -> str:
    """A fresh migrated SQLite database of this test's own."""
    path = tmp_path / "kix.db"
    shutil.copyfile(sqlite_template, path)
    path.chmod(0o600)  # as KIX creates its database files
    return f"sqlite:///{path}"


def truncate_all(url: str) -> None:
    """Empty every table of a worker's PostgreSQL database, for the next test."""
    engine = create_engine(url)
    with engine.begin() as connection:
        tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
        connection.execute(text(f"TRUNCATE {tables} CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_copy(tmp_path, sqlite_template)
        return
    url: str = request.getfixturevalue("postgres_database")
    yield url
    truncate_all(url)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # The scheduler is off: tests run its jobs when they choose, on their clock.
    return Settings(
        env="development", database_url=database_url, keys_dir=tmp_path / "server-keys", scheduler=False
    )


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.database_url)
    yield database
    database.dispose()


@pytest.fixture
def clock() -> ShiftedClock:
    """The app's clock and its clients': moved forward by tests of deadlines and expiry."""
    return ShiftedClock()


@pytest.fixture
def app(settings: Settings, db: Database, clock: ShiftedClock) -> FastAPI:
    return create_app(settings, database=db, clock=clock)


@pytest.fixture
def http(app: FastAPI) -> Iterator[httpx.Client]:
    with in_process_client(app, BASE_URL) as client:
        yield client


@pytest.fixture
def vault(app: FastAPI) -> Vault:
    """The app's storage keys (created in development), for tests that call services directly."""
    the_vault: Vault = app.state.vault
    return the_vault


@pytest.fixture
def server_jwks(app: FastAPI) -> dict[str, Any]:
    jwks: dict[str, Any] = app.state.server_key.public_jwks()
    return jwks


@pytest.fixture
def admin_key(db: Database, tmp_path: Path) -> KeyPair:
    from app.crypto.keys import load_key_file

    issued = bootstrap_operator(db, tmp_path / "admin.key.json")
    return load_key_file(issued.path)


@pytest.fixture
def admin(
    admin_key: KeyPair, server_jwks: dict[str, Any], http: httpx.Client, clock: ShiftedClock
) -> KixClient:
    return KixClient(
        BASE_URL, admin_key, server_jwks, actor="admin-tester", http_client=http, clock=clock.timestamp
    )


ALL_BUT_ADMIN = [
    "alerts:read",
    "alerts:write",
    "suspects:read",
    "suspects:write",
    "leads:read",
    "leads:write",
    "victims:read",
    "matches:query",
    "requests:read",
    "requests:write",
    "stats:read",
    "audit:read",
    "cases:read",
    "cases:write",
    "practices:read",
    "practices:write",
]


def agency_body(agency_id: str, country: str = "DE", scopes: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": agency_id,
        "country": country,
        "name": f"Agency {agency_id}",
        "kind": "police",
        "scopes": scopes if scopes is not None else ALL_BUT_ADMIN,
        "contact": {"name": "Desk", "phone": "+4930123456", "email": "desk@example.org"},
        "jurisdictions": [country],
    }


@dataclass
class Member:
    """A registered agency with one key, and an SDK client using it."""

    agency_id: str
    key: KeyPair
    client: KixClient


@pytest.fixture
def enrol(admin: KixClient, server_jwks: dict[str, Any], http: httpx.Client, clock: ShiftedClock) -> Any:
    def enrol_agency(
        agency_id: str, *, scopes: list[str] | None = None, key_scopes: list[str] | None = None
    ) -> Member:
        admin.create_agency(agency_body(agency_id, scopes=scopes))
        key = KeyPair.generate()
        public = {"kid": key.kid, "sign": key.sign_jwk, "encrypt": key.encrypt_jwk}
        granted = key_scopes if key_scopes is not None else (scopes if scopes is not None else ALL_BUT_ADMIN)
        admin.register_key(agency_id, public, granted)
        client = KixClient(
            BASE_URL, key, server_jwks, actor="analyst-1", http_client=http, clock=clock.timestamp
        )
        return Member(agency_id, key, client)

    return enrol_agency
