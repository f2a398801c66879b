"""Who is calling: check a request's RFC 9421 signature against the registered key, then claim its nonce.

What a refusal says depends on what the request has proven: before its signature verifies, nothing about
the key (an unknown key id and a bad signature get the same answer); after, the key's precise status.
The precise reason always goes to the server's log and metrics.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from sqlalchemy import Connection, bindparam, delete, insert, select
from sqlalchemy.exc import IntegrityError

from app.config import Settings
from app.crypto.digest import DigestError, verify_content_digest
from app.crypto.encoding import b64url_decode
from app.crypto.httpsig import HttpMessage, ReceivedSignature, SignatureError, find_signature, verify
from app.crypto.profile import ACTOR_HEADER, REQUEST_TAG, check_request_profile
from app.db import Database
from app.errors import (
    UNAUTHENTICATED,
    ActorInvalid,
    AgencySuspended,
    DigestMismatch,
    KeyExpired,
    KeyNotYetValid,
    KeyRevoked,
    NonceInvalid,
    NonceReplayed,
    SignatureExpired,
    SignatureInvalid,
    SignatureMalformed,
    SignatureStale,
)
from app.models import Agency, ClaimedNonce, Credential

_ACTOR = re.compile(r"^[\x21-\x7e](?:[\x20-\x7e]{0,126}[\x21-\x7e])?$")
# Kept a little longer than any node could accept a signature, for the time a sweep takes.
NONCE_MARGIN_SECONDS = 5
# Stands in for an unknown key id, so its requests cost a verification too (see _verify_signature).
_UNKNOWN_KEY = Ed25519PrivateKey.generate().public_key()


@dataclass(frozen=True)
class Caller:
    """The authenticated agency key behind a request, and the person or system acting through it."""

    agency_id: str
    kid: str
    actor: str
    scopes: frozenset[str]
    encrypt_public: X25519PublicKey
    agency_kind: str = ""  # police, fiu, ..., private_partner (read with the key, on every request)


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
        Agency.kind.label("agency_kind"),
    )
    .join(Agency, Agency.id == Credential.agency_id)
    .where(Credential.kid == bindparam("kid"))
)
_CLAIM = insert(ClaimedNonce)


def _check_key_status(key: Any, now: datetime) -> None:
    """`key` is a row of _KEY_WITH_AGENCY. Told only to a request whose signature verified under it."""
    if key.revoked_at is not None and key.revoked_at <= now:
        raise KeyRevoked("the key has been revoked")
    if key.not_before > now:
        raise KeyNotYetValid("the key is not valid yet")
    if key.expires_at is not None and key.expires_at <= now:
        raise KeyExpired("the key has expired")
    if key.agency_status != "active":
        raise AgencySuspended("the agency is suspended")


def _check_window(created: int, expires: int, now: datetime, settings: Settings) -> None:
    now_s = now.timestamp()
    if (
        created < now_s - settings.signature_max_age_seconds
        or created > now_s + settings.signature_max_skew_seconds
    ):
        raise SignatureStale(
            f"created must lie within {settings.signature_max_age_seconds} s before and "
            f"{settings.signature_max_skew_seconds} s after the server's clock"
        )
    if expires <= now_s:
        raise SignatureExpired("the signature has expired")
    if expires <= created:
        raise SignatureMalformed("expires must be after created")


def _verify_signature(key: Any, request: HttpMessage, received: ReceivedSignature) -> None:
    """Verify under the registered key, or (unknown key id) under a key nobody holds, so that an unknown
    key and a bad signature take the same time and get the same answer: key ids can not be probed."""
    public = _UNKNOWN_KEY if key is None else _ed25519(key.sign_public)
    try:
        verify(request, received, public)
    except SignatureError as exc:
        raise SignatureInvalid(
            "the signature does not verify under a registered key",
            reason="key-unknown" if key is None else exc.reason,
        ) from exc


def authenticate(
    connection: Connection, settings: Settings, request: HttpMessage, body: bytes, now: datetime
) -> Caller:
    """Return the caller of a signed request, or raise Unauthenticated naming the first problem.

    Order: the signature's syntax and profile, then the signature itself (so only a holder of the key
    learns anything about it), then the key's status, the time window, the body digest, and last the
    nonce, so that a request failing any earlier check never uses up its nonce. `connection` commits
    each statement on its own or is in a transaction its caller commits (Database.relaxed_statements):
    the nonce is claimed at that commit. The key is read on every request, never cached, so a revocation
    or a suspension takes effect on the next request on every node.
    """
    try:
        received = find_signature(
            request.headers.get("signature-input"), request.headers.get("signature"), tag=REQUEST_TAG
        )
        check_request_profile(received, has_body=bool(body), headers=request.headers)
    except SignatureError as exc:
        raise UNAUTHENTICATED[exc.reason](exc.detail) from exc
    nonce: str = received.params["nonce"]
    if not nonce or len(nonce) > settings.nonce_max_length:
        raise NonceInvalid(f"the nonce must be 1 to {settings.nonce_max_length} characters")
    actor = request.headers.get(ACTOR_HEADER, "")
    if not _ACTOR.match(actor):
        raise ActorInvalid("kix-actor must be 1 to 128 printable ASCII characters")
    # Core statements, not the ORM: this runs on every request, and its unit of work would cost more
    # than the statements themselves.
    key = connection.execute(_KEY_WITH_AGENCY, {"kid": received.params["keyid"]}).first()
    _verify_signature(key, request, received)
    if key is None:  # unreachable: nobody holds the private half of the stand-in key
        raise SignatureInvalid("the signature does not verify under a registered key", reason="key-unknown")
    _check_key_status(key, now)
    _check_window(received.params["created"], received.params["expires"], now, settings)
    if body or "content-digest" in request.headers:
        try:
            verify_content_digest(request.headers.get("content-digest", ""), body)
        except DigestError as exc:
            raise DigestMismatch(exc.reason) from exc
    _claim_nonce(connection, key.kid, nonce, received.params["created"], settings)
    return Caller(
        agency_id=key.agency_id,
        kid=key.kid,
        actor=actor,
        scopes=frozenset(key.key_scopes) & frozenset(key.agency_scopes),
        encrypt_public=_x25519(key.encrypt_public),
        agency_kind=key.agency_kind,
    )


def nonce_forget_after(created: int, settings: Settings) -> datetime:
    """Until when a nonce must be kept: as long as any node could still accept its signature. A node
    whose clock runs up to max_skew behind accepts it until created + max_age + max_skew (its own
    clock reading created + max_age), so the nonce outlives that, measured from `created` and not from
    the clock of whichever node sweeps."""
    lifetime = settings.signature_max_age_seconds + settings.signature_max_skew_seconds + NONCE_MARGIN_SECONDS
    return datetime.fromtimestamp(created, UTC) + timedelta(seconds=lifetime)


def _claim_nonce(connection: Connection, kid: str, nonce: str, created: int, settings: Settings) -> None:
    """Record the nonce; a second claim of the same one is a replay (the unique key refuses it, whichever
    node claimed it first)."""
    forget_after = nonce_forget_after(created, settings)
    try:
        connection.execute(_CLAIM, {"kid": kid, "nonce": nonce, "forget_after": forget_after})
    except IntegrityError as exc:
        raise NonceReplayed("this nonce was already used with this key") from exc


def sweep_nonces(db: Database, now: datetime) -> int:
    """Forget nonces whose signatures no node can accept any more (a scheduled job)."""
    with db.autocommit.connect() as connection:
        result = connection.execute(delete(ClaimedNonce).where(ClaimedNonce.forget_after < now))
    return int(result.rowcount)
