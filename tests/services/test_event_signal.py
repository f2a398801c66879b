"""Feed readers and the deliverer are woken when events are committed: in process by the commit itself,
and across nodes on PostgreSQL by LISTEN/NOTIFY (a separate connection, as another host would have)."""

import threading
import time

import pytest

from app.clock import SystemClock
from app.db import Database
from app.schemas.events import EventType
from app.services.events.outbox import EMITTED, NOTIFY_CHANNEL, emit
from app.services.events.signal import EventSignal
from tests.conftest import Member


def _emit_later(db: Database, agency_id: str, delay: float) -> threading.Timer:
    def write() -> None:
        with db.transaction() as session:
            emit(session, [agency_id], EventType.WEBHOOK_TEST, now=SystemClock().now(), data={})

    timer = threading.Timer(delay, write)
    timer.start()
    return timer


def test_a_commit_with_events_wakes_waiters_in_process(enrol: object, db: Database) -> None:
    member: Member = enrol("de-bka")  # type: ignore[operator]
    signal = EventSignal()
    db.after_commit.append(lambda info: signal.notify() if info.get(EMITTED) else None)
    with db.transaction() as session:  # a commit without events wakes nobody
        session.info.pop(EMITTED, None)
    assert signal.wait_blocking(0.2) is False
    timer = _emit_later(db, member.agency_id, 0.2)
    began = time.monotonic()
    assert signal.wait_blocking(5) is True
    assert time.monotonic() - began < 2
    timer.join()


def test_notify_from_another_node_wakes_waiters_on_postgresql(
    enrol: object, db: Database, settings: object
) -> None:
    url = db.url
    if not url.startswith("postgresql"):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    member: Member = enrol("de-bka")  # type: ignore[operator]
    signal = EventSignal()
    signal.listen(url, NOTIFY_CHANNEL)
    other_node = Database(url)  # no in-process hook: only NOTIFY can carry the news
    try:
        assert signal.listening.wait(10)
        timer = _emit_later(other_node, member.agency_id, 0.2)
        began = time.monotonic()
        assert signal.wait_blocking(5) is True
        assert time.monotonic() - began < 2
        timer.join()
    finally:
        signal.close()
        other_node.dispose()
