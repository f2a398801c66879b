"""KIX's domain errors and the catalogue of RFC 9457 problem types.

Services raise these; the API layer turns them into problem+json. Each problem has a stable `type`
URI, declared in the OpenAPI spec, so clients can branch on it without parsing prose.
"""

from dataclasses import dataclass

PROBLEM_BASE = "urn:kix:problem:"


@dataclass(frozen=True)
class ProblemType:
    slug: str
    status: int
    title: str

    @property
    def uri(self) -> str:
        return PROBLEM_BASE + self.slug


_CATALOGUE = [
    # 400-range refusals of the request as a whole
    ProblemType("bad-request", 400, "The request is malformed"),
    ProblemType("body-undecryptable", 400, "The body is not a JWE this server can decrypt"),
    ProblemType("invalid-cursor", 400, "The pagination cursor is not valid"),
    ProblemType(
        "forbidden", 403, "The key lacks the scope this operation needs, or the caller is not the owner"
    ),
    ProblemType("not-found", 404, "No such resource, or not visible to the caller"),
    ProblemType("method-not-allowed", 405, "Method not allowed on this resource"),
    ProblemType("conflict", 409, "The request conflicts with the current state"),
    ProblemType("invalid-transition", 409, "The record's lifecycle does not allow this status change"),
    ProblemType("precondition-failed", 412, "If-Match does not name the record's current version"),
    ProblemType("precondition-required", 428, "Changing a record needs If-Match with its ETag"),
    ProblemType("idempotency-key-reused", 422, "This Idempotency-Key was used for a different request"),
    ProblemType("body-too-large", 413, "The request body exceeds the size limit"),
    ProblemType("plaintext-refused", 415, "Bodies must be JWE (application/jose)"),
    ProblemType("rate-limited", 429, "Too many requests: see Retry-After"),
    ProblemType("validation-failed", 422, "The body or parameters fail validation"),
    ProblemType("internal-error", 500, "Internal error"),
    ProblemType("data-integrity", 500, "Stored data fails its integrity check and is not returned"),
    ProblemType("gone", 410, "The record was purged: its data key is destroyed"),
    ProblemType("service-unavailable", 503, "The service is not ready"),
    # 401: why a request was not authenticated, one type per reason
    ProblemType("signature-missing", 401, "The request is not signed"),
    ProblemType("signature-malformed", 401, "The signature fields are malformed"),
    ProblemType("tag-missing", 401, 'No signature carries tag="kix-request"'),
    ProblemType("component-missing", 401, "The signature does not cover a required component"),
    ProblemType("component-unsupported", 401, "The signature covers an unsupported component"),
    ProblemType("key-unknown", 401, "The signing key is not registered"),
    ProblemType("key-revoked", 401, "The signing key has been revoked"),
    ProblemType("key-expired", 401, "The signing key has expired"),
    ProblemType("key-not-yet-valid", 401, "The signing key is not valid yet"),
    ProblemType("agency-suspended", 401, "The key's agency is suspended"),
    ProblemType("signature-stale", 401, "The signature's created time is outside the acceptance window"),
    ProblemType("signature-expired", 401, "The signature has expired"),
    ProblemType("signature-invalid", 401, "The signature does not verify"),
    ProblemType("digest-mismatch", 401, "Content-Digest is missing, malformed or does not match the body"),
    ProblemType("nonce-invalid", 401, "The nonce is empty or too long"),
    ProblemType("nonce-replayed", 401, "The nonce was already used with this key"),
    ProblemType("actor-invalid", 401, "The kix-actor header is missing or malformed"),
]
PROBLEM_TYPES: dict[str, ProblemType] = {problem.slug: problem for problem in _CATALOGUE}


class KixError(Exception):
    """An error with a problem type; `detail` is safe to show to the caller (no internals, no secrets)."""

    slug = "internal-error"

    def __init__(
        self, detail: str, *, slug: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.headers = headers or {}
        if slug is not None:
            if slug not in PROBLEM_TYPES:
                raise ValueError(f"unknown problem type {slug!r}")
            self.slug = slug
        self.detail = detail

    @property
    def problem(self) -> ProblemType:
        return PROBLEM_TYPES[self.slug]

    @property
    def status(self) -> int:
        return self.problem.status


class Unauthenticated(KixError):
    slug = "signature-missing"


class Forbidden(KixError):
    slug = "forbidden"


class NotFound(KixError):
    slug = "not-found"


class Conflict(KixError):
    slug = "conflict"


class BadRequest(KixError):
    slug = "bad-request"


class ValidationFailed(KixError):
    slug = "validation-failed"
