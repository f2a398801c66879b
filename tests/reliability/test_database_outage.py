"""PostgreSQL goes away under a running KIX and comes back: every request meanwhile gets a signed 503
problem with Retry-After (never a 500 or a stack trace), /readyz fails, nothing is half-done, and service
resumes by itself once the database answers again. The outage is a TCP forwarder between KIX and the
server (tests/reliability/proxy.py), cut and restored: to KIX it is the database stopping and starting,
while the test's own PostgreSQL server keeps serving the other tests."""

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from app.api import deps
from app.api.channel import SecureChannel
from app.client import KixProblem
from app.db import RETRY_AFTER_OUTAGE_SECONDS, Database
from app.services.events.delivery import Deliverer
from tests.conftest import POSTGRES_URL, truncate_all
from tests.records_data import alert
from tests.reliability.proxy import TcpProxy

pytestmark = pytest.mark.skipif(POSTGRES_URL is None, reason="needs KIX_TEST_POSTGRES_URL")
RECOVERY_SECONDS = 20


@pytest.fixture
def proxy(postgres_database: str) -> Iterator[TcpProxy]:
    target = make_url(postgres_database)
    with TcpProxy(target.host or "127.0.0.1", target.port or 5432) as forwarder:
        yield forwarder


@pytest.fixture
def database_url(postgres_database: str, proxy: TcpProxy) -> Iterator[str]:
    """The test database, reached through the proxy."""
    url = make_url(postgres_database).set(host="127.0.0.1", port=proxy.port)
    yield url.render_as_string(hide_password=False)
    truncate_all(postgres_database)


def _refused_for_outage(call: Any) -> KixProblem:
    with pytest.raises(KixProblem) as refused:
        call()
    assert refused.value.status == 503, refused.value
    assert refused.value.type == "urn:kix:problem:database-unavailable"
    assert refused.value.retry_after == RETRY_AFTER_OUTAGE_SECONDS
    return refused.value


def _until_served(call: Any) -> Any:
    """`call()` once the service has recovered by itself (a 503 meanwhile is the outage's tail)."""
    deadline = time.monotonic() + RECOVERY_SECONDS
    while True:
        try:
            return call()
        except KixProblem as problem:
            if problem.status != 503 or time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def test_a_database_outage_is_a_503_with_retry_after_and_service_resumes_by_itself(
    enrol: Any, http: httpx.Client, proxy: TcpProxy
) -> None:
    owner, partner = enrol("it-dcsa"), enrol("de-bka")
    kept = owner.client.create_record("alerts", alert())
    assert http.get("/readyz").status_code == 200

    proxy.cut()
    retried = alert()
    _refused_for_outage(lambda: partner.client.get_record("alerts", kept["id"]))
    _refused_for_outage(
        lambda: owner.client.create_record("alerts", retried, idempotency_key="during-outage")
    )
    _refused_for_outage(owner.client.whoami)
    ready = http.get("/readyz")
    assert ready.status_code == 503
    assert ready.headers["content-type"] == "application/problem+json"

    proxy.restore()
    assert _until_served(lambda: partner.client.get_record("alerts", kept["id"]))["id"] == kept["id"]
    assert http.get("/readyz").status_code == 200
    # The create refused during the outage made nothing; sent again with its key, it is made once.
    assert [item["id"] for item in owner.client.list_records("alerts")["items"]] == [kept["id"]]
    again = owner.client.create_record("alerts", retried, idempotency_key="during-outage")
    assert owner.client.create_record("alerts", retried, idempotency_key="during-outage")["id"] == again["id"]
    assert len(owner.client.list_records("alerts")["items"]) == 2


def test_an_outage_between_the_route_and_its_audit_entry_withholds_the_answer(
    enrol: Any, proxy: TcpProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database fails after the route answered but before the request's audit entry is written: the
    answer may not leave unlogged, so the client gets the outage instead, and the next request is served.
    Both ways an entry is written: by the channel after the route (whoami), and, for a record read on
    PostgreSQL, in the route's own transaction before its commit."""
    owner = enrol("it-dcsa")
    kept = owner.client.create_record("alerts", alert())
    after_the_route = SecureChannel._append_entry
    in_the_transaction = deps.append_entry

    async def cut_then_append_after(*args: Any) -> None:  # the channel's, awaited on the event loop
        proxy.cut()
        await after_the_route(*args)

    def cut_then_append_in(*args: Any) -> None:  # the route's, in its worker thread
        proxy.cut()
        in_the_transaction(*args)

    for name, append, cut_then_append, call in (
        ("_append_entry", after_the_route, cut_then_append_after, owner.client.whoami),
        (
            "append_entry",
            in_the_transaction,
            cut_then_append_in,
            lambda: owner.client.get_record("alerts", kept["id"]),
        ),
    ):
        where = SecureChannel if name == "_append_entry" else deps
        _until_served(call)  # the connections this path takes are whole (an earlier cut broke some)
        monkeypatch.setattr(where, name, cut_then_append)
        _refused_for_outage(call)
        monkeypatch.setattr(where, name, append)
        proxy.restore()
        _until_served(call)
    assert owner.client.get_record("alerts", kept["id"])["id"] == kept["id"]


def test_background_work_pauses_through_an_outage_with_a_warning_and_resumes(
    app: Any, db: Database, proxy: TcpProxy, caplog: pytest.LogCaptureFixture
) -> None:
    """Webhook delivery and the scheduler keep running through an outage: each attempt meanwhile is one
    warning line (no stack trace, no error), and both work again once the database is back."""
    state = app.state
    deliverer = Deliverer(db, state.settings, state.server_key, state.vault, state.clock)
    stop = threading.Event()
    loops = [
        threading.Thread(target=deliverer.run_forever, args=(stop, state.event_signal, 0.05)),
        threading.Thread(target=state.scheduler.run_forever, args=(stop, 0.05)),
    ]
    proxy.cut()
    with caplog.at_level(logging.WARNING, logger="kix"):
        for loop in loops:
            loop.start()
        time.sleep(1)
        stop.set()
        for loop in loops:
            loop.join(timeout=10)
    assert not any(loop.is_alive() for loop in loops)
    paused = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    for loop_name in ("delivery loop", "scheduler tick"):
        assert any(
            message.startswith(f"{loop_name} failed: the database is unavailable") for message in paused
        )
    assert [record for record in caplog.records if record.levelno >= logging.ERROR] == []
    proxy.restore()
    deadline = time.monotonic() + RECOVERY_SECONDS
    while True:  # the first attempts may meet connections the outage broke
        try:
            deliverer.run_once()
            state.scheduler.run_due()
            break
        except OperationalError:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    deliverer.close()
