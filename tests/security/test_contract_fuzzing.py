"""Every operation of openapi/openapi.json fuzzed as an integrator's generator would drive it, through the
real app: schemathesis generates each request from the document; a hook signs it and encrypts its body as
the SDK does (as the administrator for /v1/admin, else as an agency holding records, so that about half
the requests name real records, agencies and keys and reach past the 404); each answer is verified and
decrypted, then checked against the document: never a 5xx, a documented status, the documented media type
and a body that conforms. KIX_FUZZ_EXAMPLES sets the examples per operation (a few in CI; hundreds by
hand: `KIX_FUZZ_EXAMPLES=200 KIX_FUZZ_ALL_PHASES=1 pytest tests/security/test_contract_fuzzing.py`)."""

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.api.channel import PUBLIC_PATHS
from app.client import KixClient, KixProblem
from app.client.codec import Codec
from tests.conftest import BASE_URL, Member, sqlite_copy
from tests.records_data import alert, lead, suspect

OPENAPI = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
SCHEMA = schemathesis.openapi.from_path(OPENAPI)
EXAMPLES = int(os.environ.get("KIX_FUZZ_EXAMPLES", "3"))
# CI generates only; by hand, KIX_FUZZ_ALL_PHASES=1 adds the document's own examples and schemathesis'
# coverage phase (boundary values of every constraint: hundreds of requests per operation).
PHASES = list(Phase) if os.environ.get("KIX_FUZZ_ALL_PHASES") else [Phase.generate]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# Headers the generator may set that the signed request sets itself.
OWN_HEADERS = {"accept", "accept-encoding", "connection", "content-type", "content-length", "user-agent"}


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: the contract is the same on both backends, and the run is long enough once."""
    return sqlite_copy(tmp_path, sqlite_template)


@dataclass
class World:
    """The callers, and what exists for the generated requests to name."""

    admin: Codec
    agency: Codec
    known: dict[str, str]  # path parameter -> a real value
    records: dict[str, str]  # kind segment -> a real record id


@pytest.fixture
def world(admin: KixClient, admin_key: Any, enrol: Any, server_jwks: dict[str, Any]) -> World:
    member: Member = enrol("it-dcsa")
    enrol("de-bka")
    records = {
        "alerts": member.client.create_record("alerts", alert())["id"],
        "suspects": member.client.create_record("suspects", suspect())["id"],
        "leads": member.client.create_record("leads", lead())["id"],
    }
    known = {"agency_id": "de-bka", "kid": member.key.kid, "kind": "alerts"}
    return World(
        admin=Codec(admin_key, server_jwks, "fuzz-admin"),
        agency=Codec(member.key, server_jwks, "fuzz-analyst"),
        known=known,
        records=records,
    )


def _name_real_things(case: Any, world: World) -> None:
    """For about half the cases (chosen by the case's id, so a failure replays), path parameters are set
    to things that exist, so the request reaches the operation's own checks."""
    if not case.path_parameters or int(hashlib.sha256(case.id.encode()).hexdigest(), 16) % 2:
        return
    kind = case.path.split("/")[2] if case.path.count("/") >= 2 else ""
    for name in list(case.path_parameters):
        if name == "record_id" and kind in world.records:
            case.path_parameters[name] = world.records[kind]
        elif name in world.known:
            case.path_parameters[name] = world.known[name]


def _as_plain_response(case: Any, response: httpx.Response, codec: Codec, request: httpx.Request) -> Any:
    """The answer as the document describes it: verified and decrypted, with its status and headers."""
    try:
        data = codec.open_response(request, response)
        media_type = "application/json"
    except KixProblem as problem:
        data, media_type = problem.problem, "application/problem+json"
    kept = {
        name: value
        for name, value in response.headers.items()
        if name.lower() not in {"content-type", "content-length"}
    }
    content = b"" if not response.content else json.dumps(data).encode()
    return _timed(
        httpx.Response(
            response.status_code,
            headers=kept | {"content-type": media_type},
            content=content,
            request=httpx.Request(case.method, request.url),
        )
    )


def _timed(response: httpx.Response) -> httpx.Response:
    response.elapsed = timedelta(0)  # answered in process: there is no network time to report
    return response


@SCHEMA.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), phases=PHASES)
def test_every_operation_answers_as_documented(
    case: Any, world: World, http: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    if case.path in PUBLIC_PATHS:
        answer = http.get(case.formatted_path)
        plain = httpx.Response(
            answer.status_code, headers=answer.headers, content=answer.content, request=answer.request
        )
        case.validate_response(_timed(plain), checks=CHECKS)
        return
    _name_real_things(case, world)
    sent = case.as_transport_kwargs(base_url=BASE_URL)
    codec = world.admin if case.path.startswith("/v1/admin") else world.agency
    headers = {
        name: value for name, value in sent.get("headers", {}).items() if name.lower() not in OWN_HEADERS
    }
    request = codec.build(http, case.method, sent["url"], sent.get("json"), sent.get("params"), headers, None)
    with caplog.at_level(logging.INFO, logger="kix.access"):
        response = http.send(request)
    assert response.status_code < 500, response.text[:300]
    # Every request here is signed by a live key: none may be refused as unauthenticated. The reason
    # the server logged, and what was signed, say why if one is.
    refused = [getattr(entry, "refused", None) for entry in caplog.records if entry.name == "kix.access"]
    assert response.status_code != 401, (refused, request.method, str(request.url), dict(request.headers))
    caplog.clear()
    case.validate_response(_as_plain_response(case, response, codec, request), checks=CHECKS)
