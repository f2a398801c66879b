"""The peer: the stack a state would otherwise build for sharing alerts, written plainly, as a FastAPI
project in the style of the full-stack-fastapi-template would be, for `python -m bench peer` to measure
KIX against.

- TLS in front (uvicorn's, with the benchmark's certificate): the only protection of the messages.
- OAuth2 bearer tokens: an EdDSA-signed JWT issued by the state's identity provider (the benchmark plays
  it), verified on every request (signature, issuer, audience, expiry) with the JOSE library KIX uses,
  then the calling agency looked up in the database and refused if it is not active, as the template's
  `get_current_user` does.
- The same alert model: the body validated by KIX's own `AlertCreate` (so both validate the same
  input), stored in SQLAlchemy ORM rows on PostgreSQL (plain columns for what is filtered and sorted,
  JSON for the rest), in plain text: no encryption at rest, no audit log, no per-record sharing rules
  beyond "the owner, or everyone when its distribution is all_members".
- The same three operations: create (201), get one (404 when missing or not visible), and a page of 50,
  newest first, by offset. The page carries no total count: the template's list counts, KIX's does
  not, and counting would only slow the peer down.

Sync routes with one ORM session per request (the template's `SessionDep`), `session.refresh` after a
commit, response models serialising the ORM objects: no shortcut the template would not take.

Configuration from the environment: PEER_DATABASE_URL, PEER_TOKEN_JWKS (a file holding the identity
provider's public JWK set), PEER_ISSUER, PEER_AUDIENCE. `create_schema(url, agencies)` makes the tables
and registers the agencies; the benchmark calls it before it starts the app through uvicorn
(`bench.peer_app:app`).
"""

import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, status
from fastapi.security import OAuth2PasswordBearer
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from pydantic import BaseModel, ConfigDict
from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, String, Uuid, create_engine, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from app.schemas.alerts import AlertCreate

ALGORITHM = "Ed25519"  # EdDSA on Ed25519, by its fully specified name (RFC 9864)


# ---------------------------------------------------------------- models
class Base(DeclarativeBase):
    pass


class Agency(Base):
    __tablename__ = "agency"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class Alert(Base):
    __tablename__ = "alert"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[str] = mapped_column(ForeignKey("agency.id"), index=True)
    category: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    urgency: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    country: Mapped[str] = mapped_column(String(2))
    place: Mapped[dict[str, Any]] = mapped_column(JSON)
    victim: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    ransom: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    modus_operandi: Mapped[str] = mapped_column(String(4000), default="")
    national_offence_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON)
    shared_with_all: Mapped[bool] = mapped_column(Boolean, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AlertPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    owner_id: str
    category: str
    status: str
    urgency: str
    occurred_at: datetime
    country: str
    place: dict[str, Any]
    victim: dict[str, Any] | None
    ransom: dict[str, Any] | None
    modus_operandi: str
    national_offence_code: str | None
    rules: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class AlertsPublic(BaseModel):
    data: list[AlertPublic]


def create_schema(url: str, agencies: list[str]) -> None:
    """The tables, and the agencies (all active), on a fresh database."""
    engine = create_engine(url)
    try:
        Base.metadata.create_all(engine)
        with Session(engine) as session:
            session.add_all(Agency(id=agency) for agency in agencies)
            session.commit()
    finally:
        engine.dispose()


# ---------------------------------------------------------------- dependencies
@cache
def engine() -> Engine:
    return create_engine(os.environ["PEER_DATABASE_URL"], pool_pre_ping=True, pool_size=10, max_overflow=20)


@cache
def token_keys() -> KeySet:
    return KeySet.import_key_set(json.loads(Path(os.environ["PEER_TOKEN_JWKS"]).read_text(encoding="utf-8")))


def get_db() -> Iterator[Session]:
    with Session(engine()) as session:
        yield session


reusable_oauth2 = OAuth2PasswordBearer(tokenUrl="/v1/login/access-token")
SessionDep = Annotated[Session, Depends(get_db)]
TokenDep = Annotated[str, Depends(reusable_oauth2)]


def get_current_agency(session: SessionDep, token: TokenDep) -> Agency:
    unauthorised = HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="Could not validate credentials",
        headers={"WWW-Authenticate": "Bearer"},
    )
    try:
        decoded = jwt.decode(token, token_keys(), algorithms=[ALGORITHM])
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": os.environ["PEER_ISSUER"]},
            aud={"essential": True, "value": os.environ["PEER_AUDIENCE"]},
            sub={"essential": True},
            exp={"essential": True},
        ).validate(decoded.claims)
    except (JoseError, ValueError) as exc:
        raise unauthorised from exc
    agency = session.get(Agency, decoded.claims["sub"])
    if agency is None or not agency.is_active:
        raise unauthorised
    return agency


CurrentAgency = Annotated[Agency, Depends(get_current_agency)]


def visible_to(agency: Agency) -> Any:
    return or_(Alert.owner_id == agency.id, Alert.shared_with_all.is_(True))


# ---------------------------------------------------------------- routes
app = FastAPI(title="peer", docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def new_alert(owner_id: str, alert_in: AlertCreate, now: datetime) -> Alert:
    """The row of a new alert (the route's, and the benchmark's preloading)."""
    data = alert_in.model_dump(mode="json")
    return Alert(
        owner_id=owner_id,
        category=data["category"],
        status=data["status"],
        urgency=data["urgency"],
        occurred_at=alert_in.occurred_at,
        country=data["place"]["country"],
        place=data["place"],
        victim=data["victim"],
        ransom=data["ransom"],
        modus_operandi=data["modus_operandi"],
        national_offence_code=data["national_offence_code"],
        rules=data["rules"],
        shared_with_all=data["rules"]["distribution"]["mode"] == "all_members",
        created_at=now,
        updated_at=now,
    )


@app.post("/v1/alerts", status_code=status.HTTP_201_CREATED, response_model=AlertPublic)
def create_alert(session: SessionDep, current: CurrentAgency, alert_in: AlertCreate) -> Alert:
    alert = new_alert(current.id, alert_in, datetime.now(UTC))
    session.add(alert)
    session.commit()
    session.refresh(alert)
    return alert


@app.get("/v1/alerts/{alert_id}", response_model=AlertPublic)
def read_alert(session: SessionDep, current: CurrentAgency, alert_id: uuid.UUID) -> Alert:
    alert = session.scalars(select(Alert).where(Alert.id == alert_id, visible_to(current))).first()
    if alert is None:
        raise HTTPException(status_code=404, detail="Alert not found")
    return alert


@app.get("/v1/alerts", response_model=AlertsPublic)
def read_alerts(
    session: SessionDep,
    current: CurrentAgency,
    skip: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> AlertsPublic:
    statement = (
        select(Alert)
        .where(visible_to(current))
        .order_by(Alert.created_at.desc(), Alert.id.desc())
        .offset(skip)
        .limit(limit)
    )
    alerts = session.scalars(statement).all()
    return AlertsPublic(data=[AlertPublic.model_validate(alert) for alert in alerts])
