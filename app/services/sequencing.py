"""Numbering rows in commit order, for the outboxes that need it (events, the audit log).

A writer stamps its row with its transaction id on PostgreSQL (`CURRENT_TXID`, computed in the insert
itself; 0 on SQLite). A single sequencer at a time (`take_turn`: an advisory lock on PostgreSQL, the
single writer on SQLite) then takes rows in (txid, id) order, but only those of transactions below the
`horizon`: on PostgreSQL transactions commit in another order than they start, so a row numbered later
can become visible earlier, and a sequencer that passed it would leave a gap behind. On SQLite writers
commit one at a time and ids follow commit order.
"""

from sqlalchemy import BigInteger, literal_column, text
from sqlalchemy.orm import Session

CURRENT_TXID = literal_column("pg_current_xact_id()::text::bigint", BigInteger)
_RUNNING = text(
    "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint, "
    "(SELECT array_agg(backend_xid::text::bigint) FROM pg_stat_activity "
    " WHERE datname = current_database() AND backend_xid IS NOT NULL)"
)
_WRAP = 1 << 32


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def take_turn(session: Session, lock: int) -> None:
    """Wait for the other sequencers of `lock` (any constant, shared by every node) until this
    transaction ends: the next one starts after this one's numbers are visible."""
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": lock})


def horizon(session: Session) -> int | None:
    """A transaction id below which every row of this database is committed or never will be: the
    next id to be assigned when the statement began, or the oldest writing transaction of this database
    still running, whichever is lower. (The snapshot's own xmin would do, but counts every database of
    the server: a long transaction elsewhere would hold the sequencer back.) None on SQLite."""
    if not is_postgres(session):
        return None
    xmax, running = session.execute(_RUNNING).one()
    lowest = int(xmax)
    for xid in running or ():
        # pg_stat_activity shows 32-bit ids: widen each to the 64-bit id it stands for, which is less
        # than 2^31 behind the next one; an id assigned after the snapshot (ahead of it) does not count.
        behind = (int(xmax) - int(xid)) % _WRAP
        if behind < _WRAP // 2:
            lowest = min(lowest, int(xmax) - behind)
    return lowest
