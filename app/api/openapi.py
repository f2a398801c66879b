"""OpenAPI additions: the RFC 9421 security scheme, the scopes each route needs, every problem type."""

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from app.api.deps import SCOPES_ATTRIBUTE
from app.crypto.jwe import MEDIA_TYPE as JOSE_MEDIA_TYPE
from app.crypto.keys import JWE_ALG, JWE_ENC, SIGNATURE_ALG
from app.crypto.profile import (
    ACTOR_HEADER,
    COVERED_WHEN_PRESENT,
    LABEL,
    REQUEST_LIFETIME_SECONDS,
    REQUEST_TAG,
    REQUIRED_REQUEST_PARAMS,
    RESPONSE_TAG,
)
from app.errors import PROBLEM_TYPES

SCHEME = "kixSignature"


def iter_api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """Every APIRoute of an app, descending into included routers.

    Recent FastAPI keeps an included router as one wrapper route (holding `original_router`) instead
    of copying its routes into the app. KIX routers carry their full prefix themselves, so the paths
    found inside are the served paths.
    """
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        nested = getattr(route, "original_router", None)
        if nested is not None:
            yield from iter_api_routes(nested.routes)


def route_scopes(route: APIRoute) -> tuple[str, ...] | None:
    """The scopes a route's caller dependency demands, or None when it has no caller dependency."""
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        if dependant.call is not None and hasattr(dependant.call, SCOPES_ATTRIBUTE):
            scopes: tuple[str, ...] = getattr(dependant.call, SCOPES_ATTRIBUTE)
            return scopes
        pending.extend(dependant.dependencies)
    return None


def customise_openapi(
    schema: dict[str, Any], routes: list[BaseRoute], public_paths: frozenset[str]
) -> dict[str, Any]:
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})[SCHEME] = {
        # OpenAPI has no scheme for HTTP message signatures: the closest is an apiKey header, and the
        # profile a client must follow is spelled out here and, for tools, in x-kix-profile.
        "type": "apiKey",
        "in": "header",
        "name": "Signature",
        "description": (
            "RFC 9421 HTTP Message Signature (Signature and Signature-Input headers) by the agency key, "
            f"label `{LABEL}`, tag `{REQUEST_TAG}`, alg `{SIGNATURE_ALG}`, parameters "
            f"{', '.join(REQUIRED_REQUEST_PARAMS)} all required: created no older than the server's "
            "signature_max_age_seconds (60 by default) and expires still ahead (the SDK signs for "
            f"{REQUEST_LIFETIME_SECONDS} s), a fresh nonce each time. Covered: @method, @target-uri, "
            f"`{ACTOR_HEADER}` (1 to 128 printable ASCII characters naming the person or system acting), "
            "content-type and content-digest (RFC 9530 sha-256) when there is a body, and each of "
            f"{', '.join(COVERED_WHEN_PRESENT)} the request carries. A body is a JWE compact serialisation "
            f"(`application/jose`, {JWE_ALG} / {JWE_ENC}) to the server's X25519 key, whose protected header "
            "carries `kid` (the server's key id, shared by its signing and encryption keys: pick the key by "
            "curve in /.well-known/kix-keys) and `skid` (the signature's keyid). Every response is signed "
            f"by the server (tag `{RESPONSE_TAG}`, covering @status, content-type, content-digest and, "
            "with ;req, the request's @method, @target-uri, signature and signature-input) and encrypted "
            "to the calling key's X25519 key; in development only (KIX_ALLOW_PLAINTEXT), a request with "
            "`Accept: application/json` and no `application/jose` gets plain JSON, still signed."
        ),
        "x-kix-profile": {
            "label": LABEL,
            "request_tag": REQUEST_TAG,
            "response_tag": RESPONSE_TAG,
            "alg": SIGNATURE_ALG,
            "required_parameters": list(REQUIRED_REQUEST_PARAMS),
            "sdk_lifetime_seconds": REQUEST_LIFETIME_SECONDS,
            "covered_always": ["@method", "@target-uri", ACTOR_HEADER],
            "covered_with_body": ["content-type", "content-digest"],
            "covered_when_present": list(COVERED_WHEN_PRESENT),
            "body_media_type": JOSE_MEDIA_TYPE,
            "jwe": {"alg": JWE_ALG, "enc": JWE_ENC, "header": {"kid": "server key id", "skid": "keyid"}},
            "server_keys": "/.well-known/kix-keys",
        },
    }
    schemas = components.setdefault("schemas", {})
    schemas["ProblemType"] = {
        "type": "string",
        "enum": [problem.uri() for problem in PROBLEM_TYPES.values()],
        "description": "\n".join(f"- `{p.uri()}` ({p.status}): {p.title}" for p in PROBLEM_TYPES.values()),
    }
    schemas["Problem"] = {
        "type": "object",
        "description": "RFC 9457 problem details (application/problem+json)",
        "required": ["type", "title", "status"],
        "properties": {
            "type": {"$ref": "#/components/schemas/ProblemType"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
            "errors": {"type": "array", "items": {"type": "object"}},
        },
    }
    problem_content = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    components["headers"] = RESPONSE_HEADERS
    # Each problem status described once, and referenced by every operation that may answer it.
    components["responses"] = {
        f"Problem{code}": {
            "description": description,
            "headers": _headers(code, ""),
            "content": problem_content,
        }
        for code, description in PROBLEM_STATUSES.items()
    }
    for route in iter_api_routes(routes):
        if route.path in public_paths:
            for method in route.methods or ():
                for code, response in schema["paths"][route.path_format][method.lower()]["responses"].items():
                    if code[0] in "45":
                        response["content"] = problem_content
            continue
        scopes = route_scopes(route) or ()
        for method in route.methods or ():
            operation = schema["paths"][route.path_format][method.lower()]
            operation["security"] = [{SCHEME: list(scopes)}]
            responses = operation.setdefault("responses", {})
            for code in _statuses(method, operation):
                responses.setdefault(code, {"$ref": f"#/components/responses/Problem{code}"})
            for code, response in responses.items():
                if "$ref" in response:
                    continue
                response["headers"] = _headers(code, method)
                if code[0] in "45":
                    response["content"] = problem_content
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    return schema


# What each problem status means, wherever it is answered.
PROBLEM_STATUSES = {
    "400": "Malformed: a body that is not a JWE this server can decrypt, a bad cursor, bad parameters",
    "401": "Not authenticated: the problem type names why",
    "403": "The key lacks a required scope, or the caller may not act",
    "404": "Not found, or not visible to the caller",
    "409": "Conflicts with the current state: a duplicate, a decision already taken, or the same "
    "Idempotency-Key still in progress",
    "410": "The record was purged: only its tombstone remains",
    "412": "If-Match does not name the current version: read it again",
    "413": "Body over the size limit",
    "415": "A plaintext body where a JWE (application/jose) is required",
    "422": "Validation failed: `errors` lists each field",
    "428": "If-Match is required to change this resource",
    "429": "A rate limit or budget is spent: see Retry-After",
    "500": "Stored data failed its integrity check (data-integrity: nothing of it is returned), or an "
    "internal error",
    "503": "The database is unavailable: nothing was done, send again after Retry-After",
}
# Answered by the secure channel and the framework to any signed operation.
CHANNEL_STATUSES = ("400", "401", "403", "404", "413", "415", "422", "429", "500", "503")


def _statuses(method: str, operation: dict[str, Any]) -> list[str]:
    """What a signed operation may answer besides its success: the channel's statuses, and those its shape
    brings (a change may conflict, If-Match may be stale or missing). An operation declares any other
    (410 at a purged record's address) itself; tests/test_openapi_statuses.py finds every one it lacks."""
    statuses = list(CHANNEL_STATUSES)
    if method != "GET":
        statuses.append("409")
    if any(parameter.get("name") == "If-Match" for parameter in operation.get("parameters", [])):
        statuses += ["412", "428"]
    return statuses


# The headers of responses, declared once and referenced by every signed operation's responses.
RESPONSE_HEADERS: dict[str, Any] = {
    "Signature-Input": {
        "description": "RFC 9421: the response signature's parameters (tag kix-response, bound to "
        "the request with ;req)",
        "schema": {"type": "string"},
        "required": True,
    },
    "Signature": {
        "description": "RFC 9421: the server's Ed25519 signature",
        "schema": {"type": "string"},
        "required": True,
    },
    "Content-Digest": {
        "description": "RFC 9530: sha-256 of the body as sent (the JWE when encrypted)",
        "schema": {"type": "string"},
        "required": True,
    },
    "X-Request-Id": {
        "description": "This request's id, as in the audit log and problem `instance`",
        "schema": {"type": "string"},
    },
    "Retry-After": {
        "description": "Seconds to wait before sending again",
        "schema": {"type": "integer", "minimum": 1},
    },
    "ETag": {"description": "The record version's entity tag, for If-Match", "schema": {"type": "string"}},
    "Location": {"description": "The created resource", "schema": {"type": "string"}},
}


def _headers(code: str, method: str) -> dict[str, Any]:
    names = ["Signature-Input", "Signature", "Content-Digest", "X-Request-Id"]
    if code in ("429", "503"):
        names.append("Retry-After")
    if code in ("200", "201") and method in ("GET", "POST", "PATCH", "PUT"):
        names.append("ETag")
    if code == "201":
        names.append("Location")
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}
