"""RFC 9457 problem+json responses for every error the app raises."""

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.db import RETRY_AFTER_OUTAGE_SECONDS, unavailable_reason
from app.errors import (
    BadRequest,
    DatabaseUnavailable,
    InternalError,
    KixError,
    MethodNotAllowed,
    NotFound,
    ServiceUnavailable,
    ValidationFailed,
)

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("kix.errors")


def problem_body(error: KixError, *, instance: str | None = None) -> bytes:
    body: dict[str, Any] = {
        "type": error.uri(),
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
    }
    if instance:
        body["instance"] = instance
    body.update(error.extra)
    return json.dumps(body, separators=(",", ":")).encode()


def problem_response(error: KixError) -> Response:
    return Response(
        content=problem_body(error),
        status_code=error.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=error.headers or None,
    )


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Location, message and error type only: the rejected input itself is not echoed back.
    return [{"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]} for error in exc.errors()]


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(KixError)
    async def kix_error(_request: Request, exc: KixError) -> Response:
        return problem_response(exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> Response:
        errors = _validation_errors(exc)
        return problem_response(ValidationFailed("the request fails validation", extra={"errors": errors}))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return problem_response(NotFound("no such resource"))
        if exc.status_code == 405:
            return problem_response(MethodNotAllowed("method not allowed on this resource"))
        if exc.status_code == 503:
            return problem_response(ServiceUnavailable(str(exc.detail)))
        return problem_response(BadRequest("the request is malformed"))

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> Response:
        return problem_response(unexpected_problem(exc))


def outage_problem(exc: BaseException) -> DatabaseUnavailable | None:
    """503 with Retry-After, logged without a stack, when `exc` says the database is unavailable."""
    reason = unavailable_reason(exc)
    if reason is None:
        return None
    log.warning("database unavailable: %s", reason)
    return DatabaseUnavailable(
        "the database is unavailable; nothing was done: send the request again later",
        headers={"Retry-After": str(RETRY_AFTER_OUTAGE_SECONDS)},
        extra={"retry_after": RETRY_AFTER_OUTAGE_SECONDS},
    )


def unexpected_problem(exc: BaseException) -> KixError:
    """The problem for an exception no handler expected: a database outage (503), or an internal error
    (500, logged with its stack; the client is told nothing more)."""
    outage = outage_problem(exc)
    if outage is not None:
        return outage
    log.error("unhandled error", exc_info=exc)
    return InternalError("internal error")
