"""One JSON access line per request, with a request id, and nothing from the body, query or actor."""

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from app.client import KixClient, KixProblem
from app.logs import JsonFormatter


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(JsonFormatter().format(record))


@pytest.fixture
def log_lines(admin: KixClient) -> Iterator[list[str]]:
    handler = _Collect()
    logger = logging.getLogger("kix")
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


def test_access_log_is_json_with_request_id_and_no_sensitive_data(
    admin: KixClient, log_lines: list[str]
) -> None:
    secret = "Maria Rossi passport YA1234567"
    admin.echo({"victim": secret})
    with pytest.raises(KixProblem):
        admin.request("GET", "/v1/admin/agencies", params={"cursor": "WWExMjM0NTY3"}, actor="analyst-jane")
    entries: list[dict[str, Any]] = [json.loads(line) for line in log_lines]
    access = [entry for entry in entries if entry["logger"] == "kix.access"]
    assert [(e["method"], e["path"], e["status"]) for e in access] == [
        ("POST", "/v1/echo", 200),
        ("GET", "/v1/admin/agencies", 400),
    ]
    assert all(len(entry["request_id"]) == 32 and entry["agency"] == "kix-operator" for entry in access)
    everything = "\n".join(log_lines)
    for sensitive in (secret, "YA1234567", "WWExMjM0NTY3", "analyst-jane"):
        assert sensitive not in everything
