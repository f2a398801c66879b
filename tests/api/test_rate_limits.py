"""Rate limits per key and per agency, kept in the database: two app instances sharing one database draw
on the same buckets; a key over its limit gets 429 with Retry-After, and nobody else is affected."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.client import KixClient, KixProblem
from app.clock import ShiftedClock
from app.config import Settings
from app.crypto.keys import KeyPair
from app.db import Database
from app.main import create_app
from app.models import AuditEntry, TokenBucket
from tests.asgi import in_process_client
from tests.conftest import BASE_URL, Member

READS = 5


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        env="development",
        database_url=database_url,
        keys_dir=tmp_path / "server-keys",
        scheduler=False,
        rate_limit_reads_per_minute=READS,
        rate_limit_agency_factor=2,
    )


@pytest.fixture
def second_app(settings: Settings, db: Database, clock: ShiftedClock, app: FastAPI) -> Iterator[Any]:
    """Another instance of the service on the same database (as another worker or host would be)."""
    other = create_app(settings, database=db, clock=clock)
    with in_process_client(other, BASE_URL) as http:
        yield http


def _through(member: Member, http: Any, clock: ShiftedClock, server_jwks: dict[str, Any]) -> KixClient:
    return KixClient(
        BASE_URL, member.key, server_jwks, actor="analyst-1", http_client=http, clock=clock.timestamp
    )


def test_a_key_over_its_limit_is_refused_on_every_instance_and_nobody_else_is(
    enrol: Any, second_app: Any, clock: ShiftedClock, server_jwks: dict[str, Any], db: Database
) -> None:
    it, de = enrol("it-dcsa"), enrol("de-bka")
    other = _through(it, second_app, clock, server_jwks)
    for number in range(READS):  # alternately through each instance: one bucket
        (it.client if number % 2 else other).whoami()
    for client in (it.client, other):
        with pytest.raises(KixProblem) as refused:
            client.whoami()
        assert refused.value.status == 429
        assert refused.value.type.endswith("rate-limited")
        assert refused.value.problem["retry_after"] >= 1
    assert de.client.whoami()["agency_id"] == "de-bka"  # another agency is unaffected
    with db.sessions() as session:
        statuses = list(session.scalars(select(AuditEntry.status).where(AuditEntry.agency_id == "it-dcsa")))
    assert statuses.count(429) == 2  # refused after authentication: still in the audit log
    clock.advance(timedelta(seconds=60))  # the bucket refills
    assert it.client.whoami()["agency_id"] == "it-dcsa"


def test_an_agencys_keys_share_its_own_limit(
    enrol: Any, admin: KixClient, clock: ShiftedClock, server_jwks: dict[str, Any], http: Any, db: Database
) -> None:
    it = enrol("it-dcsa")
    keys = [it.client]
    for _ in range(2):
        key = KeyPair.generate()
        public = {"kid": key.kid, "sign": key.sign_jwk, "encrypt": key.encrypt_jwk}
        admin.register_key("it-dcsa", public, ["alerts:read"])
        keys.append(KixClient(BASE_URL, key, server_jwks, http_client=http, clock=clock.timestamp))
    statuses = []
    for client in keys:
        for _ in range(READS):
            try:
                client.whoami()
                statuses.append(200)
            except KixProblem as problem:
                statuses.append(problem.status)
    # The agency's limit (factor 2), though each key had READS of its own.
    assert statuses == [200] * (2 * READS) + [429] * READS
    # Each refusal gave back what the third key's own bucket had given: it still holds all of it.
    with db.sessions() as session:
        third = session.scalar(
            select(TokenBucket.tokens).where(TokenBucket.key == f"rate:key:{key.kid}:reads")
        )
    assert third == READS
