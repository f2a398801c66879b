"""Re-deriving every record's blind indexes from its decrypted body: after the normalisation of names
changes (a new script rule, syllables split), so that records indexed before match as new ones do."""

from collections.abc import Callable

from sqlalchemy import select

from app.db import Database
from app.models import Record
from app.services.matching.indexing import reindex
from app.services.records.disclosure import current_body
from app.services.records.kinds import spec_of
from app.services.vault import Vault

BATCH = 500


def reindex_all(db: Database, vault: Vault, progress: Callable[[int], None] | None = None) -> int:
    """Every live record re-indexed, BATCH per transaction (writers carry on meanwhile); how many."""
    done, after = 0, ""
    while True:
        with db.transaction() as session:
            query = select(Record).where(Record.purged_at.is_(None), Record.id > after).order_by(Record.id)
            records = list(session.scalars(query.limit(BATCH)))
            for record in records:
                terms = spec_of(record.kind).index_terms(current_body(record, vault))
                reindex(session, vault.keys.index, record.id, terms)
        if not records:
            return done
        done += len(records)
        after = records[-1].id
        if progress is not None:
            progress(done)
