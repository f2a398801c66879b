"""RFC 9457 problem+json responses for every error the app raises."""

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import PROBLEM_TYPES, KixError

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("kix.errors")


def problem_body(slug: str, detail: str, *, instance: str | None = None, **extra: Any) -> bytes:
    problem = PROBLEM_TYPES[slug]
    body: dict[str, Any] = {
        "type": problem.uri,
        "title": problem.title,
        "status": problem.status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    return json.dumps(body, separators=(",", ":")).encode()


def problem_response(
    slug: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    return Response(
        content=problem_body(slug, detail, **extra),
        status_code=PROBLEM_TYPES[slug].status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Location, message and error type only: the rejected input itself is not echoed back.
    return [{"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]} for error in exc.errors()]


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(KixError)
    async def kix_error(_request: Request, exc: KixError) -> Response:
        return problem_response(exc.slug, exc.detail, headers=exc.headers or None)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> Response:
        return problem_response(
            "validation-failed", "the request fails validation", errors=_validation_errors(exc)
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return problem_response("not-found", "no such resource")
        if exc.status_code == 405:
            return problem_response("method-not-allowed", "method not allowed on this resource")
        if exc.status_code == 503:
            return problem_response("service-unavailable", str(exc.detail))
        return problem_response("bad-request", "the request is malformed")

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", exc_info=exc)
        return problem_response("internal-error", "internal error")
