"""The peer KIX is benchmarked against (bench/peer_app.py) does the work it claims: it verifies every
bearer token (signature, issuer, audience, expiry), refuses an unknown or inactive agency, validates the
alert as KIX does, and shows another agency's alert only when it is shared with all. A peer that skipped
any of it would flatter itself in `python -m bench peer`."""

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, update
from sqlalchemy.orm import Session

from bench import peer_app
from bench.scenarios.peer_setup import AUDIENCE, ISSUER, IdentityProvider, alert_bodies

OWNER, OTHER, SUSPENDED = "de-bka", "it-dcsa", "fr-ocrb"


@pytest.fixture
def idp(tmp_path: Path) -> IdentityProvider:
    return IdentityProvider.create(tmp_path)


@pytest.fixture
def client(tmp_path: Path, idp: IdentityProvider, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path / 'peer.db'}"
    peer_app.create_schema(url, [OWNER, OTHER, SUSPENDED])
    engine = create_engine(url)
    with Session(engine) as session:
        session.execute(
            update(peer_app.Agency).where(peer_app.Agency.id == SUSPENDED).values(is_active=False)
        )
        session.commit()
    engine.dispose()
    monkeypatch.setenv("PEER_DATABASE_URL", url)
    monkeypatch.setenv("PEER_TOKEN_JWKS", str(idp.jwks_path))
    monkeypatch.setenv("PEER_ISSUER", ISSUER)
    monkeypatch.setenv("PEER_AUDIENCE", AUDIENCE)
    peer_app.engine.cache_clear()
    peer_app.token_keys.cache_clear()
    with TestClient(peer_app.app) as test_client:
        yield test_client
    peer_app.engine().dispose()
    peer_app.engine.cache_clear()
    peer_app.token_keys.cache_clear()


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def body(mode: str = "all_members") -> dict[str, Any]:
    made = alert_bodies(random.Random(5))()  # noqa: S311 - test data, not a secret
    made["rules"]["distribution"] = {"mode": mode}
    return made


def test_a_valid_token_creates_reads_and_lists(client: TestClient, idp: IdentityProvider) -> None:
    created = client.post("/v1/alerts", json=body(), headers=bearer(idp.token(OWNER)))
    assert created.status_code == 201, created.text
    alert_id = created.json()["id"]
    assert created.json()["owner_id"] == OWNER
    got = client.get(f"/v1/alerts/{alert_id}", headers=bearer(idp.token(OTHER)))
    assert got.status_code == 200
    assert got.json()["id"] == alert_id
    page = client.get("/v1/alerts", params={"limit": 50}, headers=bearer(idp.token(OTHER)))
    assert [item["id"] for item in page.json()["data"]] == [alert_id]


def test_every_bad_token_is_refused(client: TestClient, idp: IdentityProvider, tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    stranger = IdentityProvider.create(tmp_path / "elsewhere")  # a key the peer does not trust
    expired = idp.token(OWNER, lifetime=timedelta(seconds=-120))
    tampered = idp.token(OWNER)[:-4] + "AAAA"
    unknown, suspended = idp.token("xx-unknown"), idp.token(SUSPENDED)
    for token in (stranger.token(OWNER), expired, tampered, "not-a-jwt", unknown, suspended):
        answer = client.post("/v1/alerts", json=body(), headers=bearer(token))
        assert answer.status_code == 401, token
        assert answer.headers["www-authenticate"] == "Bearer"
    assert client.get("/v1/alerts").status_code == 401


def test_a_token_for_another_audience_or_issuer_is_refused(
    client: TestClient, idp: IdentityProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = idp.token(OWNER)
    monkeypatch.setenv("PEER_AUDIENCE", "another-service")
    assert client.get("/v1/alerts", headers=bearer(token)).status_code == 401
    monkeypatch.setenv("PEER_AUDIENCE", AUDIENCE)
    monkeypatch.setenv("PEER_ISSUER", "https://another-idp.invalid")
    assert client.get("/v1/alerts", headers=bearer(token)).status_code == 401


def test_input_is_validated_as_kix_validates_it(client: TestClient, idp: IdentityProvider) -> None:
    bad = body() | {"occurred_at": (datetime.now(UTC) + timedelta(days=3)).isoformat()}
    assert client.post("/v1/alerts", json=bad, headers=bearer(idp.token(OWNER))).status_code == 422
    assert client.get("/v1/alerts", headers=bearer(idp.token(OWNER))).json()["data"] == []


def test_an_unshared_alert_is_hidden_from_other_agencies(client: TestClient, idp: IdentityProvider) -> None:
    created = client.post("/v1/alerts", json=body("owner_only"), headers=bearer(idp.token(OWNER)))
    assert created.status_code == 201, created.text
    alert_id = created.json()["id"]
    assert client.get(f"/v1/alerts/{alert_id}", headers=bearer(idp.token(OTHER))).status_code == 404
    assert client.get("/v1/alerts", headers=bearer(idp.token(OTHER))).json()["data"] == []
    assert client.get(f"/v1/alerts/{alert_id}", headers=bearer(idp.token(OWNER))).status_code == 200
    assert client.get(f"/v1/alerts/{uuid.uuid4()}", headers=bearer(idp.token(OWNER))).status_code == 404
