"""Who is calling: check a request's RFC 9421 signature against the registered key, then claim its nonce.

The checks run in a fixed order so that the reason given is the first thing wrong: signature syntax
and profile, key status, time window, signature, body digest, and last the nonce, so that a request
that fails any earlier check never uses up its nonce.
"""

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from sqlalchemy import Connection, bindparam, delete, insert, select
from sqlalchemy.exc import IntegrityError

from app.config import Settings
from app.crypto.digest import DigestError, verify_content_digest
from app.crypto.encoding import b64url_decode
from app.crypto.httpsig import HttpMessage, SignatureError, find_signature, verify
from app.crypto.profile import ACTOR_HEADER, REQUEST_TAG, check_request_profile
from app.db import Database
from app.errors import Unauthenticated
from app.models import Agency, ClaimedNonce, Credential

_ACTOR = re.compile(r"^[\x21-\x7e](?:[\x20-\x7e]{0,126}[\x21-\x7e])?$")
# Expired nonces are swept by a random 1 in this many requests, so no node needs a timer.
_SWEEP_ONE_IN = 256


@dataclass(frozen=True)
class Caller:
    """The authenticated agency key behind a request, and the person or system acting through it."""

    agency_id: str
    kid: str
    actor: str
    scopes: frozenset[str]
    encrypt_public: X25519PublicKey


@lru_cache(maxsize=4096)
def _ed25519(public_b64: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(b64url_decode(public_b64))


@lru_cache(maxsize=4096)
def _x25519(public_b64: str) -> X25519PublicKey:
    return X25519PublicKey.from_public_bytes(b64url_decode(public_b64))


_KEY_WITH_AGENCY = (
    select(
        Credential.kid,
        Credential.sign_public,
        Credential.encrypt_public,
        Credential.scopes.label("key_scopes"),
        Credential.not_before,
        Credential.expires_at,
        Credential.revoked_at,
        Agency.id.label("agency_id"),
        Agency.status.label("agency_status"),
        Agency.scopes.label("agency_scopes"),
    )
    .join(Agency, Agency.id == Credential.agency_id)
    .where(Credential.kid == bindparam("kid"))
)
_CLAIM = insert(ClaimedNonce)
_SWEEP = delete(ClaimedNonce).where(ClaimedNonce.forget_after < bindparam("now"))


def _check_key_status(key: Any, now: datetime) -> None:
    """`key` is a row of _KEY_WITH_AGENCY."""
    if key.revoked_at is not None and key.revoked_at <= now:
        raise Unauthenticated("the key has been revoked", slug="key-revoked")
    if key.not_before > now:
        raise Unauthenticated("the key is not valid yet", slug="key-not-yet-valid")
    if key.expires_at is not None and key.expires_at <= now:
        raise Unauthenticated("the key has expired", slug="key-expired")
    if key.agency_status != "active":
        raise Unauthenticated("the agency is suspended", slug="agency-suspended")


def _check_window(created: int, expires: int, now: datetime, settings: Settings) -> None:
    now_s = now.timestamp()
    if (
        created < now_s - settings.signature_max_age_seconds
        or created > now_s + settings.signature_max_skew_seconds
    ):
        raise Unauthenticated(
            f"created must lie within {settings.signature_max_age_seconds} s before and "
            f"{settings.signature_max_skew_seconds} s after the server's clock",
            slug="signature-stale",
        )
    if expires <= now_s:
        raise Unauthenticated("the signature has expired", slug="signature-expired")
    if expires <= created:
        raise Unauthenticated("expires must be after created", slug="signature-malformed")


def authenticate(db: Database, settings: Settings, request: HttpMessage, body: bytes) -> Caller:
    """Return the caller of a signed request, or raise Unauthenticated naming the first problem."""
    try:
        received = find_signature(
            request.headers.get("signature-input"), request.headers.get("signature"), tag=REQUEST_TAG
        )
        check_request_profile(received, has_body=bool(body))
    except SignatureError as exc:
        raise Unauthenticated(exc.detail, slug=exc.reason) from exc
    nonce: str = received.params["nonce"]
    if not nonce or len(nonce) > settings.nonce_max_length:
        raise Unauthenticated(
            f"the nonce must be 1 to {settings.nonce_max_length} characters", slug="nonce-invalid"
        )
    actor = request.headers.get(ACTOR_HEADER, "")
    if not _ACTOR.match(actor):
        raise Unauthenticated("kix-actor must be 1 to 128 printable ASCII characters", slug="actor-invalid")
    now = datetime.now(UTC)
    # Two single statements in autocommit mode, the nonce claim being its own transaction: this runs
    # on every request, and the ORM's unit of work or extra BEGIN/COMMIT round trips would cost more
    # than the statements themselves.
    with db.autocommit.connect() as connection:
        row = connection.execute(_KEY_WITH_AGENCY, {"kid": received.params["keyid"]}).first()
        if row is None:
            raise Unauthenticated("the signing key is not registered", slug="key-unknown")
        _check_key_status(row, now)
        _check_window(received.params["created"], received.params["expires"], now, settings)
        try:
            verify(request, received, _ed25519(row.sign_public))
            if body or "content-digest" in request.headers:
                verify_content_digest(request.headers.get("content-digest", ""), body)
        except SignatureError as exc:
            raise Unauthenticated(exc.detail, slug=exc.reason) from exc
        except DigestError as exc:
            raise Unauthenticated(exc.reason, slug="digest-mismatch") from exc
        _claim_nonce(connection, row.kid, nonce, received.params["created"], settings)
    return Caller(
        agency_id=row.agency_id,
        kid=row.kid,
        actor=actor,
        scopes=frozenset(row.key_scopes) & frozenset(row.agency_scopes),
        encrypt_public=_x25519(row.encrypt_public),
    )


def _claim_nonce(connection: Connection, kid: str, nonce: str, created: int, settings: Settings) -> None:
    """Record the nonce (autocommit: its own transaction); a second claim of the same one is a replay."""
    forget_after = datetime.fromtimestamp(created, UTC) + timedelta(
        seconds=settings.signature_max_age_seconds + 1
    )
    try:
        connection.execute(_CLAIM, {"kid": kid, "nonce": nonce, "forget_after": forget_after})
    except IntegrityError as exc:
        raise Unauthenticated("this nonce was already used with this key", slug="nonce-replayed") from exc
    if secrets.randbelow(_SWEEP_ONE_IN) == 0:
        connection.execute(_SWEEP, {"now": datetime.now(UTC)})
