"""Every problem status a route can answer is in openapi/openapi.json for that operation: found by reading
each route's code and everything it calls (tests/route_statuses.py), not by sampling requests, so a
status a fuzzer never provokes is held to the document too."""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from app.api.openapi import iter_api_routes
from app.errors import (
    Conflict,
    Forbidden,
    Gone,
    InvalidCursor,
    InvalidTransition,
    KixError,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
)
from app.openapi_export import offline_app
from tests.route_statuses import CallGraph, route_problems
from tests.test_openapi import SPEC


@pytest.fixture(scope="module")
def app() -> Iterator[FastAPI]:
    with offline_app() as built:
        yield built


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    with open(SPEC, encoding="utf-8") as committed:  # test_openapi proves it is the current one
        document: dict[str, Any] = json.load(committed)
    return document


@pytest.fixture
def graph() -> CallGraph:
    return CallGraph()


def _documented(spec: dict[str, Any], path: str, method: str) -> set[str]:
    return set(spec["paths"][path][method.lower()]["responses"])


def test_every_status_a_route_can_raise_is_documented(
    app: FastAPI, spec: dict[str, Any], graph: CallGraph
) -> None:
    undocumented = []
    routes = list(iter_api_routes(app.routes))
    assert len(routes) > 100
    for route in routes:
        problems = route_problems(graph, route)
        for method in route.methods or ():
            documented = _documented(spec, route.path_format, method)
            for problem, chain in problems.items():
                if str(problem.status) not in documented:
                    undocumented.append(
                        f"{method} {route.path_format}: {problem.status} via {' -> '.join(chain)}"
                    )
    assert not undocumented, "\n".join(undocumented)


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/v1/alerts/{record_id}", {NotFound, Gone}),
        ("PATCH", "/v1/alerts/{record_id}", {PreconditionFailed, PreconditionRequired, ValidationFailed}),
        ("POST", "/v1/requests/{request_id}/transitions", {InvalidTransition, Forbidden}),
        ("POST", "/v1/access-requests/{request_id}/decision", {InvalidTransition, NotFound}),
        ("POST", "/v1/hits/{hit_id}/access-requests", {Conflict, NotFound}),
        ("GET", "/v1/feed", {InvalidCursor}),
    ],
)
def test_the_analysis_finds_what_a_route_raises(
    app: FastAPI, graph: CallGraph, method: str, path: str, expected: set[type[KixError]]
) -> None:
    """The analysis is not vacuous: it finds, deep in the services, problems these routes are known to
    answer (each is provoked through the API by tests in tests/api)."""
    route = next(
        r for r in iter_api_routes(app.routes) if r.path_format == path and method in (r.methods or ())
    )
    found = route_problems(graph, route)
    assert expected <= set(found), found.keys()


# A small program for the analysis to read: what it must find, and what it must not.
def _opens(record: dict[str, Any]) -> dict[str, Any]:
    if record.get("purged"):
        raise Gone("purged")
    return record


def _looks_up(records: dict[str, Any], key: str) -> dict[str, Any]:
    if key not in records:
        raise NotFound("no such record")
    return _opens(records[key])


def _forgives_a_miss(records: dict[str, Any], key: str) -> dict[str, Any] | None:
    try:
        return _looks_up(records, key)
    except NotFound:
        return None


def _reports_then_reraises(records: dict[str, Any], key: str) -> dict[str, Any]:
    try:
        return _looks_up(records, key)
    except KixError:
        raise


def _own(obj: object) -> bool:
    return getattr(obj, "__module__", None) == __name__


def _problems_of(function: Any) -> set[Any]:
    graph = CallGraph(is_own=_own)
    graph.add(function)
    return graph.escaping(function)


def test_a_problem_is_followed_through_calls_and_stops_where_it_is_caught() -> None:
    assert _problems_of(_opens) == {Gone}
    assert _problems_of(_looks_up) == {NotFound, Gone}
    assert _problems_of(_forgives_a_miss) == {Gone}  # the except clause stops NotFound only
    assert _problems_of(_reports_then_reraises) == {NotFound, Gone}  # a bare raise lets all out
