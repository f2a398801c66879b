"""Routes are tried in order, and the records' routers come first (most traffic is theirs): no route may
be reached by a request meant for a later one. For every route, a request to its path (each parameter
given an id-like value) with its method must be taken by that route and no earlier one."""

import re
from typing import Any

from fastapi import FastAPI
from starlette.routing import Route

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
