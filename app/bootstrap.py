"""Set-up that runs on the database host, not through the API: the server's keys, the database schema,
the operator agency and demo agencies."""

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from app.config import Settings
from app.crypto.keys import KeyPair, write_key_file
from app.crypto.keystore import load_server_keys
from app.crypto.storage_keys import load_storage_keys
from app.db import Database
from app.errors import Conflict
from app.models import Agency
from app.schemas.agencies import AgencyCreate, AgencyKind, ContactPoint, CredentialCreate
from app.schemas.common import Scope
from app.services.identity.agencies import create_agency
from app.services.identity.credentials import register_credential

OPERATOR_ID = "kix-operator"
log = logging.getLogger("kix")


def prepare_server(settings: Settings, *, create_keys: bool | None = None) -> Database:
    """What a node needs before it serves: the server's key pair and the storage keys (created when
    missing if `create_keys`, by default in development only), and the database at the latest schema
    with its storage-key check values. Returns the open Database."""
    from app.migrate import upgrade
    from app.services.vault.custody import verify_storage_keys

    create = not settings.is_production if create_keys is None else create_keys
    _, server_created = load_server_keys(settings.keys_dir, create=create)
    storage_keys, storage_created = load_storage_keys(settings.keys_dir, create=create)
    if server_created or storage_created:
        log.warning("created the server's keys in %s", settings.keys_dir)
    db = Database(settings.database_url)
    try:
        settings.check_file_modes()
        upgrade(db.engine)
        verify_storage_keys(db, storage_keys)
    except BaseException:
        db.dispose()
        raise
    return db


@dataclass(frozen=True)
class IssuedKey:
    agency_id: str
    kid: str
    path: Path


def _issue_key(db: Database, agency: AgencyCreate, key_out: Path) -> IssuedKey:
    """Create `agency` with one key holding all its scopes; write the private key file (0600)."""
    if key_out.exists():
        raise FileExistsError(f"{key_out} exists; refusing to overwrite a key file")
    key = KeyPair.generate()
    with db.transaction() as session:
        create_agency(session, agency)
        register_credential(
            session,
            agency.id,
            CredentialCreate(kid=key.kid, sign=key.sign_jwk, encrypt=key.encrypt_jwk, scopes=agency.scopes),
        )
    write_key_file(key_out, key)
    return IssuedKey(agency_id=agency.id, kid=key.kid, path=key_out)


def bootstrap_operator(
    db: Database, key_out: Path, *, country: str = "EU", name: str = "KIX operator"
) -> IssuedKey:
    with db.sessions() as session:
        if session.scalars(select(Agency.id).where(Agency.kind == AgencyKind.OPERATOR.value)).first():
            raise Conflict("an operator agency exists already; issue further admin keys through the API")
    operator = AgencyCreate(
        id=OPERATOR_ID,
        country=country,
        name=name,
        kind=AgencyKind.OPERATOR,
        scopes=list(Scope),
        contact=ContactPoint(
            name="KIX operations desk", phone="+10000000000", email="kix-operations@example.org"
        ),
    )
    return _issue_key(db, operator, key_out)


DEMO_AGENCIES = [
    AgencyCreate(
        id="de-bka",
        country="DE",
        name="Bundeskriminalamt (demo)",
        kind=AgencyKind.POLICE,
        scopes=[scope for scope in Scope if scope is not Scope.ADMIN],
        contact=ContactPoint(
            name="BKA 24/7 desk (demo)", phone="+496110000000", email="bka-desk@example.org"
        ),
        jurisdictions=["DE"],
    ),
    AgencyCreate(
        id="it-dcsa",
        country="IT",
        name="Direzione Centrale Servizi Antidroga e Anticrimine (demo)",
        kind=AgencyKind.POLICE,
        scopes=[scope for scope in Scope if scope is not Scope.ADMIN],
        contact=ContactPoint(name="SCIP 24/7 (demo)", phone="+390600000000", email="dcsa-scip@example.org"),
        jurisdictions=["IT"],
    ),
]


def setup_demo(db: Database, keys_dir: Path, server_jwks: str) -> list[IssuedKey]:
    """Operator plus two agencies, each with a key file in `keys_dir`; skipped when already done."""
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    (keys_dir / "server.jwks.json").write_text(server_jwks, encoding="utf-8")
    with db.sessions() as session:
        existing = set(session.scalars(select(Agency.id)))
    issued: list[IssuedKey] = []
    if OPERATOR_ID not in existing:
        issued.append(bootstrap_operator(db, keys_dir / "kix-operator.key.json"))
    for agency in DEMO_AGENCIES:
        if agency.id not in existing:
            issued.append(_issue_key(db, agency, keys_dir / f"{agency.id}.key.json"))
    return issued


def write_jwks(path: Path, key: KeyPair) -> None:
    path.write_text(json.dumps(key.public_jwks(), indent=2) + "\n", encoding="utf-8")
