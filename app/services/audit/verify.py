"""Checking the whole audit log against itself and against every tree head the server signed
(`kix audit verify`): the first entry edited, removed, inserted or reordered is named.

Each entry's leaf commits to its content and its number, so an entry changed in place no longer hashes to
its stored leaf, and one moved to another number hashes to its stored leaf only under its old number,
which names where it came from. An operator who also rewrites the stored leaves and nodes is caught by
the signed heads: the log recomputed from its entries must give every signed root, and an operator cannot
sign a new one without the server key.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.crypto.encoding import b64url_decode
from app.crypto.merkle import EMPTY_ROOT, leaf_hash, node_hash
from app.models import AuditTreeHead
from app.services.audit.log import canonical_bytes, head_message

CHUNK = 20_000


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


_COLUMNS = (
    "seq, leaf, at, agency_id, kid, actor, method, route, status, records, request_id, signature_sha256"
)


def _at(value: datetime | str) -> datetime:
    """A stored time as the model reads it (UTCDateTime): SQLite keeps naive UTC text."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _entries(session: Session) -> Iterator[tuple[int, bytes | None, bytes]]:
    """(seq, stored leaf, entry bytes under its seq) of every sequenced entry, in seq order, in chunks.
    Read through the driver, not the ORM's result processing: a million rows must take seconds."""
    connection = session.connection()
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    query = f"SELECT {_COLUMNS} FROM audit_entries WHERE seq > {marker} ORDER BY seq LIMIT {CHUNK}"  # noqa: S608
    after = -1
    while True:
        rows = connection.exec_driver_sql(query, (after,)).all()
        if not rows:
            return
        for seq, leaf, at, agency, kid, actor, method, route, status, records, request_id, signature in rows:
            listed = json.loads(records) if isinstance(records, str) else records
            content = canonical_bytes(
                seq, _at(at), agency, kid, actor, method, route, status, listed, request_id, signature
            )
            yield int(seq), None if leaf is None else bytes(leaf), content
        after = int(rows[-1][0])


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


class CompactRange:
    """The roots of the complete subtrees covering the leaves so far (RFC 9162's left-heavy tree): all
    that appending needs, and their right fold is the tree's root. O(1) amortised per leaf."""

    def __init__(self) -> None:
        self.stack: list[tuple[int, bytes]] = []  # (level, hash), largest subtree first

    def append(self, leaf: bytes) -> None:
        level, digest = 0, leaf
        while self.stack and self.stack[-1][0] == level:
            digest = node_hash(self.stack.pop()[1], digest)
            level += 1
        self.stack.append((level, digest))

    def root(self) -> bytes:
        if not self.stack:
            return EMPTY_ROOT
        digest = self.stack[-1][1]
        for _level, left in reversed(self.stack[:-1]):
            digest = node_hash(left, digest)
        return digest


def verify(session: Session, server_keys: dict[str, Ed25519PublicKey]) -> Report:
    """Recompute the log and every signed head; the findings, first problem first."""
    findings: list[Finding] = []
    leaves: list[bytes] = []
    expected = 0
    for seq, stored, content in _entries(session):
        if seq > expected and not findings:
            missing = f"entry {expected}" if seq == expected + 1 else f"entries {expected}-{seq - 1}"
            findings.append(
                Finding(expected, f"{missing} removed: the log jumps from {expected - 1} to {seq}")
            )
        computed = leaf_hash(content)
        if stored != computed and not findings:
            origin = _moved_from(seq, stored, content)
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
    findings += _check_heads(session, leaves, expected, server_keys, already_named=bool(findings))
    heads = int(session.scalar(select(func.count()).select_from(AuditTreeHead)) or 0)
    return Report(entries=len(leaves), heads=heads, findings=findings)


def _check_heads(
    session: Session,
    leaves: list[bytes],
    next_seq: int,
    server_keys: dict[str, Ed25519PublicKey],
    *,
    already_named: bool,
) -> list[Finding]:
    """Every signed head against the tree recomputed from the entries, smallest first."""
    findings: list[Finding] = []
    frontier = CompactRange()
    built = 0
    last_good = 0
    heads = session.scalars(select(AuditTreeHead).order_by(AuditTreeHead.size))
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
    if len(leaves) > built and not already_named and not findings:
        findings.append(
            Finding(built, f"entries {built}-{len(leaves) - 1} inserted: no signed tree head covers them")
        )
    return findings
