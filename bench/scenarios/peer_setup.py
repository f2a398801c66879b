"""Set-up of the peers benchmark (peer.py): the alerts every server holds first, the throw-away identity
provider that issues the peer's bearer tokens, and the peer started behind TLS."""

import json
import random
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet, OKPKey
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from app.ids import uuid7
from app.schemas.alerts import AlertCreate
from app.services.records.kinds import ALERTS
from bench import peer_app
from bench.data.bodies import COUNTRIES, BodyMaker, validated
from bench.harness.databases import Workspace
from bench.harness.servers import HOST, Server, free_port, kix_env, server_vault, start_server, wait_ready
from bench.harness.tls import self_signed
from bench.loaders import BulkLoader, analyse

CREATOR, READER = "de-bka", "it-dcsa"
ISSUER, AUDIENCE = "https://idp.bench.invalid", "kix-peer"


@dataclass(frozen=True)
class Preloaded:
    """The alerts every server holds before the timed phases: ids, bodies as posted, creation times."""

    ids: list[str]
    bodies: list[dict[str, Any]]
    created: list[datetime]


def alert_bodies(rng: random.Random) -> Callable[[], dict[str, Any]]:
    """Realistic alerts by CREATOR, distributed to all members."""
    maker = BodyMaker(rng)

    def body() -> dict[str, Any]:
        rules = maker.rules(CREATOR, {"mode": "all_members"})
        status = rng.choices(["active", "unresolved"], weights=[4, 1])[0]
        return maker.alert(datetime.now(UTC), rng.choice(COUNTRIES)) | {"status": status, "rules": rules}

    return body


def preloaded(count: int) -> Preloaded:
    body = alert_bodies(random.Random(2030))
    now = datetime.now(UTC)
    created = [now - timedelta(minutes=count - n) for n in range(count)]
    return Preloaded(
        ids=[uuid7() for _ in range(count)], bodies=[body() for _ in range(count)], created=created
    )


# ---------------------------------------------------------------- the identity provider
@dataclass(frozen=True)
class IdentityProvider:
    """A throw-away issuer of the peer's bearer tokens: its public key set is what the peer trusts."""

    key: OKPKey
    jwks_path: Path

    @classmethod
    def create(cls, directory: Path) -> "IdentityProvider":
        key = OKPKey.generate_key("Ed25519", parameters={"kid": "bench-idp"})
        jwks_path = directory / "idp.jwks.json"
        jwks_path.write_text(json.dumps(KeySet([key]).as_dict(private=False)), encoding="utf-8")
        return cls(key, jwks_path)

    def token(self, agency: str, lifetime: timedelta = timedelta(hours=1)) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": agency,
            "iat": now,
            "exp": now + int(lifetime.total_seconds()),
        }
        header = {"alg": peer_app.ALGORITHM, "kid": "bench-idp"}
        return jwt.encode(header, claims, self.key, algorithms=[peer_app.ALGORITHM])


# ---------------------------------------------------------------- set-up
def load_kix(workspace: Workspace, env: dict[str, str], data: Preloaded) -> None:
    db = workspace.open(env["KIX_DATABASE_URL"])
    with BulkLoader(db, server_vault(env)) as loader:
        for record_id, body, created in zip(data.ids, data.bodies, data.created, strict=True):
            loader.add(ALERTS, CREATOR, validated(ALERTS.create, body), created=created, record_id=record_id)
    analyse(db)
    print(f"  KIX: {loader.stats.describe()}")


def load_peer(url: str, data: Preloaded) -> None:
    peer_app.create_schema(url, [CREATOR, READER])
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            for record_id, body, created in zip(data.ids, data.bodies, data.created, strict=True):
                alert = peer_app.new_alert(CREATOR, AlertCreate.model_validate(body), created)
                alert.id = uuid.UUID(record_id)
                session.add(alert)
            session.commit()
    finally:
        engine.dispose()
    print(f"  peer: {len(data.ids)} alerts in its own database")


def start_peer(workspace: Workspace, url: str, idp: IdentityProvider) -> Server:
    certificate = self_signed(workspace.dir)
    env = kix_env(workspace.dir) | {
        "PEER_DATABASE_URL": url,
        "PEER_TOKEN_JWKS": str(idp.jwks_path),
        "PEER_ISSUER": ISSUER,
        "PEER_AUDIENCE": AUDIENCE,
    }
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "bench.peer_app:app", "--host", HOST, "--port", str(port)]
    command += ["--workers", "1", "--log-level", "warning", "--no-access-log"]
    command += ["--ssl-certfile", str(certificate.cert_path), "--ssl-keyfile", str(certificate.key_path)]
    server = start_server("peer", command, env, port, workspace.dir, tls=certificate.client_context())
    workspace.servers.append(server)
    wait_ready(server)
    return server
