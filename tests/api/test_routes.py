"""Every route but the public allowlist sits behind the signature check and a caller dependency."""

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from app.api.channel import PUBLIC_PATHS
from app.api.openapi import iter_api_routes, route_scopes
from app.client import KixProblem
from tests.conftest import BASE_URL


def _api_routes(app: FastAPI) -> list[APIRoute]:
    routes = list(iter_api_routes(app.routes))
    assert len(routes) >= 18
    return routes


def test_public_allowlist_is_exactly_three_routes() -> None:
    assert frozenset({"/healthz", "/readyz", "/.well-known/kix-keys"}) == PUBLIC_PATHS


def test_every_non_public_route_declares_a_caller(app: FastAPI) -> None:
    unguarded = [
        route.path
        for route in _api_routes(app)
        if route.path not in PUBLIC_PATHS and route_scopes(route) is None
    ]
    assert unguarded == []


def test_every_non_public_route_refuses_unsigned_requests(app: FastAPI, http: httpx.Client) -> None:
    checked = 0
    for route in _api_routes(app):
        if route.path in PUBLIC_PATHS:
            continue
        path = route.path_format.replace("{", "").replace("}", "")
        for method in route.methods or ():
            response = http.request(method, BASE_URL + path, json={})
            assert response.status_code == 401, (
                f"{method} {route.path} answered {response.status_code} unsigned"
            )
            assert response.json()["type"] == "urn:kix:problem:signature-missing"
            assert "signature" in response.headers  # refusals are signed by the server too
            checked += 1
    assert checked >= 15


def test_unknown_paths_are_refused_unsigned_too(http: httpx.Client) -> None:
    assert http.get(BASE_URL + "/v1/nothing-here").status_code == 401
    assert http.get(BASE_URL + "/docs").status_code == 401


@pytest.mark.parametrize("path", sorted(PUBLIC_PATHS))
def test_public_routes_answer_unsigned(http: httpx.Client, path: str) -> None:
    response = http.get(BASE_URL + path)
    assert response.status_code == 200


def test_server_jwks_names_both_keys(http: httpx.Client, server_jwks: dict[str, Any]) -> None:
    jwks = http.get(BASE_URL + "/.well-known/kix-keys").json()
    assert jwks == server_jwks
    by_use = {jwk["use"]: jwk for jwk in jwks["keys"]}
    assert by_use["sig"]["crv"] == "Ed25519"
    assert by_use["enc"]["crv"] == "X25519"
    assert all("d" not in jwk and jwk["kid"] for jwk in jwks["keys"])


def test_readyz_reports_an_unmigrated_database(tmp_path: Any) -> None:
    from app.config import Settings
    from app.main import create_app
    from tests.asgi import in_process_client

    settings = Settings(database_url=f"sqlite:///{tmp_path}/empty.db", keys_dir=tmp_path / "keys")
    with in_process_client(create_app(settings), BASE_URL) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["type"] == "urn:kix:problem:service-unavailable"


def test_readyz_fails_while_the_database_is_unreachable(app: FastAPI, db: Any, http: httpx.Client) -> None:
    from sqlalchemy import create_engine

    assert http.get(BASE_URL + "/readyz").status_code == 200
    working = db.engine
    db.engine = create_engine(
        "postgresql+psycopg://kix@127.0.0.1:1/none", connect_args={"connect_timeout": 2}
    )
    try:
        response = http.get(BASE_URL + "/readyz")
    finally:
        db.engine.dispose()
        db.engine = working
    assert response.status_code == 503
    assert "unreachable" in response.json()["detail"]
    assert http.get(BASE_URL + "/readyz").status_code == 200  # and ready again once it answers


def test_every_scoped_route_refuses_a_key_without_its_scopes(app: FastAPI, enrol: Any) -> None:
    # A key of an agency that holds every scope but admin, narrowed to one scope no route asks for alone.
    member = enrol("no-scope", key_scopes=["audit:read"])
    dummy = "01a20000-0000-7000-8000-000000000000"
    checked = 0
    for route in _api_routes(app):
        scopes = route_scopes(route) or ()
        if route.path in PUBLIC_PATHS or not scopes or scopes == ("audit:read",):
            continue
        path = re.sub(r"\{[a-z_]+\}", dummy, route.path_format)
        for method in route.methods or ():
            body: dict[str, Any] | None = {} if method in ("POST", "PATCH", "PUT") else None
            with pytest.raises(KixProblem) as refused:
                member.client.request(method, path, json=body)
            assert (refused.value.status, refused.value.type) == (403, "urn:kix:problem:forbidden"), (
                method,
                route.path,
            )
            checked += 1
    assert checked >= 40
