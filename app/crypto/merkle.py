"""The Merkle tree of RFC 9162 (Certificate Transparency v2), sections 2.1.1 to 2.1.4.

It backs the tamper-evident audit log: a root commits to every entry, an inclusion proof shows that one
entry is in the log, and a consistency proof shows that a later log only appended to an earlier one.

- 2.1.1: the Merkle Tree Hash, ``MTH({}) = SHA-256()``, ``MTH({d}) = SHA-256(0x00 || d)`` and
  ``MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))``, k the largest power of two below n.
- 2.1.3.1 / 2.1.3.2: generating and verifying inclusion proofs.
- 2.1.4.1 / 2.1.4.2: generating and verifying consistency proofs.

Everything past the leaves works on leaf hashes (``leaf_hash(entry)``), so the tree holds 32 bytes per
entry whatever the entries are. Hashes are 32-byte SHA-256 digests.

Why `MerkleTree` keeps every level: a proof needs the hashes of O(log n) subtrees; recomputing them from
the leaves costs O(n) hashes per proof, about a second per request for a million entries. The levels above
the leaves hold about as many nodes again as there are leaves (with the leaves, some 150 MB per million
entries in CPython) and make every root, inclusion proof and consistency proof, for the current size or
any earlier one, O(log n) node reads.

Level 0 holds the leaf hashes; level h+1 pairs up level h and, when level h has an odd count, carries its
last node up unchanged. That is RFC 9162's left-heavy split seen bottom-up: node i of level h is
``MTH(D[i*2^h : min((i+1)*2^h, n)])`` (the tests check this against the recursive definition), so every
complete power-of-two-aligned subtree is stored, and so is each right-edge subtree of the current size.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

HASH_SIZE = 32
"""Bytes in every hash this module takes or returns (SHA-256)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH of the empty list: SHA-256 of the empty string, with no prefix."""

# Domain separation (RFC 9162 2.1.1): a leaf can never be passed off as an interior node, or back.
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

# RFC 9162's structures carry sizes and indexes as uint64: anything larger is malformed, and the bound keeps
# the verifiers' bit loops short whatever they are given.
_MAX_SIZE = (1 << 64) - 1


def leaf_hash(entry: bytes) -> bytes:
    """``MTH({entry})``: SHA-256(0x00 || entry)."""
    return hashlib.sha256(_LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right), the hash of an interior node."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def root(leaves: Sequence[bytes]) -> bytes:
    """``MTH`` of a list of entries, given their LEAF HASHES (not the entries). Iterative, O(n) hashes."""
    level = _checked_hashes(leaves)
    if not level:
        return EMPTY_ROOT
    while len(level) > 1:
        level = _parent_level(level)
    return level[0]


class MerkleTree:
    """An append-only RFC 9162 tree over leaf hashes, keeping every level for O(log n) proofs.

    Proofs and roots can be asked for any size up to the current one, as a log must for tree heads it
    signed earlier. Not thread-safe: the log serialises its appends, and a reader must not run during one.
    """

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        level = _checked_hashes(leaves)
        self._levels: list[list[bytes]] = [level]
        while len(level) > 1:
            level = _parent_level(level)
            self._levels.append(level)

    @property
    def size(self) -> int:
        """The number of leaves."""
        return len(self._levels[0])

    @property
    def levels(self) -> Sequence[Sequence[bytes]]:
        """The stored levels, leaves first, the root last. The tree's own lists: read, never modify them."""
        return self._levels

    def append(self, leaf_hash: bytes) -> int:
        """Add one leaf hash; return its index. Rehashes only the O(log n) nodes on the right edge."""
        _check_hash(leaf_hash)
        self._levels[0].append(leaf_hash)
        height = 0
        while len(self._levels[height]) > 1:
            level = self._levels[height]
            index = len(level) - 1
            # A right child completes its pair; a left child with no sibling yet is carried up as it is.
            parent = node_hash(level[index - 1], level[index]) if index & 1 else level[index]
            if height + 1 == len(self._levels):
                self._levels.append([])
            above = self._levels[height + 1]
            if index >> 1 == len(above):
                above.append(parent)
            else:
                above[index >> 1] = parent
            height += 1
        return self.size - 1

    def root(self, size: int | None = None) -> bytes:
        """The root of the first `size` leaves (default: all of them), from O(log n) stored nodes."""
        if size is None:
            size = self.size
        if not 0 <= size <= self.size:
            raise ValueError(f"size {size} is outside 0..{self.size}")
        if size == 0:
            return EMPTY_ROOT
        return self._subtree_hash(0, size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """RFC 9162 2.1.3.1 ``PATH(index, D[0:size])``: the audit path of leaf `index` in the tree of `size`.

        Raises ValueError unless 0 <= index < size <= self.size.
        """
        if not 0 <= index < size <= self.size:
            raise ValueError(f"no inclusion proof for index {index} in size {size} (tree size {self.size})")
        path: list[bytes] = []
        start, end = 0, size
        # The RFC recurses into the half holding the leaf and appends the other half's MTH after the
        # recursion returns, so walking down collects the path top first: reverse it at the end.
        while end - start > 1:
            k = _largest_power_of_two_below(end - start)
            if index < start + k:
                path.append(self._subtree_hash(start + k, end))
                end = start + k
            else:
                path.append(self._subtree_hash(start, start + k))
                start += k
        path.reverse()
        return path

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """RFC 9162 2.1.4.1 ``PROOF(old_size, D[0:new_size])``.

        The proof is empty when old_size is 0 or new_size: every tree extends the empty one and itself,
        and `verify_consistency` accepts exactly that. Raises ValueError unless
        0 <= old_size <= new_size <= self.size.
        """
        if not 0 <= old_size <= new_size <= self.size:
            raise ValueError(
                f"no consistency proof from size {old_size} to {new_size} (tree size {self.size})"
            )
        if old_size in (0, new_size):
            return []
        proof: list[bytes] = []
        start, end = 0, new_size
        # SUBPROOF's flag b: while the walk keeps to the left edge, the subtree it ends on is the whole old
        # tree, whose root the verifier already has, so the RFC leaves that node out.
        old_root_is_known = True
        while old_size != end:
            k = _largest_power_of_two_below(end - start)
            if old_size <= start + k:
                proof.append(self._subtree_hash(start + k, end))
                end = start + k
            else:
                proof.append(self._subtree_hash(start, start + k))
                start += k
                old_root_is_known = False
        if not old_root_is_known:
            proof.append(self._subtree_hash(start, end))
        # As for PATH, the RFC lists the deepest node first.
        proof.reverse()
        return proof

    def _subtree_hash(self, start: int, end: int) -> bytes:
        """``MTH(D[start:end])`` for a range the RFC's split produces (start a multiple of the smallest power
        of two >= end - start), from at most O(log n) stored nodes."""
        width = end - start
        height = (width - 1).bit_length()
        if width == 1 << height or end == self.size:
            # A complete subtree, or the current right edge whose odd tail was carried up: stored as is.
            return self._levels[height][start >> height]
        # A right-edge subtree of an earlier size: the stored node above it also covers later leaves. Its
        # complete subtrees, largest first, are stored; the left-heavy split joins them right to left.
        parts: list[bytes] = []
        for h in reversed(range(height)):
            if width >> h & 1:
                parts.append(self._levels[h][start >> h])
                start += 1 << h
        result = parts.pop()
        while parts:
            result = node_hash(parts.pop(), result)
        return result


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 2.1.3.2: does `proof` show that `leaf_hash` is leaf `index` of the tree of `size` and `root`?

    False, never an exception, for any malformed input (index >= size, a hash that is not 32 bytes, a proof
    of the wrong length...). The root is what binds the size: the caller must take both from the same
    signed tree head.
    """
    if not (
        _is_hash(leaf_hash) and _is_hash(root) and _is_count(index) and _is_count(size) and _is_path(proof)
    ):
        return False
    # Step 1.
    if index >= size:
        return False
    # Steps 2 and 3.
    fn, sn = index, size - 1
    r = leaf_hash
    # Step 4.
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            # r was the last node of its level, with no right sibling: it was carried up through these
            # levels until it became the right child that p joins.
            while fn & 1 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    # Step 5. The roots are public, so a plain comparison leaks nothing worth a constant-time one.
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 2.1.4.2: does `proof` show that tree (new_size, new_root) extends (old_size, old_root)?

    The RFC's algorithm assumes 0 < old_size < new_size; around it:
    - old_size == new_size: true iff the roots are equal and the proof is empty;
    - old_size == 0: true iff the proof is empty, whatever the roots: every tree extends the empty one, and
      RFC 9162 (like the transparency-dev verifier) has no proof to check there;
    - old_size > new_size, a size over 2^64 - 1, a hash that is not 32 bytes: false.
    Never raises. As for inclusion, the roots are what bind the sizes: take each size and its root from one
    signed tree head.
    """
    if not (
        _is_count(old_size)
        and _is_count(new_size)
        and _is_hash(old_root)
        and _is_hash(new_root)
        and _is_path(proof)
    ):
        return False
    if old_size > new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof
    # Step 1.
    if not proof:
        return False
    # Step 2: a power-of-two old tree is a stored subtree of the new one, so the prover left its root out.
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    # Step 3.
    fn, sn = old_size - 1, new_size - 1
    # Step 4.
    if fn & 1:
        while fn & 1:
            fn >>= 1
            sn >>= 1
    # Step 5.
    fr = sr = path[0]
    # Step 6.
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn & 1 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    # Step 7.
    return fr == old_root and sr == new_root and sn == 0


def _parent_level(level: Sequence[bytes]) -> list[bytes]:
    """The level above `level`: its pairs hashed, an odd last node carried up unchanged."""
    pairs = iter(level)
    # zip over one iterator walks the pairs without building slices: this loop is all of a million-leaf build.
    # Not strict: an odd last node is left over by design, and carried up below.
    parents = [
        hashlib.sha256(_NODE_PREFIX + left + right).digest()
        for left, right in zip(pairs, pairs, strict=False)
    ]
    if len(level) & 1:
        parents.append(level[-1])
    return parents


def _largest_power_of_two_below(n: int) -> int:
    """RFC 9162's k for n >= 2: the largest power of two strictly smaller than n."""
    return 1 << ((n - 1).bit_length() - 1)


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _is_count(value: object) -> bool:
    # bool is an int subclass; True as a leaf index is a caller's bug, not leaf 1.
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _MAX_SIZE


def _is_path(proof: object) -> bool:
    # bytes and str are sequences too: reject them rather than iterate over their items.
    return isinstance(proof, list | tuple) and all(_is_hash(p) for p in proof)


def _check_hash(value: object) -> None:
    if not _is_hash(value):
        raise ValueError(f"a leaf hash is {HASH_SIZE} bytes, got {value!r:.80}")


def _checked_hashes(values: Iterable[bytes]) -> list[bytes]:
    # A copy, so that the caller changing its list cannot change the tree.
    hashes = list(values)
    if not all(_is_hash(h) for h in hashes):
        raise ValueError(f"every leaf hash must be {HASH_SIZE} bytes")
    return hashes
