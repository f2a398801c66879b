"""Checking the whole audit log against itself and against every tree head the server signed
(`kix audit verify`): the first entry edited, removed, inserted or reordered is named.

Each entry's leaf commits to its content and its number, so an entry changed in place no longer hashes to
its stored leaf, and one moved to another number hashes to its stored leaf only under its old number,
which names where it came from. An operator who also rewrites the stored leaves and nodes is caught by
the signed heads: the log recomputed from its entries must give every signed root, and an operator cannot
sign a new one without the server key.
"""

import json
import multiprocessing
from array import array
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from app.crypto.audit_format import entry_content
from app.crypto.encoding import b64url_decode
from app.crypto.merkle import HASH_SIZE, leaf_hash
from app.db import Database
from app.models import AuditEntry, AuditTreeHead
from app.services.audit import tree
from app.services.audit.log import head_message

CHUNK = 20_000
PARALLEL_FROM = 100_000  # entries: below this, starting processes costs more than it saves


@dataclass(frozen=True)
class Finding:
    seq: int | None
    problem: str

    def __str__(self) -> str:
        return self.problem


@dataclass
class Report:
    entries: int
    heads: int
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return not self.findings


# The entry's columns as the driver gives them. On PostgreSQL the time comes as its ISO 8601 text and the
# records as JSON text: converting them to Python objects first was half of the reading time.
_COLUMNS = (
    "seq, leaf, {at}, agency_id, kid, actor, method, route, status, {records}, request_id, signature_sha256"
)
_POSTGRES_AT = """to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""


def _at(value: datetime | str) -> str:
    """A stored time as the leaf has it: ISO 8601, microseconds, +00:00 (SQLite keeps naive UTC text)."""
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return moment.isoformat(timespec="microseconds")
    if len(value) == 26 and value[10] == " ":  # SQLAlchemy's SQLite format: YYYY-MM-DD HH:MM:SS.ffffff
        return f"{value[:10]}T{value[11:]}+00:00"
    if value.endswith("+00:00"):  # PostgreSQL's, formatted by the query
        return value
    return datetime.fromisoformat(value).replace(tzinfo=UTC).isoformat(timespec="microseconds")


def _entries(
    session: Session, first: int = 0, end: int | None = None
) -> Iterator[tuple[int, bytes | None, bytes]]:
    """(seq, stored leaf, entry bytes under its seq) of the sequenced entries numbered from `first` to
    before `end`, in seq order, in chunks. Read through the driver, not the ORM's result processing: a
    million rows must take seconds."""
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    columns = _COLUMNS.format(
        at=_POSTGRES_AT if postgres else "at", records="records::text" if postgres else "records"
    )
    marker = "%s" if postgres else "?"
    bound = "" if end is None else f" AND seq < {int(end)}"
    query = f"SELECT {columns} FROM audit_entries WHERE seq > {marker}{bound} ORDER BY seq LIMIT {CHUNK}"  # noqa: S608
    after = first - 1
    while True:
        rows = connection.exec_driver_sql(query, (after,)).all()
        if not rows:
            return
        for seq, leaf, at, agency, kid, actor, method, route, status, records, request_id, signature in rows:
            listed = json.loads(records) if isinstance(records, str) else records
            content = entry_content(
                seq, _at(at), agency, kid, actor, method, route, status, listed, request_id, signature
            )
            yield int(seq), None if leaf is None else bytes(leaf), content
        after = int(rows[-1][0])


def _leaves_of_range(database_url: str, first: int, end: int | None) -> tuple["array[int]", bytes, bytes]:
    """In a worker process: (seqs, stored leaves, recomputed leaves) of entries first..end-1, the leaves
    as 32-byte runs (an absent stored leaf as zeros, which no real leaf equals)."""
    db = Database(database_url)
    seqs: array[int] = array("q")
    stored, computed = bytearray(), bytearray()
    try:
        with db.sessions() as session:
            for seq, leaf, content in _entries(session, first, end):
                seqs.append(seq)
                stored += leaf if leaf is not None and len(leaf) == HASH_SIZE else bytes(HASH_SIZE)
                computed += leaf_hash(content)
    finally:
        db.dispose()
    return seqs, bytes(stored), bytes(computed)


# On PostgreSQL the database hashes each entry itself (the same canonical JSON, built with to_json, whose
# escaping equals Python's for printable ASCII): reading a million rows into Python to hash them took
# longer than the goal. Entries with any other character come back unhashed and are hashed here.
_SERVER_LEAVES = text(
    """
    SELECT seq, leaf,
      CASE WHEN (actor || agency_id || kid || method || route || request_id || signature_sha256
                 || records::text) ~ '^[ -~]*$'
      THEN sha256('\\x00'::bytea || convert_to(
        '{"actor":' || to_json(actor)::text
        || ',"agency":' || to_json(agency_id)::text
        || ',"at":"' || to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"') || '"'
        || ',"kid":' || to_json(kid)::text
        || ',"method":' || to_json(method)::text
        || ',"records":[' || CASE json_array_length(records)  -- most entries touch one record or none
             WHEN 0 THEN '' WHEN 1 THEN to_json(records->>0)::text
             ELSE (SELECT string_agg(to_json(r)::text, ',' ORDER BY r COLLATE "C")
                   FROM json_array_elements_text(records) AS r) END || ']'
        || ',"request_id":' || to_json(request_id)::text
        || ',"route":' || to_json(route)::text
        || ',"seq":' || seq::text
        || ',"signature_sha256":' || to_json(signature_sha256)::text
        || ',"status":' || status::text || '}', 'UTF8'))
      END
    FROM audit_entries WHERE seq > :after ORDER BY seq LIMIT :chunk
    """
)


def _server_leaves(engine: Engine, first: int, end: int) -> list[tuple[int, bytes | None, bytes | None]]:
    """(seq, stored leaf, leaf the database computed or None) of entries first..end-1 (a thread each)."""
    found: list[tuple[int, bytes | None, bytes | None]] = []
    after = first - 1
    with engine.connect() as connection:
        while True:
            # No upper bound in the query: psycopg prepares repeated statements, and PostgreSQL's generic
            # plan for a range it cannot see sorts the whole range for every chunk.
            rows = connection.execute(_SERVER_LEAVES, {"after": after, "chunk": CHUNK}).all()
            found += [(int(seq), leaf, computed) for seq, leaf, computed in rows if seq < end]
            if len(rows) < CHUNK or int(rows[-1][0]) >= end - 1:
                return found
            after = int(rows[-1][0])


def _rows(
    session: Session, database_url: str | None, workers: int
) -> Iterator[tuple[int, bytes | None, bytes, bytes | None]]:
    """(seq, stored leaf, recomputed leaf, entry bytes or None) in seq order: on PostgreSQL hashed by the
    database (`workers` ranges at once); elsewhere in this process, or split by seq among `workers`
    processes (each reads its own range), for a log that takes seconds to read."""
    highest = session.scalar(select(func.max(AuditEntry.seq)))
    if highest is None:
        return
    size = int(highest) + 1
    step = -(-size // max(1, workers))
    starts = range(0, size, step)
    if session.get_bind().dialect.name == "postgresql":
        engine = session.get_bind().engine
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            parts = [pool.submit(_server_leaves, engine, start, start + step) for start in starts]
            for part in parts:
                for seq, stored, computed in part.result():
                    if computed is None:  # characters the database's JSON would write otherwise
                        computed = leaf_hash(_content(session, seq))
                    yield seq, stored, computed, None
        # Entries numbered since `highest` was read are not covered by the heads checked either.
        return
    if database_url is None or workers < 2 or size <= PARALLEL_FROM:
        for seq, stored, content in _entries(session):
            yield seq, stored, leaf_hash(content), content
        return
    ranges: list[tuple[int, int | None]] = [(start, start + step) for start in starts]
    ranges[-1] = (ranges[-1][0], None)  # and anything numbered past it meanwhile
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(_leaves_of_range, database_url, first, end) for first, end in ranges]
        for future in futures:
            seqs, stored_run, computed_run = future.result()
            for index, seq in enumerate(seqs):
                cut = slice(index * HASH_SIZE, (index + 1) * HASH_SIZE)
                yield seq, stored_run[cut], computed_run[cut], None


def _content(session: Session, seq: int) -> bytes:
    return next(_entries(session, seq, seq + 1))[2]


def _moved_from(row_seq: int, stored: bytes | None, content: bytes) -> int | None:
    """The number an entry's stored leaf was computed under, if another nearby one: where it moved from."""
    if stored is None:
        return None
    for other in (row_seq - 1, row_seq + 1, row_seq - 2, row_seq + 2):
        if other >= 0 and stored == leaf_hash(_renumbered(content, row_seq, other)):
            return other
    return None


def _renumbered(content: bytes, seq: int, other: int) -> bytes:
    # entry_bytes is canonical JSON with "seq" as a key: replacing its value gives the bytes under `other`.
    return content.replace(f'"seq":{seq},'.encode(), f'"seq":{other},'.encode(), 1)


def verify(
    session: Session,
    server_keys: dict[str, Ed25519PublicKey],
    *,
    database_url: str | None = None,
    workers: int = 1,
) -> Report:
    """Recompute the log and every signed head; the findings, first problem first. With `database_url`
    and several `workers`, a long log's leaves are recomputed by that many processes."""
    # The heads signed before reading begins: the sequencer may go on meanwhile, and entries it numbers
    # after this are checked next time.
    signed = int(session.scalar(select(func.coalesce(func.max(AuditTreeHead.size), 0))) or 0)
    findings: list[Finding] = []
    leaves: list[bytes] = []
    expected = 0
    for seq, stored, computed, content in _rows(session, database_url, workers):
        if seq > expected and not findings:
            missing = f"entry {expected}" if seq == expected + 1 else f"entries {expected}-{seq - 1}"
            findings.append(
                Finding(expected, f"{missing} removed: the log jumps from {expected - 1} to {seq}")
            )
        if stored != computed and not findings:
            origin = _moved_from(seq, stored, content if content is not None else _content(session, seq))
            if origin is None:
                findings.append(Finding(seq, f"entry {seq} edited: its content no longer hashes to its leaf"))
            elif origin == seq - 1:
                findings.append(
                    Finding(
                        seq - 1, f"entry {seq - 1} inserted (or entries reordered): entry {seq} was {origin}"
                    )
                )
            else:
                findings.append(Finding(seq, f"entry {seq} reordered: it was entry {origin}"))
        leaves.append(computed)
        expected = seq + 1
    findings += _check_heads(session, leaves, expected, signed, server_keys, already_named=bool(findings))
    heads = int(
        session.scalar(select(func.count()).select_from(AuditTreeHead).where(AuditTreeHead.size <= signed))
        or 0
    )
    return Report(entries=len(leaves), heads=heads, findings=findings)


def _check_heads(
    session: Session,
    leaves: list[bytes],
    next_seq: int,
    signed: int,
    server_keys: dict[str, Ed25519PublicKey],
    *,
    already_named: bool,
) -> list[Finding]:
    """Every signed head against the tree recomputed from the entries, smallest first."""
    findings: list[Finding] = []
    frontier = tree.CompactRange()
    built = 0
    last_good = 0
    heads = session.scalars(
        select(AuditTreeHead).where(AuditTreeHead.size <= signed).order_by(AuditTreeHead.size)
    )
    for head in heads:
        key = server_keys.get(head.kid)
        try:
            if key is None:
                raise InvalidSignature
            key.verify(b64url_decode(head.signature), head_message(head.size, head.root, head.signed_at))
        except InvalidSignature:
            findings.append(Finding(None, f"the tree head of size {head.size} is not signed by a server key"))
            continue
        if head.size > next_seq:
            removed = f"entries {next_seq}-{head.size - 1} removed: a signed head covers {head.size}"
            findings.append(Finding(next_seq, removed))
            break
        if already_named:  # the entries are known to be wrong: only each head's own checks still count
            continue
        for leaf in leaves[built : head.size]:
            frontier.append(leaf)
        built = head.size
        if frontier.root() != head.root:
            findings.append(
                Finding(
                    last_good,
                    f"the log differs from the signed tree head of size {head.size}: an entry from "
                    f"{last_good} to {head.size - 1} was changed, inserted, removed or reordered",
                )
            )
            break
        last_good = head.size
    # Entries past every head signed so far (heads signed while reading included) are covered by none.
    covered = max(built, int(session.scalar(select(func.coalesce(func.max(AuditTreeHead.size), 0))) or 0))
    if len(leaves) > covered and not already_named and not findings:
        findings.append(
            Finding(covered, f"entries {covered}-{len(leaves) - 1} inserted: no signed tree head covers them")
        )
    return findings
