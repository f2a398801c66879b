"""A writer process for the concurrent feed test: it writes events in transactions that hold on for a
while before committing, so transactions commit in another order than they started."""

import random
import time

from app.clock import SystemClock
from app.db import Database
from app.schemas.events import EventType
from app.services.events.outbox import emit


def write_events(database_url: str, agency_id: str, writer: int, count: int) -> list[str]:
    """Write `count` events, each in its own transaction; return their event ids in write order."""
    rng = random.Random(writer)  # noqa: S311 - test timing, not security
    db = Database(database_url)
    written = []
    try:
        for n in range(count):
            with db.transaction() as session:
                event_ids = emit(
                    session,
                    [agency_id],
                    EventType.WEBHOOK_TEST,
                    now=SystemClock().now(),
                    data={"writer": writer, "n": n},
                )
                time.sleep(rng.uniform(0, 0.05))  # commit late, sometimes after later transactions
                written.append(event_ids[agency_id])
    finally:
        db.dispose()
    return written
