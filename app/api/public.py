"""The only unsigned routes: liveness, readiness, and the server's public keys (clients pin them)."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.api.deps import DatabaseDep
from app.api.problems import problem_response
from app.crypto.keys import KeyPair
from app.errors import ServiceUnavailable
from app.migrate import is_current

router = APIRouter(tags=["public"])


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: the database answers and its schema is current",
    response_model=None,
    responses={503: {"description": "Not ready: the database is unreachable or its schema is behind"}},
)
def readyz(database: DatabaseDep) -> Any:
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current = is_current(database.engine)
    except Exception:  # noqa: BLE001 - any database failure means "not ready"
        return problem_response(ServiceUnavailable("the database is unreachable"))
    if not current:
        return problem_response(ServiceUnavailable("the database schema is not at the latest revision"))
    return {"status": "ready"}


@router.get(
    "/.well-known/kix-keys",
    summary="The server's public keys (JWKS): Ed25519 for response signatures, X25519 for request encryption",
)
def server_keys(request: Request) -> JSONResponse:
    server_key: KeyPair = request.app.state.server_key
    return JSONResponse(server_key.public_jwks(), headers={"cache-control": "max-age=300"})
