"""Who is calling: check a request's RFC 9421 signature against the registered key, then claim its nonce.

What a refusal says depends on what the request has proven: before its signature verifies, nothing about
the key (an unknown key id and a bad signature get the same answer); after, the key's precise status.
The precise reason always goes to the server's log and metrics.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from sqlalchemy import (
    Connection,
    Select,
    delete,
)
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
    Unauthenticated,
)
from app.models import ClaimedNonce
from app.services.budgets import Draw
from app.services.identity.admission_sql import CLAIM, KEY_WITH_AGENCY, one_statement, one_statement_values
from app.services.identity.known_keys import KnownKey, KnownKeys

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


@dataclass(frozen=True)
class OneStatement:
    """PostgreSQL: a request's admission in one round trip. Its signature is verified under the key as
    this node knows it (`known_keys`; read first, once, for a key not known yet), then one statement reads
    the key's row, claims the nonce if the key may sign now, and takes the rate-limit draws
    (`draws_for(agency, kid)`) if the nonce was claimed, where four statements took a round trip each."""

    known_keys: KnownKeys
    draws_for: Callable[[str, str], list[Draw]]


@dataclass(frozen=True)
class Admission:
    """An authenticated caller, and, when they were drawn with the nonce claim, the rate-limit draws and
    what each left (None where the bucket was short: budgets.settle gives back the others and refuses)."""

    caller: Caller
    draws: list[Draw] = field(default_factory=list)
    left: list[float | None] = field(default_factory=list)


def _check_key_status(key: Any, now: datetime) -> None:
    """`key` is a row of KEY_WITH_AGENCY. Told only to a request whose signature verified under it."""
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
    connection: Connection,
    settings: Settings,
    request: HttpMessage,
    body: bytes,
    now: datetime,
    *,
    in_one_statement: OneStatement | None = None,
) -> Admission:
    """The caller of a signed request, or Unauthenticated naming the first problem.

    Order: the signature's syntax and profile, then the signature itself (so only a holder of the key
    learns anything about it), then the key's status, the time window, the body digest, and last the
    nonce, so that a request failing any earlier check never uses up its nonce. `connection` commits
    each statement on its own or is in a transaction its caller commits (Database.relaxed_connection):
    the nonce is claimed at that commit. The key's status is read on every request, never cached, so a
    revocation or a suspension takes effect on the next request on every node.

    `in_one_statement` (PostgreSQL): the key's status is read, the nonce claimed and the rate limits
    drawn in one statement, after the signature is verified under the key's public half as this node
    last read it (see OneStatement); the admission then says what each draw left. The channel runs
    that statement straight through the driver (prepare_kept, conclude_kept); this function is the
    whole of it on one connection, and what decides the other cases (a key not kept yet, a signature
    refused under the kept key, a key changed since).
    """
    if in_one_statement is not None:
        try:
            prepared = prepare_kept(settings, request, body, now, in_one_statement)
        except RefusedUnderKept as refused:
            return after_refusal_under_kept(connection, settings, request, body, now, refused)
        if prepared is not None:
            row = connection.execute(prepared.statement, prepared.values).first()
            admission = conclude_kept(prepared, row, now)
            if admission is not None:
                return admission
    return _reading_the_key(connection, settings, request, body, now, in_one_statement)


@dataclass(frozen=True)
class Prepared:
    """A request whose signature verified under its key as this node keeps it (OneStatement): the one
    statement to run for it (`statement` with `values`), and what conclude_kept needs to read its row."""

    kid: str
    known: KnownKey
    actor: str
    late: Unauthenticated | None
    draws: list[Draw]
    in_one_statement: OneStatement
    statement: Select[Any]
    values: dict[str, object]


class RefusedUnderKept(Exception):  # noqa: N818 - an outcome, handled where it is raised
    """The signature does not verify under the key as this node keeps it: after_refusal_under_kept then
    reads the key as it is now, and decides."""

    def __init__(self, kid: str, known: KnownKey, refusal: SignatureInvalid, one: OneStatement) -> None:
        super().__init__(kid)
        self.kid, self.known, self.refusal, self.in_one_statement = kid, known, refusal, one


def prepare_kept(
    settings: Settings, request: HttpMessage, body: bytes, now: datetime, in_one_statement: OneStatement
) -> Prepared | None:
    """Parse the request and verify its signature under the key as this node keeps it, asking the
    database nothing: the one statement to run then (Prepared), None if this node keeps no key of that id,
    a refusal (Unauthenticated) for a malformed signature, or RefusedUnderKept."""
    received, nonce, actor = _parse(request, body, settings)
    kid = received.params["keyid"]
    known = in_one_statement.known_keys.get(kid)
    if known is None:
        return None
    try:
        _verify_signature(known, request, received)
    except SignatureInvalid as refusal:
        raise RefusedUnderKept(kid, known, refusal, in_one_statement) from refusal
    late = _late_problem(received, request, body, now, settings)
    forget_after = nonce_forget_after(received.params["created"], settings)
    draws = in_one_statement.draws_for(known.agency_id, kid)
    values = one_statement_values(kid, known, nonce, forget_after, now, claim=late is None, draws=draws)
    return Prepared(kid, known, actor, late, draws, in_one_statement, one_statement(len(draws)), values)


def conclude_kept(prepared: Prepared, row: Any, now: datetime) -> Admission | None:
    """The admission the one statement's `row` gives, or None if the key is gone or is not what this node
    kept (a key id is never given to another key, so this should not happen): the kept key is then
    forgotten, and nothing was claimed or drawn; authenticate decides afresh, from the key as it is now."""
    if row is None or KnownKey(row.sign_public, row.agency_id) != prepared.known:
        prepared.in_one_statement.known_keys.forget(prepared.kid)
        return None
    return _admitted(prepared, row, now)


def after_refusal_under_kept(
    connection: Connection,
    settings: Settings,
    request: HttpMessage,
    body: bytes,
    now: datetime,
    refused: RefusedUnderKept,
) -> Admission:
    """A signature refused under the key as this node kept it: read the key as it is now, as an unknown
    key id's request does (so a kept key id can not be told from an unknown one by timing), and decide
    afresh if what was kept is stale; else refuse."""
    fresh = connection.execute(KEY_WITH_AGENCY, {"kid": refused.kid}).first()
    if fresh is None or KnownKey(fresh.sign_public, fresh.agency_id) != refused.known:
        refused.in_one_statement.known_keys.forget(refused.kid)
        if fresh is not None:
            return _reading_the_key(connection, settings, request, body, now, refused.in_one_statement)
    raise refused.refusal


def _reading_the_key(
    connection: Connection,
    settings: Settings,
    request: HttpMessage,
    body: bytes,
    now: datetime,
    in_one_statement: OneStatement | None,
) -> Admission:
    """authenticate with the key read from the database first (its id's first request on this node, or
    SQLite, where every statement is a local call)."""
    received, nonce, actor = _parse(request, body, settings)
    kid = received.params["keyid"]
    key = connection.execute(KEY_WITH_AGENCY, {"kid": kid}).first()
    known = None if key is None else KnownKey(key.sign_public, key.agency_id)
    _verify_signature(known, request, received)
    if known is None:  # unreachable: nobody holds the private half of the stand-in key
        raise SignatureInvalid("the signature does not verify under a registered key", reason="key-unknown")
    late = _late_problem(received, request, body, now, settings)
    forget_after = nonce_forget_after(received.params["created"], settings)
    if in_one_statement is None:
        _check_key_status(key, now)
        if late is not None:
            raise late
        _claim_nonce(connection, kid, nonce, forget_after)
        return Admission(_caller(key, actor))
    draws = in_one_statement.draws_for(known.agency_id, kid)
    values = one_statement_values(kid, known, nonce, forget_after, now, claim=late is None, draws=draws)
    prepared = Prepared(kid, known, actor, late, draws, in_one_statement, one_statement(len(draws)), values)
    admission = conclude_kept(prepared, connection.execute(prepared.statement, values).first(), now)
    if admission is None:  # changed between two statements a moment apart: refused, never retried
        raise SignatureInvalid("the signature does not verify under a registered key", reason="key-unknown")
    return admission


def _admitted(prepared: Prepared, row: Any, now: datetime) -> Admission:
    """The admission the one statement's `row` gives, the key being as this node knows it."""
    prepared.in_one_statement.known_keys.remember(prepared.kid, prepared.known)
    _check_key_status(row, now)
    if prepared.late is not None:
        raise prepared.late
    if not row.claimed:
        raise NonceReplayed("this nonce was already used with this key")
    left = [getattr(row, f"draw{number}_left") for number in range(len(prepared.draws))]
    return Admission(_caller(row, prepared.actor), prepared.draws, left)


def _parse(request: HttpMessage, body: bytes, settings: Settings) -> tuple[ReceivedSignature, str, str]:
    """The request's signature, its nonce and its actor, checked for form only."""
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
    return received, nonce, actor


def _late_problem(
    received: ReceivedSignature, request: HttpMessage, body: bytes, now: datetime, settings: Settings
) -> Unauthenticated | None:
    """What is wrong with the signature's time window or the body's digest, if anything: told only after
    the key's status, though known before it."""
    try:
        _check_window(received.params["created"], received.params["expires"], now, settings)
        if body or "content-digest" in request.headers:
            try:
                verify_content_digest(request.headers.get("content-digest", ""), body)
            except DigestError as exc:
                raise DigestMismatch(exc.reason) from exc
    except Unauthenticated as problem:
        return problem
    return None


def _caller(key: Any, actor: str) -> Caller:
    """`key` is a row with KEY_WITH_AGENCY's columns."""
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


def _claim_nonce(connection: Connection, kid: str, nonce: str, forget_after: datetime) -> None:
    """Record the nonce; a second claim of the same one is a replay (the unique key refuses it, whichever
    node claimed it first)."""
    try:
        connection.execute(CLAIM, {"kid": kid, "nonce": nonce, "forget_after": forget_after})
    except IntegrityError as exc:
        raise NonceReplayed("this nonce was already used with this key") from exc


def sweep_nonces(db: Database, now: datetime) -> int:
    """Forget nonces whose signatures no node can accept any more (a scheduled job)."""
    with db.autocommit.connect() as connection:
        result = connection.execute(delete(ClaimedNonce).where(ClaimedNonce.forget_after < now))
    return int(result.rowcount)
