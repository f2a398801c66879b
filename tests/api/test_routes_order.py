"""Routes are tried in order, and the records' routers come first (most traffic is theirs): no route may
be reached by a request meant for a later one. For every route, a request to its path (each parameter
given an id-like value) with its method must be taken by that route and no earlier one."""

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.routing import Match, Route

from app.api.route_index import RouteIndex, path_key, route_key
from app.crypto.keys import KeyPair
from tests.signing import build_request

SAMPLE_ID = "01a22935-eb63-758f-a955-d44fd228d4e0"


def flattened(routes: list[Any]) -> list[Route]:
    """The app's routes in the order they are tried (included routers opened in place)."""
    found: list[Route] = []
    for route in routes:
        inner = getattr(route, "original_router", None) or getattr(route, "router", None)
        if inner is not None and hasattr(inner, "routes"):
            found += flattened(list(inner.routes))
        elif isinstance(route, Route):
            found.append(route)
    return found


def test_no_route_is_shadowed_by_an_earlier_one(app: FastAPI) -> None:
    routes = flattened(list(app.router.routes))
    assert len(routes) > 100
    api = [route.path for route in routes if route.path.startswith("/v1/")]
    assert api[0] == "/v1/feed"  # the hot paths first: the feed, then the records
    assert api[1].startswith(("/v1/alerts", "/v1/suspects", "/v1/leads"))
    for index, route in enumerate(routes):
        concrete = re.sub(r"\{[^}]+\}", SAMPLE_ID, route.path)
        for method in route.methods or set():
            first = next(
                other
                for other in routes
                if method in (other.methods or set()) and other.path_regex.match(concrete)
            )
            assert first is route, f"{method} {concrete} is taken by {first.path} before {route.path}"
        assert index == routes.index(route)


def test_the_app_holds_every_route_itself(app: FastAPI) -> None:
    """No included router: FastAPI walks an included router's routes twice a request, with bookkeeping
    of its own for each, which cost more than a bare app's whole answer (app.main._add_routes)."""
    assert all(isinstance(route, Route) for route in app.router.routes)
    paths = {route.path for route in app.router.routes if isinstance(route, Route)}
    assert {"/v1/feed", "/v1/whoami", "/v1/echo", "/v1/alerts", "/healthz"} <= paths


def test_the_route_index_takes_each_path_to_the_route_the_app_would(app: FastAPI) -> None:
    """app.api.route_index: a request goes to the routes sharing its first two segments. For every route
    and method, the first route there to take the route's path is the first of all the app's routes."""
    index = app.router.middleware_stack
    assert isinstance(index, RouteIndex)
    routes = flattened(list(app.router.routes))
    indexed = 0
    for route in routes:
        concrete = re.sub(r"\{[^}]+\}", SAMPLE_ID, route.path)
        key = path_key(concrete)
        if key is None or key not in index.groups:
            assert route_key(route) is None, route.path  # only those without two literal segments
            continue
        group = index.groups[key].routes
        for method in route.methods or set():
            scope = {"type": "http", "path": concrete, "method": method, "root_path": ""}
            first_of_all = next(other for other in routes if other.matches(scope)[0] is Match.FULL)
            first_of_group = next(other for other in group if other.matches(scope)[0] is Match.FULL)
            assert first_of_group is first_of_all is route, f"{method} {concrete}"
            indexed += 1
    assert indexed > 100


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/whoami", 200),
        ("DELETE", "/v1/whoami", 405),  # a route of the group takes the path, not the method
        ("GET", "/v1/alerts/a/b/c", 404),  # a known pair, no route of it takes the path
        ("GET", "/v1/no-such-thing", 404),  # an unknown pair
        ("GET", "/v1", 404),  # one segment
    ],
)
def test_what_the_index_does_not_take_is_answered_as_before(
    http: httpx.Client, admin_key: KeyPair, server_jwks: dict[str, Any], method: str, path: str, status: int
) -> None:
    assert http.send(build_request(admin_key, server_jwks, method, path)).status_code == status
