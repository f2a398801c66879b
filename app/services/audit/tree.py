"""The audit log's Merkle tree (RFC 9162 section 2.1), kept in the database as the hashes of complete
subtrees: a leaf is `audit_entries.leaf` (by `seq`), a complete subtree of 2^level leaves starting at
index * 2^level is `audit_nodes` (level >= 1). Appending a leaf completes at most one node per level, so
the table grows by about one row per entry.

Any subtree the RFC's recursion names (D[lo:hi] split at the largest power of two below its size) is a
right fold of the complete subtrees of its size's binary decomposition, laid end to end from `lo`: so a
root, an inclusion proof or a consistency proof needs O(log^2 n) stored hashes at most, read in one or
two queries, whatever the log's size.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, literal, or_, select, union_all
from sqlalchemy.orm import Session

from app.crypto.merkle import EMPTY_ROOT, node_hash
from app.models import AuditEntry, AuditNode

Node = tuple[int, int]  # (level, index): leaves [index * 2^level, (index + 1) * 2^level)


@dataclass(frozen=True)
class Span:
    """Leaves [lo, hi): a subtree as the RFC's recursion names it."""

    lo: int
    hi: int

    def nodes(self) -> list[Node]:
        """The complete subtrees whose right fold is this span's hash, left to right."""
        found, lo, size = [], self.lo, self.hi - self.lo
        for level in range(size.bit_length() - 1, -1, -1):
            if size >> level & 1:
                found.append((level, lo >> level))
                lo += 1 << level
        return found


def _split(size: int) -> int:
    """The largest power of two smaller than `size` (> 1): where RFC 9162 splits a tree."""
    return 1 << ((size - 1).bit_length() - 1)


def inclusion_spans(index: int, size: int) -> list[Span]:
    """The spans whose hashes make the inclusion proof of leaf `index` in the first `size` (RFC 9162
    2.1.3.1, PATH), bottom first."""
    spans: list[Span] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            spans.append(Span(lo + k, hi))
            hi = lo + k
        else:
            spans.append(Span(lo, lo + k))
            lo = lo + k
    return spans[::-1]


def consistency_spans(old: int, new: int) -> list[Span]:
    """The spans whose hashes make the consistency proof between the first `old` and `new` leaves
    (RFC 9162 2.1.4.1, SUBPROOF), in proof order; empty when old is 0 or old == new."""
    if not 0 < old < new:
        return []
    spans: list[Span] = []
    lo, hi, m, whole = 0, new, old, True
    while True:
        n = hi - lo
        if m == n:
            if not whole:
                spans.append(Span(lo, hi))
            break
        k = _split(n)
        if m <= k:
            spans.append(Span(lo + k, hi))
            hi = lo + k
        else:
            spans.append(Span(lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    return spans[::-1]


def read_nodes(session: Session, wanted: Iterable[Node]) -> dict[Node, bytes]:
    """The stored hashes of complete subtrees, in one query (leaves from the entries, the rest from the
    nodes): a proof costs one round trip to the database."""
    wanted = set(wanted)
    leaves = [index for level, index in wanted if level == 0]
    by_level: dict[int, list[int]] = {}
    for level, index in wanted:
        if level:
            by_level.setdefault(level, []).append(index)
    parts: list[Select[Any, Any, Any]] = []
    if leaves:
        level_0 = literal(0).label("level")
        stored = select(level_0, AuditEntry.seq.label("index"), AuditEntry.leaf.label("hash"))
        parts.append(stored.where(AuditEntry.seq.in_(leaves)))
    if by_level:
        same = (and_(AuditNode.level == level, AuditNode.index.in_(ids)) for level, ids in by_level.items())
        parts.append(select(AuditNode.level, AuditNode.index, AuditNode.hash).where(or_(*same)))
    found: dict[Node, bytes] = {}
    if parts:
        rows = session.execute(parts[0] if len(parts) == 1 else union_all(*parts))
        found = {(int(level), int(index)): digest for level, index, digest in rows if digest is not None}
    missing = wanted - found.keys()
    if missing:
        raise LookupError(f"the audit tree lacks {len(missing)} node(s), e.g. {min(missing)}")
    return found


def span_hash(span: Span, nodes: Mapping[Node, bytes]) -> bytes:
    parts = [nodes[node] for node in span.nodes()]
    digest = parts[-1]
    for part in reversed(parts[:-1]):
        digest = node_hash(part, digest)
    return digest


def hashes(session: Session, spans: list[Span]) -> list[bytes]:
    nodes = read_nodes(session, (node for span in spans for node in span.nodes()))
    return [span_hash(span, nodes) for span in spans]


def root(session: Session, size: int) -> bytes:
    """The root of the first `size` entries."""
    return hashes(session, [Span(0, size)])[0] if size else EMPTY_ROOT


def inclusion_proof(session: Session, index: int, size: int) -> list[bytes]:
    return hashes(session, inclusion_spans(index, size))


def consistency_proof(session: Session, old: int, new: int) -> list[bytes]:
    return hashes(session, consistency_spans(old, new))


def frontier(size: int) -> list[Node]:
    """The complete subtrees covering the first `size` leaves: all an append needs to know."""
    return Span(0, size).nodes()


class CompactRange:
    """The roots of the complete subtrees covering the leaves so far, largest first: all that appending
    needs, and their right fold is the tree's root. O(1) amortised per leaf. The sequencer stores the
    subtrees each append completes; the verifier only folds."""

    def __init__(self, size: int = 0, roots: list[tuple[int, bytes]] | None = None) -> None:
        self.size = size
        self.stack: list[tuple[int, bytes]] = roots or []  # (level, hash)

    @classmethod
    def of(cls, size: int, nodes: Mapping[Node, bytes]) -> "CompactRange":
        """The range of a tree of `size` leaves, from the hashes of `frontier(size)`."""
        return cls(size, [(level, nodes[(level, index)]) for level, index in frontier(size)])

    def append(self, leaf: bytes) -> list[tuple[Node, bytes]]:
        """Add a leaf; the subtrees (level >= 1) it completes."""
        completed: list[tuple[Node, bytes]] = []
        level, digest, index = 0, leaf, self.size
        while self.stack and self.stack[-1][0] == level:
            digest = node_hash(self.stack.pop()[1], digest)
            level += 1
            completed.append(((level, index >> level), digest))
        self.stack.append((level, digest))
        self.size += 1
        return completed

    def root(self) -> bytes:
        if not self.stack:
            return EMPTY_ROOT
        digest = self.stack[-1][1]
        for _level, left in reversed(self.stack[:-1]):
            digest = node_hash(left, digest)
        return digest
