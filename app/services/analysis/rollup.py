"""Rebuilding the trends rollup from the records: for a database that predates it, or to repair it. It runs
as a fan-out does (under the same lock), so no change is counted twice or missed meanwhile."""

from collections import Counter

from sqlalchemy import delete, select

from app.db import Database
from app.models import Record, TrendCount, TrendFact
from app.services.analysis.facts import Fact, add_to_rollup, refresh_facts
from app.services.events.fanout import FAN_OUT_LOCK
from app.services.sequencing import take_turn
from app.services.vault import Vault

BATCH = 1000


def rebuild_rollup(db: Database, vault: Vault) -> int:
    """Every live record's facts computed afresh and the rollup rebuilt, in one transaction; how many
    records count for something. Purged records keep the facts they had (they can not be recomputed)."""
    with db.transaction() as session:
        take_turn(session, FAN_OUT_LOCK)
        live = select(Record.id).where(Record.purged_at.is_(None))
        session.execute(delete(TrendCount))
        session.execute(delete(TrendFact).where(TrendFact.record_id.in_(live)))
        purged = Counter(
            Fact(row.measure, row.month, row.country, row.region, row.category, row.band)
            for row in session.scalars(select(TrendFact))
        )
        add_to_rollup(session, purged)
        ids = list(session.scalars(live.order_by(Record.id)))
        return sum(
            refresh_facts(session, vault, ids[start : start + BATCH]) for start in range(0, len(ids), BATCH)
        )
