"""Writing and sequencing the audit log.

`append` adds a request's entry in the caller's transaction, stamped with its transaction id.
`sequence` (the scheduler, and every audit read, run it first) numbers entries gap-free in commit order,
hashes each into the Merkle tree and signs the new tree head with the server key. One sequencer runs at a
time across nodes (sequencing.take_turn), and only entries below the visibility horizon are numbered, so
no entry committed later can take a number below one already given.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Insert, String, Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from app import write_behind
from app.crypto.audit_format import entry_content
from app.crypto.audit_format import head_message as signed_head_message
from app.crypto.encoding import b64url_decode, b64url_encode
from app.crypto.keys import KeyPair
from app.crypto.merkle import leaf_hash
from app.db import Database
from app.models import AuditEntry, AuditEntryRecord, AuditNode, AuditTreeHead
from app.models.audit import EntryLike
from app.services.audit import tree
from app.services.bulk_rows import write_rows
from app.services.records.notices import note_seen_on, noting_unseen
from app.services.sequencing import CURRENT_TXID, horizon, take_turn
from app.services.sql_lists import listed_texts

SEQUENCER_LOCK = 4801237016  # any constant: the advisory lock every node's sequencer takes
BATCH = 5000


@dataclass(frozen=True)
class EntryDraft:
    """What one authenticated request leaves in the log (ids and digests only)."""

    at: datetime
    agency_id: str
    kid: str
    actor: str
    method: str
    route: str
    status: int
    records: frozenset[str]
    request_id: str
    signature_sha256: str
    # Records disclosed to the agency in a record view that it does not own: not part of the entry, but
    # written with it as the agency's views of them (records.notices says why).
    seen: frozenset[str] = frozenset()


ENTRIES = cast(Table, AuditEntry.__table__)
TOUCHED = cast(Table, AuditEntryRecord.__table__)
# Built once, Core not ORM: an entry is written on every request, so its few hundred microseconds count.
_INSERT_ENTRY = insert(ENTRIES).values(txid=0).returning(ENTRIES.c.id)  # SQLite
# On PostgreSQL the entry and the records it touched (up to 500, for a batch) go in one statement, the
# records as one list (sql_lists.listed_texts): atomic even in autocommit, where one round trip then
# writes and commits both (a BEGIN, two inserts and a COMMIT took four). What a request writes of its
# entry (the sequencer fills seq and leaf later):
ENTRY_FIELDS: tuple[str, ...] = ("at", "agency_id", "kid", "actor", "method", "route", "status", "records")
ENTRY_FIELDS += ("request_id", "signature_sha256")
_NEW_ENTRY = (
    insert(ENTRIES)
    .values(
        {name: bindparam(name, type_=ENTRIES.c[name].type) for name in ENTRY_FIELDS} | {"txid": CURRENT_TXID}
    )
    .returning(ENTRIES.c.id)
    .cte("new_entry")
)
_INSERT_ENTRY_AND_TOUCHED = insert(TOUCHED).from_select(
    ["record_id", "entry_id"],
    select(listed_texts("touched"), _NEW_ENTRY.c.id),
)
# The same, noting the views the request made (the parameter `seen`) in the same round trip.
_INSERT_ENTRY_TOUCHED_AND_SEEN = _INSERT_ENTRY_AND_TOUCHED.add_cte(
    noting_unseen(bindparam("agency_id", type_=String), bindparam("at", type_=ENTRIES.c.at.type))
)


def append(session: Session, draft: EntryDraft) -> None:
    """Write the entry in the session's transaction (stamped with its transaction id)."""
    append_on(session.connection(), draft)


def append_on(connection: Connection, draft: EntryDraft) -> None:
    """Write the entry on `connection`: in its transaction, or, on PostgreSQL in autocommit, committed by
    its one statement."""
    if connection.dialect.name == "postgresql":
        write_behind.write(connection, *postgres_entry(draft))
        return
    values = entry_values(draft)
    entry_id = connection.execute(_INSERT_ENTRY, values).scalar_one()
    touched = [{"record_id": record_id, "entry_id": entry_id} for record_id in values["records"]]
    write_rows(connection, TOUCHED, touched)
    if draft.seen:
        note_seen_on(connection, draft.agency_id, sorted(draft.seen), draft.at)


def postgres_entry(draft: EntryDraft) -> tuple[Insert, dict[str, object]]:
    """PostgreSQL: the one statement that writes the entry (with the records it touched, and the views it
    noted), and its values."""
    values = entry_values(draft)
    if draft.seen:
        return _INSERT_ENTRY_TOUCHED_AND_SEEN, values | {
            "touched": values["records"],
            "seen": sorted(draft.seen),
        }
    return _INSERT_ENTRY_AND_TOUCHED, values | {"touched": values["records"]}


def entry_values(draft: EntryDraft) -> dict[str, Any]:
    return {
        "at": draft.at,
        "agency_id": draft.agency_id,
        "kid": draft.kid,
        "actor": draft.actor,
        "method": draft.method,
        "route": draft.route,
        "status": draft.status,
        "records": sorted(draft.records),
        "request_id": draft.request_id,
        "signature_sha256": draft.signature_sha256,
    }


def entry_bytes(entry: EntryLike, seq: int) -> bytes:
    """The bytes an entry's leaf hashes: `entry_fields` as canonical JSON (sorted keys, no spaces)."""
    return entry_content(
        seq,
        entry.at.isoformat(timespec="microseconds"),
        entry.agency_id,
        entry.kid,
        entry.actor,
        entry.method,
        entry.route,
        entry.status,
        entry.records,
        entry.request_id,
        entry.signature_sha256,
    )


ENTRY_COLUMNS = tuple(AuditEntry.__table__.columns)


# ---------------------------------------------------------------- tree heads
@dataclass(frozen=True)
class TreeHead:
    size: int
    root: bytes
    signed_at: datetime
    kid: str
    signature: str

    def document(self) -> dict[str, object]:
        return {
            "size": self.size,
            "root": b64url_encode(self.root),
            "signed_at": self.signed_at.isoformat(timespec="microseconds"),
            "kid": self.kid,
            "signature": self.signature,
        }


def head_message(size: int, root: bytes, signed_at: datetime) -> bytes:
    return signed_head_message(size, b64url_encode(root), signed_at.isoformat(timespec="microseconds"))


def sign_head(server_key: KeyPair, size: int, root: bytes, now: datetime) -> AuditTreeHead:
    signature = server_key.signing.sign(head_message(size, root, now))
    return AuditTreeHead(
        size=size, root=root, signed_at=now, kid=server_key.kid, signature=b64url_encode(signature)
    )


def as_head(row: AuditTreeHead) -> TreeHead:
    return TreeHead(row.size, row.root, row.signed_at, row.kid, row.signature)


def latest_head(session: Session) -> TreeHead | None:
    row = session.scalars(select(AuditTreeHead).order_by(AuditTreeHead.size.desc()).limit(1)).first()
    return as_head(row) if row else None


def signature_bytes(head: TreeHead) -> bytes:
    return b64url_decode(head.signature)


# ---------------------------------------------------------------- sequencing
def sequenced_size(session: Session) -> int:
    highest = session.scalar(select(func.max(AuditEntry.seq)))
    return 0 if highest is None else int(highest) + 1


def sequence_batch(
    session: Session, server_key: KeyPair, now: datetime, batch: int = BATCH
) -> tuple[int, bool]:
    """Number, hash and add to the tree up to `batch` entries, and sign the new head; (entries, more)."""
    take_turn(session, SEQUENCER_LOCK)
    size = sequenced_size(session)
    query = select(*ENTRY_COLUMNS).where(AuditEntry.seq.is_(None)).order_by(AuditEntry.txid, AuditEntry.id)
    below = horizon(session)
    if below is not None:
        query = query.where(AuditEntry.txid < below)
    entries = session.execute(query.limit(batch)).all()
    if not entries:
        return 0, False
    leaves = [leaf_hash(entry_bytes(entry, size + offset)) for offset, entry in enumerate(entries)]
    session.execute(
        update(AuditEntry),
        [
            {"id": entry.id, "seq": size + offset, "leaf": leaves[offset]}
            for offset, entry in enumerate(entries)
        ],
    )
    compact = tree.CompactRange.of(size, tree.read_nodes(session, tree.frontier(size)))
    made = [node for leaf in leaves for node in compact.append(leaf)]
    if made:
        session.execute(
            insert(AuditNode),
            [{"level": level, "index": index, "hash": digest} for (level, index), digest in made],
        )
    session.add(sign_head(server_key, compact.size, compact.root(), now))
    return len(entries), len(entries) == batch


def sequence(db: Database, server_key: KeyPair, now: datetime, *, rounds: int = 20) -> int:
    """Sequence what waits, up to `rounds` batches; how many entries were added to the tree."""
    done = 0
    for _ in range(rounds):
        with db.transaction() as session:
            count, more = sequence_batch(session, server_key, now)
        done += count
        if not more:
            break
    return done
