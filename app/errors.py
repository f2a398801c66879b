"""KIX's problem types (RFC 9457), one exception class each.

Services raise these; the API layer turns them into problem+json. Each has a stable `type` URI, declared
in the OpenAPI spec, so clients branch on it without parsing prose; a mistyped class name fails
type-checking, where a mistyped string would have reached a client.
"""

from typing import Any, ClassVar

PROBLEM_BASE = "urn:kix:problem:"


class KixError(Exception):
    """An error with a problem type; `detail` is safe to show to the caller (no internals, no secrets).
    `extra` members are added to the problem body (RFC 9457 extensions)."""

    slug: ClassVar[str] = "internal-error"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"

    def __init__(
        self, detail: str, *, headers: dict[str, str] | None = None, extra: dict[str, Any] | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra or {}

    @classmethod
    def uri(cls) -> str:
        return PROBLEM_BASE + cls.slug


# ---------------------------------------------------------------- the request as a whole
class BadRequest(KixError):
    slug, status, title = "bad-request", 400, "The request is malformed"


class BodyUndecryptable(KixError):
    slug, status, title = "body-undecryptable", 400, "The body is not a JWE this server can decrypt"


class InvalidCursor(KixError):
    slug, status, title = "invalid-cursor", 400, "The pagination cursor is not valid"


class Forbidden(KixError):
    slug, status, title = (
        "forbidden",
        403,
        "The key lacks the scope this operation needs, or the caller may not act",
    )


class NotFound(KixError):
    slug, status, title = "not-found", 404, "No such resource, or not visible to the caller"


class MethodNotAllowed(KixError):
    slug, status, title = "method-not-allowed", 405, "Method not allowed on this resource"


class Conflict(KixError):
    slug, status, title = "conflict", 409, "The request conflicts with the current state"


class InvalidTransition(KixError):
    slug, status, title = "invalid-transition", 409, "The current state does not allow this change"


class Gone(KixError):
    slug, status, title = "gone", 410, "The record was purged: its data key is destroyed"


class PreconditionFailed(KixError):
    slug, status, title = "precondition-failed", 412, "If-Match does not name the record's current version"


class BodyTooLarge(KixError):
    slug, status, title = "body-too-large", 413, "The request body exceeds the size limit"


class PlaintextRefused(KixError):
    slug, status, title = "plaintext-refused", 415, "Bodies must be JWE (application/jose)"


class ValidationFailed(KixError):
    slug, status, title = "validation-failed", 422, "The body or parameters fail validation"


class IdempotencyKeyReused(KixError):
    slug, status, title = (
        "idempotency-key-reused",
        422,
        "This Idempotency-Key was used for a different request",
    )


class PreconditionRequired(KixError):
    slug, status, title = "precondition-required", 428, "Changing a record needs If-Match with its ETag"


class RateLimited(KixError):
    slug, status, title = "rate-limited", 429, "Too many requests: see Retry-After"


class InternalError(KixError):
    pass


class DataIntegrity(KixError):
    slug, status, title = "data-integrity", 500, "Stored data fails its integrity check and is not returned"


class ServiceUnavailable(KixError):
    slug, status, title = "service-unavailable", 503, "The service is not ready"


class DatabaseUnavailable(ServiceUnavailable):
    """The database can not be reached, or refuses writes (down, read-only, full, locked past the wait):
    nothing was done, and the same request may be sent again after Retry-After."""

    slug, status, title = "database-unavailable", 503, "The database is unavailable: retry later"


# ---------------------------------------------------------------- 401: why a request was not authenticated
class Unauthenticated(KixError):
    """A request that is not authenticated. `reason` is the precise cause, for the server's log and
    metrics only: the client is told no more than its signature proves it may know."""

    slug, status, title = "signature-missing", 401, "The request is not signed"

    def __init__(self, detail: str, *, reason: str | None = None) -> None:
        super().__init__(detail)
        self.reason = reason or self.slug


class SignatureMissing(Unauthenticated):
    pass


class SignatureMalformed(Unauthenticated):
    slug, title = "signature-malformed", "The signature fields are malformed"


class TagMissing(Unauthenticated):
    slug, title = "tag-missing", 'No signature carries tag="kix-request"'


class ComponentMissing(Unauthenticated):
    slug, title = "component-missing", "The signature does not cover a required component"


class ComponentUnsupported(Unauthenticated):
    slug, title = "component-unsupported", "The signature covers an unsupported component"


class SignatureInvalid(Unauthenticated):
    slug, title = "signature-invalid", "The signature does not verify under a registered key"


class KeyRevoked(Unauthenticated):
    slug, title = "key-revoked", "The signing key has been revoked"


class KeyExpired(Unauthenticated):
    slug, title = "key-expired", "The signing key has expired"


class KeyNotYetValid(Unauthenticated):
    slug, title = "key-not-yet-valid", "The signing key is not valid yet"


class AgencySuspended(Unauthenticated):
    slug, title = "agency-suspended", "The key's agency is suspended"


class SignatureStale(Unauthenticated):
    slug, title = "signature-stale", "The signature's created time is outside the acceptance window"


class SignatureExpired(Unauthenticated):
    slug, title = "signature-expired", "The signature has expired"


class DigestMismatch(Unauthenticated):
    slug, title = "digest-mismatch", "Content-Digest is missing, malformed or does not match the body"


class NonceInvalid(Unauthenticated):
    slug, title = "nonce-invalid", "The nonce is empty or too long"


class NonceReplayed(Unauthenticated):
    slug, title = "nonce-replayed", "The nonce was already used with this key"


class ActorInvalid(Unauthenticated):
    slug, title = "actor-invalid", "The kix-actor header is missing or malformed"


def _catalogue(base: type[KixError]) -> list[type[KixError]]:
    found: list[type[KixError]] = []
    for subclass in base.__subclasses__():
        found.append(subclass)
        found.extend(_catalogue(subclass))
    return found


# Every problem type a client can meet, by slug (the OpenAPI spec lists them).
PROBLEM_TYPES: dict[str, type[KixError]] = {error.slug: error for error in _catalogue(KixError)}
# 401 classes by the reason codes the signature checks (app.crypto.httpsig) give.
UNAUTHENTICATED: dict[str, type[Unauthenticated]] = {
    error.slug: error for error in PROBLEM_TYPES.values() if issubclass(error, Unauthenticated)
}
