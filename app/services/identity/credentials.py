"""Agency credentials: registering public keys, narrowing their scopes, revoking them."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.crypto.keys import KeyFormatError, ed25519_public_from_jwk, x25519_public_from_jwk
from app.errors import Conflict, NotFound, ValidationFailed
from app.models import Credential
from app.models.base import utcnow
from app.schemas.agencies import CredentialCreate, CredentialScopesUpdate
from app.schemas.events import EventType
from app.services.events.outbox import emit
from app.services.identity.agencies import get_agency


def register_credential(session: Session, agency_id: str, data: CredentialCreate) -> Credential:
    agency = get_agency(session, agency_id)
    try:
        ed25519_public_from_jwk(data.sign)
        x25519_public_from_jwk(data.encrypt)
    except KeyFormatError as exc:
        raise ValidationFailed(f"public key: {exc}") from exc
    if any(name in jwk for jwk in (data.sign, data.encrypt) for name in ("d", "p", "q", "k")):
        raise ValidationFailed("a private key was sent: register public JWKs only, and replace this key pair")
    granted = {scope.value for scope in data.scopes}
    beyond = sorted(granted - set(agency.scopes))
    if beyond:
        raise ValidationFailed(f"scopes beyond the agency's allowance: {', '.join(beyond)}")
    if session.get(Credential, data.kid) is not None:
        raise Conflict(f"key id {data.kid!r} is already registered")
    not_before = data.not_before or utcnow()
    if data.expires_at is not None and data.expires_at <= not_before:
        raise ValidationFailed("expires_at must be after not_before")
    credential = Credential(
        kid=data.kid,
        agency_id=agency.id,
        sign_public=data.sign["x"],
        encrypt_public=data.encrypt["x"],
        scopes=sorted(granted),
        not_before=not_before,
        expires_at=data.expires_at,
        revoked_at=None,
    )
    session.add(credential)
    session.flush()
    return credential


def get_credential(session: Session, kid: str) -> Credential:
    credential = session.get(Credential, kid)
    if credential is None:
        raise NotFound(f"no key {kid!r}")
    return credential


def list_credentials(session: Session, agency_id: str) -> Sequence[Credential]:
    get_agency(session, agency_id)
    query = select(Credential).where(Credential.agency_id == agency_id).order_by(Credential.created_at)
    return session.scalars(query).all()


def narrow_scopes(session: Session, kid: str, data: CredentialScopesUpdate) -> Credential:
    credential = get_credential(session, kid)
    wanted = {scope.value for scope in data.scopes}
    beyond = sorted(wanted - set(credential.scopes))
    if beyond:
        raise ValidationFailed(f"scopes can only be narrowed; not held now: {', '.join(beyond)}")
    credential.scopes = sorted(wanted)
    _announce(session, credential, "narrowed", utcnow())
    session.flush()
    return credential


def revoke_credential(session: Session, kid: str, *, at: datetime | None = None) -> Credential:
    credential = get_credential(session, kid)
    if credential.revoked_at is None:
        credential.revoked_at = at or utcnow()
        _announce(session, credential, "revoked", credential.revoked_at)
        session.flush()
    return credential


def _announce(session: Session, credential: Credential, change: str, now: datetime) -> None:
    data = {"kid": credential.kid, "change": change, "scopes": credential.scopes}
    emit(session, [credential.agency_id], EventType.KEY_STATUS_CHANGED, now=now, data=data)
